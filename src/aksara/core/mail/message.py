"""``EmailMessage`` and ``EmailMultiAlternatives``: what to send, built into a standard MIME message."""

from __future__ import annotations

import email.message
import email.policy
import email.utils
import mimetypes
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from aksara._concurrency import run_in_thread
from aksara.conf import get_settings
from aksara.core.mail._headers import (
    address_list,
    check_header_name,
    check_header_value,
    parse_address,
    parse_addresses,
)
from aksara.exceptions import MailError

if TYPE_CHECKING:
    from aksara.core.mail.backends.base import BaseEmailBackend

DEFAULT_ATTACHMENT_MIMETYPE = "application/octet-stream"

# Headers the message writes from its own attributes; extra headers of the same name
# replace the written value (the envelope still comes from the attributes).
_ADDRESS_HEADERS = {"from": "From", "to": "To", "cc": "Cc", "reply-to": "Reply-To"}


class _CachingHeaderRegistry(HeaderRegistry):
    # The stdlib registry creates a new header class on every lookup; building a
    # message looks up about ten, so keep the classes (they depend only on the name).
    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


# email.policy.default, with the header classes cached.
POLICY = email.policy.default.clone(header_factory=_CachingHeaderRegistry())


class Envelope(NamedTuple):
    """Who a message is sent from and to over SMTP (``MAIL FROM`` and ``RCPT TO``)."""

    sender: str
    recipients: list[str]


@dataclass(frozen=True, slots=True)
class _Checked:
    sender: Address
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    reply_to: list[Address]
    extra_headers: dict[str, tuple[str, str]]


class Attachment(NamedTuple):
    """One attachment: file name shown to the recipient, content, MIME type."""

    filename: str | None
    content: str | bytes
    mimetype: str


class EmailMessage:
    """One email: subject, plain-text body, sender, recipients, attachments and extra headers.

    ``from_email=None`` uses the ``default_from_email`` setting. ``bcc`` recipients get the
    message but never appear in its headers. ``message()`` builds the standard
    ``email.message.EmailMessage``; bad input (a newline in a header, an unparseable
    address) raises ``BadHeaderError`` or ``MailError`` there, before any backend connects::

        msg = EmailMessage("Report", "See attached.", None, ["boss@example.com"], cc=["me@example.com"])
        msg.attach("report.csv", "a,b\\n1,2\\n", "text/csv")
        await msg.send()
    """

    content_subtype = "plain"

    def __init__(
        self,
        subject: str = "",
        body: str = "",
        from_email: str | None = None,
        to: Sequence[str] | None = None,
        *,
        cc: Sequence[str] | None = None,
        bcc: Sequence[str] | None = None,
        reply_to: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        attachments: Iterable[Attachment | tuple[str | None, str | bytes, str | None]]
        | None = None,
        connection: BaseEmailBackend | None = None,
    ) -> None:
        self.subject = subject
        self.body = body or ""
        self.from_email = from_email or get_settings().default_from_email
        self.to = address_list(to, field="to")
        self.cc = address_list(cc, field="cc")
        self.bcc = address_list(bcc, field="bcc")
        self.reply_to = address_list(reply_to, field="reply_to")
        self.extra_headers: dict[str, str] = dict(headers or {})
        self.attachments: list[Attachment] = []
        for attachment in attachments or ():
            if isinstance(attachment, Attachment):
                self.attachments.append(attachment)
            else:
                self.attach(*attachment)
        self.connection = connection

    def __repr__(self) -> str:
        return f"<{type(self).__name__} subject={self.subject!r} to={self.to!r}>"

    def recipients(self) -> list[str]:
        """Envelope recipients: the addresses of To, Cc and Bcc, without duplicates.

        Raises ``MailError`` (or ``BadHeaderError``) on an invalid address.
        """
        return _unique(
            parse_addresses(self.to, field="to")
            + parse_addresses(self.cc, field="cc")
            + parse_addresses(self.bcc, field="bcc")
        )

    def envelope(self) -> Envelope:
        """Check every header, address and attachment name, and return the SMTP envelope.

        Cheaper than ``message()`` (nothing is built), so backends check a whole batch
        with it before sending any. Raises ``BadHeaderError`` or ``MailError``.
        """
        checked = self._check()
        return Envelope(checked.sender.addr_spec, _unique(checked.to + checked.cc + checked.bcc))

    def attach(
        self, filename: str | None, content: str | bytes, mimetype: str | None = None
    ) -> None:
        """Attach ``content`` as a file called ``filename``.

        Without ``mimetype`` it is guessed from the file name. Text types are sent as
        UTF-8 text; ``bytes`` of a text type that are not UTF-8 are sent as
        ``application/octet-stream``.
        """
        if filename is not None:
            check_header_value("attachment filename", filename)
        if mimetype is None:
            guessed = mimetypes.guess_type(filename)[0] if filename else None
            mimetype = guessed or DEFAULT_ATTACHMENT_MIMETYPE
        if not is_mime_type(mimetype):
            raise MailError(f"attachment {filename!r}: {mimetype!r} is not a MIME type")
        maintype = mimetype.partition("/")[0]
        if maintype == "text" and isinstance(content, bytes):
            try:
                content = content.decode("utf-8")
            except UnicodeDecodeError:
                mimetype = DEFAULT_ATTACHMENT_MIMETYPE
        self.attachments.append(Attachment(filename, content, mimetype))

    async def attach_file(self, path: str | os.PathLike[str], mimetype: str | None = None) -> None:
        """Read the file at ``path`` (in a worker thread) and attach it under its own name."""
        file = Path(path)
        content, guessed = await run_in_thread(_read_file, file)
        self.attach(file.name, content, mimetype or guessed)

    def message(self) -> email.message.EmailMessage:
        """Build the standard ``email.message.EmailMessage`` (without any Bcc header)."""
        checked = self._check()
        extra = dict(checked.extra_headers)
        msg = email.message.EmailMessage(policy=POLICY)
        msg["Subject"] = self.subject
        addresses = {
            "From": [checked.sender],
            "To": checked.to,
            "Cc": checked.cc,
            "Reply-To": checked.reply_to,
        }
        for name, mailboxes in addresses.items():
            if name.lower() in extra:
                msg[name] = extra.pop(name.lower())[1]
            elif mailboxes:
                msg[name] = mailboxes
        msg["Date"] = extra.pop("date")[1] if "date" in extra else _now()
        if "message-id" in extra:
            msg["Message-ID"] = extra.pop("message-id")[1]
        else:
            msg["Message-ID"] = email.utils.make_msgid(domain=checked.sender.domain)
        for name, value in extra.values():
            msg[name] = value
        self._set_body(msg)
        for attachment in self.attachments:
            _add_attachment(msg, attachment)
        return msg

    async def send(self, fail_silently: bool = False) -> int:
        """Send this message through ``connection`` (or a new one); return 1 if sent, else 0."""
        from aksara.core.mail.backends import get_connection

        connection = self.connection or get_connection(fail_silently=fail_silently)
        return await connection.send_messages([self])

    def _check(self) -> _Checked:
        check_header_value("Subject", self.subject)
        extra: dict[str, tuple[str, str]] = {}
        for name, value in self.extra_headers.items():
            check_header_name(name)
            check_header_value(name, value)
            key = name.lower()
            if key in ("bcc", "resent-bcc"):
                raise MailError(
                    f"headers: {name!r} is not allowed; pass bcc=[...] so those addresses stay "
                    "out of the message"
                )
            extra[key] = (_ADDRESS_HEADERS.get(key, name), value)
        for attachment in self.attachments:
            if attachment.filename is not None:
                check_header_value("attachment filename", attachment.filename)
        return _Checked(
            sender=parse_address(self.from_email, field="from_email"),
            to=parse_addresses(self.to, field="to"),
            cc=parse_addresses(self.cc, field="cc"),
            bcc=parse_addresses(self.bcc, field="bcc"),
            reply_to=parse_addresses(self.reply_to, field="reply_to"),
            extra_headers=extra,
        )

    def _set_body(self, msg: email.message.EmailMessage) -> None:
        msg.set_content(self.body, subtype=self.content_subtype)


class EmailMultiAlternatives(EmailMessage):
    """An ``EmailMessage`` with alternative renderings of the body, such as HTML.

    ``attach_alternative(html, "text/html")`` makes the message ``multipart/alternative``
    (plain text first, so clients that cannot show HTML show the text)::

        msg = EmailMultiAlternatives("Welcome", "Hello!", None, ["user@example.com"])
        msg.attach_alternative("<p>Hello!</p>", "text/html")
    """

    def __init__(
        self,
        subject: str = "",
        body: str = "",
        from_email: str | None = None,
        to: Sequence[str] | None = None,
        *,
        cc: Sequence[str] | None = None,
        bcc: Sequence[str] | None = None,
        reply_to: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        attachments: Iterable[Attachment | tuple[str | None, str | bytes, str | None]]
        | None = None,
        alternatives: Iterable[tuple[str, str]] | None = None,
        connection: BaseEmailBackend | None = None,
    ) -> None:
        super().__init__(
            subject,
            body,
            from_email,
            to,
            cc=cc,
            bcc=bcc,
            reply_to=reply_to,
            headers=headers,
            attachments=attachments,
            connection=connection,
        )
        self.alternatives: list[tuple[str, str]] = []
        for content, mimetype in alternatives or ():
            self.attach_alternative(content, mimetype)

    def attach_alternative(self, content: str, mimetype: str) -> None:
        """Add another rendering of the body, e.g. ``attach_alternative(html, "text/html")``."""
        if not is_mime_type(mimetype) or mimetype.partition("/")[0].lower() != "text":
            raise MailError(f"alternative: expected a text/* MIME type, got {mimetype!r}")
        if not isinstance(content, str):  # pyright: ignore[reportUnnecessaryIsInstance] # run-time check for untyped callers
            raise TypeError(f"alternative content must be a string, got {type(content).__name__}")
        self.alternatives.append((content, mimetype))

    def _set_body(self, msg: email.message.EmailMessage) -> None:
        super()._set_body(msg)
        for content, mimetype in self.alternatives:
            msg.add_alternative(content, subtype=mimetype.partition("/")[2])


#: ``type/subtype`` with the characters RFC 6838 allows in names: no parameters, no controls.
_MIME_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
)


def is_mime_type(value: object) -> bool:
    """True for a bare MIME type (``application/pdf``): parameters and control characters
    would be written into the part's header as they are."""
    return isinstance(value, str) and _MIME_TYPE.fullmatch(value) is not None


def _unique(addresses: list[Address]) -> list[str]:
    return list(dict.fromkeys(a.addr_spec for a in addresses))


def _now() -> str:
    return email.utils.format_datetime(datetime.now(UTC))


def _read_file(path: Path) -> tuple[bytes, str | None]:
    return path.read_bytes(), mimetypes.guess_type(path.name)[0]


def _add_attachment(msg: email.message.EmailMessage, attachment: Attachment) -> None:
    filename, content, mimetype = attachment
    maintype, _, subtype = mimetype.partition("/")
    if isinstance(content, str):
        if maintype == "text":
            msg.add_attachment(content, subtype=subtype, filename=filename)
            return
        content = content.encode("utf-8")
    msg.add_attachment(content, maintype, subtype, filename=filename)
