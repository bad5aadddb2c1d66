"""EmailMessage and EmailMultiAlternatives: the MIME message they build, and the input they refuse."""

from __future__ import annotations

import email.message
from pathlib import Path

import pytest

from aksara.conf import configure
from aksara.core.mail import (
    Attachment,
    BadHeaderError,
    EmailMessage,
    EmailMultiAlternatives,
    MailError,
)


def test_message_builds_a_standard_email_message_with_date_and_message_id() -> None:
    msg = EmailMessage(
        "Subject", "Body", "Site <noreply@example.com>", ["to@example.com"]
    ).message()

    assert isinstance(msg, email.message.EmailMessage)
    assert msg["Subject"] == "Subject"
    assert msg["From"] == "Site <noreply@example.com>"
    assert msg["Date"].datetime.tzinfo is not None
    assert msg["Message-ID"].endswith("@example.com>")
    assert msg.get_content() == "Body\n"


def test_from_email_defaults_to_the_setting_at_construction() -> None:
    configure(default_from_email="Default <default@example.com>")

    message = EmailMessage("S", "B", None, ["to@example.com"])

    assert message.from_email == "Default <default@example.com>"
    assert message.envelope().sender == "default@example.com"


def test_recipients_are_to_cc_and_bcc_addresses_without_duplicates() -> None:
    message = EmailMessage(
        "S",
        "B",
        None,
        ["A <a@example.com>", "b@example.com"],
        cc=["a@example.com", "c@example.com"],
        bcc=["d@example.com", "b@example.com"],
    )

    assert message.recipients() == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ]


def test_international_domain_is_sent_in_its_ascii_form() -> None:
    message = EmailMessage("S", "B", "x@exämple.com", ["Zoë <zoe@bücher.example>"])

    assert message.recipients() == ["zoe@xn--bcher-kva.example"]
    assert message.envelope().sender == "x@xn--exmple-cua.com"
    assert message.message()["To"].addresses[0].display_name == "Zoë"


def test_extra_headers_override_the_written_headers_but_not_the_envelope() -> None:
    message = EmailMessage(
        "S",
        "B",
        "real@example.com",
        ["real-to@example.com"],
        headers={
            "To": "Undisclosed recipients:;",
            "From": "shown@example.com",
            "Message-ID": "<id@x>",
        },
    )

    msg = message.message()

    assert msg["To"] == "Undisclosed recipients:;"
    assert msg["From"] == "shown@example.com"
    assert msg["Message-ID"] == "<id@x>"
    assert len(msg.get_all("To")) == 1
    assert message.recipients() == ["real-to@example.com"]
    assert message.envelope() == ("real@example.com", ["real-to@example.com"])


def test_bcc_in_extra_headers_is_refused() -> None:
    message = EmailMessage("S", "B", None, ["to@example.com"], headers={"bcc": "x@example.com"})

    with pytest.raises(MailError, match="pass bcc="):
        message.message()


@pytest.mark.parametrize("name", ["", "Has Space", "Colon:", "Tab\tName", "Ünicode"])
def test_invalid_header_name_raises_bad_header_error(name: str) -> None:
    with pytest.raises(BadHeaderError):
        EmailMessage("S", "B", None, ["to@example.com"], headers={name: "v"}).message()


def test_recipient_list_given_as_a_string_is_a_type_error() -> None:
    with pytest.raises(TypeError, match='"to" must be a list or tuple'):
        EmailMessage("S", "B", None, "to@example.com")  # type: ignore[arg-type]


def test_attach_guesses_the_mime_type_from_the_file_name() -> None:
    message = EmailMessage("S", "B", None, ["to@example.com"])
    message.attach("photo.png", b"\x89PNG")
    message.attach("unknown.zzz-none", b"...")

    assert message.attachments == [
        Attachment("photo.png", b"\x89PNG", "image/png"),
        Attachment("unknown.zzz-none", b"...", "application/octet-stream"),
    ]


def test_text_attachment_bytes_that_are_not_utf8_are_sent_as_octet_stream() -> None:
    message = EmailMessage("S", "B", None, ["to@example.com"])
    message.attach("latin1.txt", "café".encode("latin-1"), "text/plain")
    message.attach("utf8.txt", "café".encode(), "text/plain")

    assert message.attachments[0].mimetype == "application/octet-stream"
    assert message.attachments[1] == Attachment("utf8.txt", "café", "text/plain")


def test_attachment_with_newline_in_file_name_raises_bad_header_error() -> None:
    with pytest.raises(BadHeaderError):
        EmailMessage("S", "B", None, ["to@example.com"]).attach(
            "a\r\nX-Evil: 1", b"x", "text/plain"
        )


def test_attachment_with_a_bad_mime_type_is_refused() -> None:
    with pytest.raises(MailError, match="is not a MIME type"):
        EmailMessage("S", "B", None, ["to@example.com"]).attach("a", b"x", "nonsense")


def test_attachments_argument_accepts_triples() -> None:
    message = EmailMessage(
        "S", "B", None, ["to@example.com"], attachments=[("a.txt", "hello", None)]
    )

    assert message.attachments == [Attachment("a.txt", "hello", "text/plain")]


async def test_attach_file_reads_the_file_and_keeps_its_name(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7")
    message = EmailMessage("S", "B", None, ["to@example.com"])

    await message.attach_file(path)

    assert message.attachments == [Attachment("report.pdf", b"%PDF-1.7", "application/pdf")]


async def test_attach_file_of_a_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await EmailMessage("S", "B", None, ["to@example.com"]).attach_file(tmp_path / "nope")


def test_html_alternative_makes_multipart_alternative_with_plain_text_first() -> None:
    message = EmailMultiAlternatives("S", "Plain", None, ["to@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")

    msg = message.message()

    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_alternative_must_be_a_text_type() -> None:
    with pytest.raises(MailError, match="expected a text/\\* MIME type"):
        EmailMultiAlternatives("S", "B", None, ["to@example.com"]).attach_alternative(
            "x", "image/png"
        )


def test_html_body_via_content_subtype() -> None:
    message = EmailMessage("S", "<p>HTML only</p>", None, ["to@example.com"])
    message.content_subtype = "html"

    assert message.message().get_content_type() == "text/html"


def test_attribute_changed_after_construction_is_checked_when_built() -> None:
    message = EmailMessage("S", "B", None, ["to@example.com"])
    message.subject = "Now\nbad"

    with pytest.raises(BadHeaderError):
        message.message()


def test_envelope_checks_everything_without_building_the_message() -> None:
    message = EmailMessage(
        "S", "B", "From <f@example.com>", ["t@example.com"], bcc=["b@example.com"]
    )

    assert message.envelope() == ("f@example.com", ["t@example.com", "b@example.com"])
    message.subject = "bad\r\n"
    with pytest.raises(BadHeaderError):
        message.envelope()


def test_attachment_added_to_the_list_directly_is_checked_too() -> None:
    message = EmailMessage("S", "B", None, ["to@example.com"])
    message.attachments.append(Attachment("evil\nname.txt", "x", "text/plain"))

    with pytest.raises(BadHeaderError):
        message.envelope()
