"""Header and address checks shared by messages and backends: no newlines, only parseable mailboxes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email import _header_value_parser as parser
from email.errors import HeaderParseError, NonASCIILocalPartDefect
from email.headerregistry import Address
from typing import cast

from aksara.exceptions import BadHeaderError, MailError

# RFC 5322 field names: printable US-ASCII except ':'.
_FIELD_NAME_CHARS = frozenset(chr(c) for c in range(33, 127)) - {":"}
# Control characters no header value may hold (a tab may fold a long line).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What an envelope address (MAIL FROM / RCPT TO) may not hold, quoted or not: it would end
# the address or add parameters to the command (``"a> SIZE=1"@example.com``).
_ENVELOPE_UNSAFE = re.compile(r"[<>\s\x00-\x1f\x7f]")


def check_header_name(name: str) -> None:
    """Raise ``BadHeaderError`` unless ``name`` is a valid header field name."""
    if not isinstance(name, str) or not name or not set(name) <= _FIELD_NAME_CHARS:  # pyright: ignore[reportUnnecessaryIsInstance] # run-time check for untyped callers
        raise BadHeaderError(f"Header name {name!r} is not valid (printable ASCII without ':')")


def check_header_value(name: str, value: str) -> None:
    """Raise ``BadHeaderError`` if ``value`` would end the header line (CR, LF or another line break)."""
    if not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance] # run-time check for untyped callers
        raise TypeError(f"Header {name!r} must be a string, got {type(value).__name__}")
    # str.splitlines() knows every line break the email package refuses, not only CR and LF.
    if "\r" in value or "\n" in value or len(value.splitlines()) > 1:
        raise BadHeaderError(f"{name}: {value!r} contains a newline")
    if _CONTROL.search(value):
        raise BadHeaderError(f"{name}: {value!r} contains a control character")


def parse_address(value: str, *, field: str) -> Address:
    """Parse one mailbox (``"a@example.com"`` or ``"Name <a@example.com>"``) into an ``Address``.

    Newlines raise ``BadHeaderError``; anything that is not exactly one mailbox with a
    local part and a domain raises ``MailError`` naming ``field``. International domain
    names are converted to their ASCII (IDNA) form.
    """
    if not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance] # run-time check for untyped callers
        raise TypeError(f"{field}: an address must be a string, got {type(value).__name__}")
    check_header_value(field, value)
    invalid = MailError(f"{field}: {value!r} is not a valid email address")
    try:
        token, rest = parser.get_mailbox(value.strip())
    except (HeaderParseError, IndexError, ValueError):
        raise invalid from None
    # A non-ASCII local part is legal with SMTPUTF8; every other defect means a bad address.
    defects = [d for d in token.all_defects if not isinstance(d, NonASCIILocalPartDefect)]
    if rest.strip() or defects or not token.local_part or not token.domain:
        raise invalid
    domain = token.domain
    if _ENVELOPE_UNSAFE.search(token.local_part) or _ENVELOPE_UNSAFE.search(domain):
        raise invalid
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise invalid from None
    try:
        return Address(
            display_name=token.display_name or "", username=token.local_part, domain=domain
        )
    except (ValueError, IndexError):
        raise invalid from None


def parse_addresses(values: Iterable[str], *, field: str) -> list[Address]:
    return [parse_address(value, field=field) for value in values]


def address_list(value: object, *, field: str) -> list[str]:
    """Check that an address argument is a list or tuple of strings (not one bare string)."""
    if value is None:
        return []
    if isinstance(value, str):
        raise TypeError(f'"{field}" must be a list or tuple of addresses, not a string')
    if not isinstance(value, list | tuple):
        raise TypeError(
            f'"{field}" must be a list or tuple of addresses, got {type(value).__name__}'
        )
    for item in cast("Sequence[object]", value):
        if not isinstance(item, str):
            raise TypeError(f'"{field}" addresses must be strings, got {type(item).__name__}')
    return list(cast("Sequence[str]", value))
