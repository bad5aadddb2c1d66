"""Choosing a backend (names, dotted paths, custom classes) and the console and locmem backends."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest

from aksara.conf import configure, reset
from aksara.core import mail
from aksara.core.mail import (
    BaseEmailBackend,
    EmailMessage,
    get_connection,
    outbox,
    reset_outbox,
    send_mail,
    send_mass_mail,
)
from aksara.core.mail.backends.console import SEPARATOR, ConsoleBackend
from aksara.core.mail.backends.locmem import LocmemBackend
from aksara.core.mail.backends.smtp import SMTPBackend
from aksara.exceptions import ConfigurationError


class ListBackend(BaseEmailBackend):
    """A custom backend, as a user would write one."""

    sent: list[str] = []

    def __init__(self, *, prefix: str = "", fail_silently: bool = False) -> None:
        super().__init__(fail_silently=fail_silently)
        self.prefix = prefix

    async def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            message.message()
            self.sent.append(self.prefix + message.subject)
        return len(messages)


@pytest.mark.parametrize(
    ("name", "backend_class"),
    [("console", ConsoleBackend), ("locmem", LocmemBackend), ("smtp", SMTPBackend)],
)
def test_get_connection_resolves_backend_names(
    name: str, backend_class: type[BaseEmailBackend]
) -> None:
    assert type(get_connection(name)) is backend_class
    configure(email_backend=name)
    assert type(get_connection()) is backend_class


def test_get_connection_accepts_a_dotted_path_or_a_class_and_passes_options() -> None:
    by_path = get_connection(f"{__name__}.ListBackend", prefix="p:", fail_silently=True)
    by_class = get_connection(ListBackend)

    assert isinstance(by_path, ListBackend)
    assert (by_path.prefix, by_path.fail_silently) == ("p:", True)
    assert isinstance(by_class, ListBackend)


async def test_custom_backend_from_the_email_backend_setting_sends_mail() -> None:
    ListBackend.sent.clear()
    configure(email_backend=f"{__name__}.ListBackend")

    assert (
        await send_mass_mail(
            [("One", "B", None, ["a@example.com"]), ("Two", "B", None, ["b@example.com"])]
        )
        == 2
    )
    assert ListBackend.sent == ["One", "Two"]


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ("sendgrid", "is not one of console, locmem, smtp"),
        ("no_such_module_xyz.Backend", "cannot import"),
        (f"{__name__}.Missing", "has no 'Missing'"),
        (f"{__name__}.EmailMessage", "is not a subclass of"),
    ],
)
def test_unknown_backend_is_a_configuration_error(spec: str, error: str) -> None:
    with pytest.raises(ConfigurationError, match=error):
        get_connection(spec)


def test_unknown_backend_option_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        get_connection("locmem", host="x")


async def test_backend_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKSARA_EMAIL_BACKEND", "locmem")
    reset()

    await send_mail("Env", "Body", None, ["to@example.com"])

    assert [m.subject for m in outbox] == ["Env"]


async def test_console_backend_prints_the_whole_message_to_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure(email_backend="console")

    await send_mail(
        "Console", "Hello there", "a@example.com", ["b@example.com"], html_message="<p>x</p>"
    )

    out = capsys.readouterr().out
    assert "Subject: Console\n" in out
    assert "From: a@example.com\nTo: b@example.com\n" in out
    assert "Hello there" in out and "<p>x</p>" in out
    assert out.endswith(f"\n{SEPARATOR}\n")


async def test_console_backend_writes_to_a_given_stream() -> None:
    stream = io.StringIO()

    sent = await get_connection("console", stream=stream).send_messages(
        [
            EmailMessage("One", "B", None, ["a@example.com"]),
            EmailMessage("Two", "B", None, ["b@example.com"]),
        ]
    )

    assert sent == 2
    assert stream.getvalue().count(SEPARATOR) == 2


async def test_console_backend_closed_stream_raises_or_fails_silently() -> None:
    stream = io.StringIO()
    stream.close()
    message = EmailMessage("S", "B", None, ["a@example.com"])

    with pytest.raises(mail.MailError, match="could not write 1 message"):
        await get_connection("console", stream=stream).send_messages([message])
    assert (
        await get_connection("console", stream=stream, fail_silently=True).send_messages([message])
        == 0
    )


async def test_outbox_is_one_list_mutated_in_place() -> None:
    configure(email_backend="locmem")
    same = mail.outbox

    await send_mail("One", "B", None, ["a@example.com"])
    reset_outbox()
    await send_mail("Two", "B", None, ["a@example.com"])

    assert mail.outbox is same is outbox
    assert [m.subject for m in outbox] == ["Two"]


async def test_mailoutbox_fixture_switches_to_locmem_and_starts_empty(
    mailoutbox: list[EmailMessage],
) -> None:
    await send_mail("Fixture", "B", None, ["a@example.com"])

    assert mailoutbox is outbox
    assert [m.subject for m in mailoutbox] == ["Fixture"]
    assert isinstance(get_connection(), LocmemBackend)


async def test_base_backend_requires_send_messages() -> None:
    with pytest.raises(NotImplementedError, match="must implement send_messages"):
        await BaseEmailBackend().send_messages([])


async def test_backend_is_an_async_context_manager() -> None:
    async with get_connection("locmem") as connection:
        assert isinstance(connection, LocmemBackend)
        assert (
            await connection.send_messages([EmailMessage("S", "B", None, ["a@example.com"])]) == 1
        )
