"""One behaviour, three backends: locmem (outbox), console (stdout) and SMTP (a real aiosmtpd server)."""

from __future__ import annotations

import email.message
import email.policy
from dataclasses import dataclass, field
from email.parser import BytesParser
from pathlib import Path

import pytest

from aksara.conf import configure
from aksara.core.mail import (
    BadHeaderError,
    EmailMessage,
    MailError,
    get_connection,
    outbox,
    send_mail,
    send_mass_mail,
)
from aksara.core.mail.backends.console import SEPARATOR
from aksara.testing.mail import SMTPTestServer


@dataclass
class Delivered:
    raw: bytes
    # Envelope recipients; None where the backend cannot show them (console).
    envelope: tuple[str, ...] | None

    @property
    def message(self) -> email.message.EmailMessage:
        return BytesParser(policy=email.policy.default).parsebytes(self.raw)


@dataclass
class Delivery:
    """Where a backend's messages end up, read back the same way for every backend."""

    backend: str
    capsys: pytest.CaptureFixture[str] | None = None
    server: SMTPTestServer | None = None
    _console: list[Delivered] = field(default_factory=list)

    def received(self) -> list[Delivered]:
        if self.backend == "locmem":
            return [Delivered(m.message().as_bytes(), tuple(m.recipients())) for m in outbox]
        if self.backend == "console":
            assert self.capsys is not None
            out = self.capsys.readouterr().out
            chunks = [c for c in out.split(f"{SEPARATOR}\n") if c.strip()]
            self._console.extend(Delivered(c.encode("utf-8"), None) for c in chunks)
            return list(self._console)
        assert self.server is not None
        return [Delivered(m.data, m.rcpt_tos) for m in self.server.messages]


def text(part: email.message.EmailMessage) -> str:
    """A text part's content with wire line endings (CRLF, as SMTP delivers them) made LF."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


@pytest.fixture(params=["locmem", "console", "smtp"])
def delivery(request: pytest.FixtureRequest) -> Delivery:
    backend = request.param
    if backend == "smtp":
        # smtp_server configures the smtp backend to send to itself
        return Delivery(backend, server=request.getfixturevalue("smtp_server"))
    configure(email_backend=backend)
    if backend == "console":
        return Delivery(backend, capsys=request.getfixturevalue("capsys"))
    return Delivery(backend)


@pytest.fixture(autouse=True)
def _default_from(delivery: Delivery) -> None:
    configure(default_from_email="site@example.com")


async def test_send_mail_delivers_one_message_with_headers_and_body(delivery: Delivery) -> None:
    sent = await send_mail("Hello", "Body text.", "Sender <from@example.com>", ["to@example.com"])

    assert sent == 1
    [got] = delivery.received()
    msg = got.message
    assert msg["Subject"] == "Hello"
    assert msg["From"] == "Sender <from@example.com>"
    assert msg["To"] == "to@example.com"
    assert msg["Date"] and msg["Message-ID"].endswith("@example.com>")
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().strip() == "Body text."
    if got.envelope is not None:
        assert got.envelope == ("to@example.com",)


async def test_send_mail_without_from_email_uses_default_from_email(delivery: Delivery) -> None:
    await send_mail("Hi", "Body", None, ["to@example.com"])

    [got] = delivery.received()
    assert got.message["From"] == "site@example.com"


async def test_html_message_is_sent_as_multipart_alternative(delivery: Delivery) -> None:
    await send_mail(
        "Password Reset",
        "Use the link below.",
        None,
        ["user@example.com"],
        html_message="<p>Use the link below.</p>",
    )

    msg = delivery.received()[0].message
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().strip() == "Use the link below."
    assert html.get_content_type() == "text/html"
    assert html.get_content().strip() == "<p>Use the link below.</p>"


async def test_attachments_are_sent_as_parts_of_a_mixed_message(
    delivery: Delivery, tmp_path: Path
) -> None:
    pdf = b"%PDF-1.4 \x00\xff binary"
    (tmp_path / "notes.txt").write_text("from disk\n")
    message = EmailMessage("Files", "See attached.", None, ["to@example.com"])
    message.attach("report.pdf", pdf, "application/pdf")
    message.attach("data.csv", "a,b\n1,2\n")
    await message.attach_file(tmp_path / "notes.txt")

    assert await message.send() == 1

    msg = delivery.received()[0].message
    assert msg.get_content_type() == "multipart/mixed"
    body, *attachments = msg.iter_parts()
    assert body.get_content().strip() == "See attached."
    found = {
        a.get_filename(): (
            a.get_content_type(),
            a.get_content() if a.get_content_maintype() != "text" else text(a),
        )
        for a in attachments
    }
    assert found == {
        "report.pdf": ("application/pdf", pdf),
        "data.csv": ("text/csv", "a,b\n1,2\n"),
        "notes.txt": ("text/plain", "from disk\n"),
    }


async def test_html_and_attachments_together(delivery: Delivery) -> None:
    await send_mail(
        "Invoice",
        "Plain",
        None,
        ["to@example.com"],
        html_message="<b>HTML</b>",
        attachments=[("invoice.pdf", b"%PDF", "application/pdf")],
    )

    msg = delivery.received()[0].message
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_filename() == "invoice.pdf"


async def test_bcc_recipients_get_the_message_but_never_a_bcc_header(delivery: Delivery) -> None:
    await send_mail(
        "Secret", "Body", None, ["to@example.com"], bcc=["hidden@example.com", "h2@example.com"]
    )

    [got] = delivery.received()
    assert b"hidden@example.com" not in got.raw
    assert b"bcc" not in got.raw.lower()
    assert got.message["Bcc"] is None
    if got.envelope is not None:
        assert got.envelope == ("to@example.com", "hidden@example.com", "h2@example.com")


async def test_cc_reply_to_and_extra_headers(delivery: Delivery) -> None:
    await send_mail(
        "Headers",
        "Body",
        None,
        ["to@example.com"],
        cc=["Copy <cc@example.com>"],
        reply_to=["support@example.com"],
        headers={"X-Campaign": "spring", "List-Unsubscribe": "<mailto:unsub@example.com>"},
    )

    [got] = delivery.received()
    msg = got.message
    assert msg["Cc"] == "Copy <cc@example.com>"
    assert msg["Reply-To"] == "support@example.com"
    assert msg["X-Campaign"] == "spring"
    assert msg["List-Unsubscribe"] == "<mailto:unsub@example.com>"
    if got.envelope is not None:
        assert got.envelope == ("to@example.com", "cc@example.com")


async def test_non_ascii_subject_body_and_names_survive_the_trip(delivery: Delivery) -> None:
    await send_mail(
        "Grüße — 你好",
        "Hállo wörld ✓\n" + "long line " * 30,
        "Jürgen Ñandú <from@example.com>",
        ["Zoë <zoe@bücher.example>"],
    )

    msg = delivery.received()[0].message
    assert msg["Subject"] == "Grüße — 你好"
    assert msg["From"].addresses[0].display_name == "Jürgen Ñandú"
    assert msg["To"].addresses[0].domain == "xn--bcher-kva.example"
    assert text(msg) == "Hállo wörld ✓\n" + "long line " * 30 + "\n"


async def test_send_mass_mail_sends_every_message_and_returns_the_count(
    delivery: Delivery,
) -> None:
    datatuple = [(f"Subject {i}", f"Body {i}", None, [f"user{i}@example.com"]) for i in range(5)]

    assert await send_mass_mail(datatuple) == 5

    received = delivery.received()
    assert [r.message["Subject"] for r in received] == [f"Subject {i}" for i in range(5)]
    assert [r.message["To"] for r in received] == [f"user{i}@example.com" for i in range(5)]


@pytest.mark.parametrize(
    ("subject", "from_email", "to", "headers"),
    [
        ("Evil\nBcc: victim@example.com", None, ["to@example.com"], None),
        ("Evil\r", None, ["to@example.com"], None),
        ("Line\u2028separator", None, ["to@example.com"], None),
        ("Fine", "from@example.com\nBcc: victim@example.com", ["to@example.com"], None),
        ("Fine", None, ["to@example.com\r\nBcc: victim@example.com"], None),
        ("Fine", None, ["to@example.com"], {"X-Tag": "a\nBcc: victim@example.com"}),
        ("Fine", None, ["to@example.com"], {"X-Bad\nName": "value"}),
    ],
)
async def test_newline_in_a_header_raises_bad_header_error_and_sends_nothing(
    delivery: Delivery,
    subject: str,
    from_email: str | None,
    to: list[str],
    headers: dict[str, str] | None,
) -> None:
    with pytest.raises(BadHeaderError):
        await send_mail(subject, "Body", from_email, to, headers=headers)

    assert delivery.received() == []


async def test_newline_in_cc_raises_bad_header_error_even_when_failing_silently(
    delivery: Delivery,
) -> None:
    with pytest.raises(BadHeaderError):
        await send_mail(
            "Fine", "Body", None, ["to@example.com"], cc=["a@example.com\nX: y"], fail_silently=True
        )

    assert delivery.received() == []


async def test_send_mass_mail_with_one_bad_message_sends_none_of_them(
    delivery: Delivery,
) -> None:
    datatuple = [
        ("Good 1", "Body", None, ["a@example.com"]),
        ("Bad\nSubject", "Body", None, ["b@example.com"]),
        ("Good 2", "Body", None, ["c@example.com"]),
    ]

    with pytest.raises(BadHeaderError):
        await send_mass_mail(datatuple)

    assert delivery.received() == []


@pytest.mark.parametrize(
    "address", ["not an address", "user@", "@example.com", "a@b@c", "a@example.com, b@example.com"]
)
async def test_invalid_address_is_rejected_before_anything_is_sent(
    delivery: Delivery, address: str
) -> None:
    with pytest.raises(MailError, match="not a valid email address"):
        await send_mass_mail(
            [("First", "Body", None, ["ok@example.com"]), ("Second", "Body", None, [address])]
        )

    assert delivery.received() == []


async def test_message_without_recipients_is_not_sent(delivery: Delivery) -> None:
    assert await send_mail("Nobody", "Body", None, []) == 0
    assert delivery.received() == []


async def test_one_connection_as_context_manager_sends_several_messages(
    delivery: Delivery,
) -> None:
    async with get_connection() as connection:
        for i in range(3):
            sent = await send_mail(f"M{i}", "Body", None, ["to@example.com"], connection=connection)
            assert sent == 1

    assert [r.message["Subject"] for r in delivery.received()] == ["M0", "M1", "M2"]
    if delivery.server is not None:
        assert delivery.server.connections == 1
