"""The SMTP backend against real aiosmtpd servers: plain, STARTTLS, implicit TLS, AUTH, failures."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from aksara.conf import Settings, configure, reset
from aksara.core.mail import (
    EmailMessage,
    MailError,
    get_connection,
    send_mail,
    send_mass_mail,
)
from aksara.core.mail.backends.smtp import SMTPBackend
from aksara.exceptions import ConfigurationError
from aksara.testing.mail import RecordingHandler, SMTPTestServer, free_port

from .conftest import PASSWORD, USER


class DropConnection(RecordingHandler):
    """Closes the connection instead of answering the MAIL command of the given messages."""

    def __init__(self, *, at: set[int]) -> None:
        super().__init__()
        self.at = at
        self.mail_commands = 0

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.mail_commands += 1
        if self.mail_commands in self.at:
            server.transport.close()
            return "421 closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"


class RefuseRecipients(RecordingHandler):
    def __init__(self, *, refused: set[str]) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class HangUpAfterFirstMessage(RecordingHandler):
    """Accepts the first message, then hangs up without waiting for QUIT (as idle timeouts do)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        status = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            # Runs after the reply is written; close() still flushes it.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return status


class SlowData(RecordingHandler):
    def __init__(self, *, delay: float = 2.0) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def serve(handler: RecordingHandler) -> SMTPTestServer:
    server = SMTPTestServer(handler=handler)
    server.start()
    configure(**server.settings())
    return server


@pytest.fixture
def running() -> Iterator[list[SMTPTestServer]]:
    """Servers a test starts with serve(); all stopped afterwards."""
    servers: list[SMTPTestServer] = []
    yield servers
    for server in servers:
        server.stop()


def batch(n: int) -> list[tuple[str, str, None, list[str]]]:
    return [(f"Message {i}", f"Body {i}", None, [f"user{i}@example.com"]) for i in range(n)]


async def test_server_receives_the_exact_bytes_without_bcc_and_with_bcc_in_the_envelope(
    smtp_server: SMTPTestServer,
) -> None:
    await send_mail(
        "Report",
        "Plain body",
        "reports@example.com",
        ["to@example.com"],
        bcc=["audit@example.com"],
        html_message="<h1>HTML body</h1>",
        attachments=[("r.bin", b"\x00\x01\x02", "application/octet-stream")],
    )

    [received] = smtp_server.messages
    assert received.mail_from == "reports@example.com"
    assert received.rcpt_tos == ("to@example.com", "audit@example.com")
    raw = received.data
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert [line.split(b":")[0] for line in head if not line[:1].isspace()] == [
        b"Subject",
        b"From",
        b"To",
        b"Date",
        b"Message-ID",
        b"MIME-Version",
        b"Content-Type",
    ]
    assert head[:3] == [b"Subject: Report", b"From: reports@example.com", b"To: to@example.com"]
    assert b"audit@example.com" not in raw
    assert b"Bcc" not in raw
    assert b"Content-Type: multipart/mixed" in raw
    assert b"Content-Type: multipart/alternative" in raw
    assert b"Content-Type: text/html" in raw
    assert b'Content-Disposition: attachment; filename="r.bin"' in raw
    assert b"AAEC" in raw  # base64 of the attachment bytes


async def test_send_mass_mail_of_500_messages_uses_one_connection(
    smtp_server: SMTPTestServer,
) -> None:
    sent = await send_mass_mail(batch(500))

    assert sent == 500
    assert smtp_server.connections == 1
    assert len(smtp_server.messages) == 500
    assert smtp_server.messages[499].rcpt_tos == ("user499@example.com",)


async def test_separate_send_mail_calls_each_open_their_own_connection(
    smtp_server: SMTPTestServer,
) -> None:
    for i in range(3):
        await send_mail(f"M{i}", "Body", None, ["to@example.com"])

    assert smtp_server.connections == 3


async def test_connection_context_reuses_one_connection_across_send_calls(
    smtp_server: SMTPTestServer,
) -> None:
    async with get_connection() as connection:
        await send_mail("One", "Body", None, ["a@example.com"], connection=connection)
        await send_mass_mail(batch(3), connection=connection)
        await EmailMessage("Two", "Body", None, ["b@example.com"], connection=connection).send()

    assert len(smtp_server.messages) == 5
    assert smtp_server.connections == 1


async def test_starttls_with_a_verified_certificate_and_auth(
    starttls_server: SMTPTestServer,
) -> None:
    configure(**starttls_server.settings(), email_host_user=USER, email_host_password=PASSWORD)
    connection = get_connection(tls_context=starttls_server.client_tls_context())

    assert await send_mail("Secure", "Body", None, ["to@example.com"], connection=connection) == 1

    [received] = starttls_server.messages
    assert received.login == USER
    assert received.message["Subject"] == "Secure"


async def test_implicit_tls_with_auth(implicit_tls_server: SMTPTestServer) -> None:
    connection = get_connection(
        "smtp",
        host=implicit_tls_server.host,
        port=implicit_tls_server.port,
        use_ssl=True,
        username=USER,
        password=PASSWORD,
        tls_context=implicit_tls_server.client_tls_context(),
    )

    assert await send_mail("TLS", "Body", None, ["to@example.com"], connection=connection) == 1
    assert implicit_tls_server.messages[0].login == USER


async def test_auth_on_a_plain_connection(auth_server: SMTPTestServer) -> None:
    configure(**auth_server.settings(), email_host_user=USER, email_host_password=PASSWORD)

    await send_mail("Plain auth", "Body", None, ["to@example.com"])

    assert auth_server.messages[0].login == USER


async def test_untrusted_certificate_fails_with_mail_error(
    starttls_server: SMTPTestServer,
) -> None:
    configure(**starttls_server.settings())  # default context: the self-signed cert is unknown

    with pytest.raises(MailError, match="could not connect.*certificate verify failed"):
        await send_mail("Hi", "Body", None, ["to@example.com"])
    assert starttls_server.messages == []


async def test_wrong_password_fails_and_never_reveals_the_credentials(
    starttls_server: SMTPTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-Pa55word-xyz"
    configure(**starttls_server.settings(), email_host_user=USER, email_host_password=wrong)
    connection = get_connection(tls_context=starttls_server.client_tls_context())

    with pytest.raises(MailError, match="rejected the login: 535") as excinfo:
        await send_mail("Hi", "Body", None, ["to@example.com"], connection=connection)

    rendered = "".join(traceback.format_exception(excinfo.value))
    for text in (rendered, repr(connection), str(connection), caplog.text):
        assert wrong not in text
        assert PASSWORD not in text
    assert starttls_server.messages == []


def test_backend_repr_and_settings_repr_hide_the_password() -> None:
    settings = configure(Settings(email_host_user=USER, email_host_password=PASSWORD))
    backend = SMTPBackend(host="mail.example.com", port=587, use_tls=True)

    assert repr(backend) == "<SMTPBackend mail.example.com:587 starttls auth=yes>"
    assert PASSWORD not in repr(backend) + repr(vars(backend)) + repr(settings)


async def test_unreachable_server_raises_mail_error_or_returns_zero_when_silent() -> None:
    configure(email_backend="smtp", email_host="127.0.0.1", email_port=free_port(), email_timeout=2)

    with pytest.raises(MailError, match=r"could not connect to SMTP server 127\.0\.0\.1"):
        await send_mail("Hi", "Body", None, ["to@example.com"])
    assert await send_mail("Hi", "Body", None, ["to@example.com"], fail_silently=True) == 0
    assert await send_mass_mail(batch(3), fail_silently=True) == 0


async def test_refused_recipient_error_names_the_message_and_the_recipient(
    running: list[SMTPTestServer],
) -> None:
    server = serve(RefuseRecipients(refused={"user2@example.com"}))
    running.append(server)

    with pytest.raises(MailError) as excinfo:
        await send_mass_mail(batch(4))

    message = str(excinfo.value)
    assert "message 3 of 4" in message
    assert "'Message 2'" in message
    assert "user2@example.com (550 5.1.1 No such user here)" in message
    assert "2 sent before it" in message
    assert [m.message["Subject"] for m in server.messages] == ["Message 0", "Message 1"]


async def test_fail_silently_skips_refused_messages_and_counts_the_rest(
    running: list[SMTPTestServer],
) -> None:
    server = serve(RefuseRecipients(refused={"user1@example.com", "user3@example.com"}))
    running.append(server)

    assert await send_mass_mail(batch(5), fail_silently=True) == 3
    assert [m.rcpt_tos[0] for m in server.messages] == [
        "user0@example.com",
        "user2@example.com",
        "user4@example.com",
    ]
    assert server.connections == 1


async def test_partly_refused_recipients_still_count_as_sent(
    running: list[SMTPTestServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(RefuseRecipients(refused={"gone@example.com"}))
    running.append(server)

    sent = await send_mail("Hi", "Body", None, ["gone@example.com", "here@example.com"])

    assert sent == 1
    assert server.messages[0].rcpt_tos == ("here@example.com",)
    assert "refused gone@example.com (550" in caplog.text


async def test_dropped_connection_in_a_batch_is_reopened_once(
    running: list[SMTPTestServer],
) -> None:
    server = serve(DropConnection(at={3}))
    running.append(server)

    assert await send_mass_mail(batch(6)) == 6
    assert [m.message["Subject"] for m in server.messages] == [f"Message {i}" for i in range(6)]
    assert server.connections == 2


async def test_connection_dropped_twice_raises_naming_the_failed_message(
    running: list[SMTPTestServer],
) -> None:
    server = serve(DropConnection(at={3, 5}))
    running.append(server)

    with pytest.raises(MailError, match="message 4 of 6 .*'Message 3'.*; 3 sent before it"):
        await send_mass_mail(batch(6))
    assert len(server.messages) == 3
    assert server.connections == 2


async def test_connection_dropped_twice_with_fail_silently_returns_the_count_sent(
    running: list[SMTPTestServer],
) -> None:
    server = serve(DropConnection(at={2, 3}))
    running.append(server)

    assert await send_mass_mail(batch(5), fail_silently=True) == 1
    assert len(server.messages) == 1


async def test_dropped_connection_inside_a_connection_context_is_reopened(
    running: list[SMTPTestServer],
) -> None:
    server = serve(DropConnection(at={2}))
    running.append(server)

    async with get_connection() as connection:
        await send_mail("First", "Body", None, ["a@example.com"], connection=connection)
        await send_mail("Second", "Body", None, ["b@example.com"], connection=connection)
        await send_mail("Third", "Body", None, ["c@example.com"], connection=connection)

    assert [m.message["Subject"] for m in server.messages] == ["First", "Second", "Third"]
    assert server.connections == 2


async def test_connection_the_server_closed_while_idle_is_reopened_before_sending(
    running: list[SMTPTestServer],
) -> None:
    server = serve(HangUpAfterFirstMessage())
    running.append(server)

    async with get_connection() as connection:
        for subject in ("First", "Second", "Third", "Fourth"):
            await send_mail(subject, "Body", None, ["a@example.com"], connection=connection)
            await asyncio.sleep(0.02)  # let a hang-up arrive

    subjects = [m.message["Subject"] for m in server.messages]
    assert subjects == ["First", "Second", "Third", "Fourth"]
    assert server.connections == 2  # the reopened connection stays open for the rest


async def test_cancelled_send_drops_the_connection_and_the_next_send_reconnects(
    running: list[SMTPTestServer],
) -> None:
    handler = SlowData()
    server = serve(handler)
    running.append(server)

    async with get_connection() as connection:
        task = asyncio.create_task(
            send_mail("Slow", "Body", None, ["a@example.com"], connection=connection)
        )
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        handler.delay = 0
        assert (
            await connection.send_messages([EmailMessage("Next", "B", None, ["a@example.com"])])
            == 1
        )

    assert [m.message["Subject"] for m in server.messages] == ["Next"]
    assert server.connections == 2


async def test_email_timeout_setting_bounds_a_stalled_server(
    running: list[SMTPTestServer],
) -> None:
    # The server's greeting must come within the timeout too: a second leaves room for a
    # busy machine, and the reply to DATA takes four.
    server = serve(SlowData(delay=4.0))
    running.append(server)
    configure(email_timeout=1.0)

    with pytest.raises(MailError, match="message 1 of 1 .*timed out"):
        await send_mail("Slow", "Body", None, ["to@example.com"])


def test_use_tls_and_use_ssl_together_are_a_configuration_error() -> None:
    configure(email_use_tls=True, email_use_ssl=True)

    with pytest.raises(ConfigurationError, match="mutually exclusive"):
        get_connection("smtp")


async def test_smtp_settings_come_from_aksara_environment_variables(
    smtp_server: SMTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AKSARA_EMAIL_BACKEND", "smtp")
    monkeypatch.setenv("AKSARA_EMAIL_HOST", smtp_server.host)
    monkeypatch.setenv("AKSARA_EMAIL_PORT", str(smtp_server.port))
    monkeypatch.setenv("AKSARA_DEFAULT_FROM_EMAIL", "env@example.com")
    reset()

    await send_mail("From env", "Body", None, ["to@example.com"])

    assert smtp_server.messages[0].mail_from == "env@example.com"


async def test_event_loop_keeps_running_while_a_batch_is_sent(
    smtp_server: SMTPTestServer,
) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await send_mass_mail(batch(10))
    stop.set()
    await task

    assert ticks >= 10
