"""Text fields: String, Text, Email, URL."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Unpack
from urllib.parse import urlsplit

import sqlalchemy as sa

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import Field, FieldOptions, N


class TextOptions(FieldOptions[N], total=False):
    """The options of text fields besides ``max_length``."""

    min_length: int | None
    regex: str | None
    strip_whitespace: bool


class _TextField(Field[str, N]):
    """Shared behaviour of text fields: length bounds, strip, choices, regex, in that order."""

    def __init__(
        self,
        *,
        max_length: int | None = None,
        min_length: int | None = None,
        regex: str | None = None,
        strip_whitespace: bool = False,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(**options)
        # A run-time check: untyped callers may pass anything.
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(f"max_length must be a positive integer, got {max_length!r}")
        self.max_length = max_length
        self.min_length = min_length
        self.regex = regex
        self._pattern = re.compile(regex) if regex is not None else None
        self.strip_whitespace = strip_whitespace

    def clean(self, value: Any, instance: Any = None) -> str | None:
        if value is None:
            return super().clean(value, instance)
        return self._clean_text(self.to_python(value))

    def _clean_text(self, value: str) -> str:
        # Documented order: strip_whitespace -> min_length -> choices -> regex.
        if self.strip_whitespace:
            value = value.strip()
        if self.min_length is not None and len(value) < self.min_length:
            raise ValidationError(
                f"Ensure this value has at least {self.min_length} characters (it has {len(value)})"
            )
        if self.choices is not None:
            self.validate_choices(value)
        if self._pattern is not None and self._pattern.fullmatch(value) is None:
            raise ValidationError(f"Value does not match the pattern {self.regex!r}")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                f"Ensure this value has at most {self.max_length} characters (it has {len(value)})"
            )
        if "\x00" in value:
            raise ValidationError("Text cannot contain NUL characters")
        if not value.isascii():
            _check_encodable(value)
        self.validate(value)
        return value

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        raise ValidationError(f"Expected string, got {type(value).__name__}")

    shortcut_covers = ("clean", "to_python", "validate", "_clean_text")

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        if self.strip_whitespace or self.min_length is not None or self._pattern is not None:
            return None
        expr = "type(v) is str and v.isascii() and '\\x00' not in v"
        if self.max_length is not None:
            expr += f" and len(v) <= {int(self.max_length)}"
        return expr

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        if self.max_length is not None:
            info["max_length"] = self.max_length
        if self.min_length is not None:
            info["min_length"] = self.min_length
        if self.regex is not None:
            info["pattern"] = self.regex
        return info


class String(_TextField[N]):
    """Variable-length text with a maximum length. PostgreSQL type: ``VARCHAR(max_length)``.

    ``name = fields.String(max_length=100)``
    """

    def __init__(self, *, max_length: int = 255, **options: Unpack[TextOptions[N]]) -> None:
        super().__init__(max_length=max_length, **options)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(self.max_length)


class Text(_TextField[N]):
    """Unlimited text. PostgreSQL type: ``TEXT`` (``max_length`` is validated in Python only).

    ``content = fields.Text()``
    """

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Text()


# Addresses as Django's EmailValidator accepts them: a dot-atom or quoted local part, and a
# domain name (IDNA-encoded first), ``localhost`` or an address literal such as ``[192.0.2.1]``.
_EMAIL_USER = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*"
    r'|"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"',
    re.IGNORECASE,
)
_DOMAIN_LABEL = re.compile(r"(?!-)[A-Z0-9-]{1,63}(?<!-)", re.IGNORECASE)
_TLD = re.compile(r"(?!-)(?:[A-Z]{2,63}|XN--[A-Z0-9-]{1,59})(?<!-)", re.IGNORECASE)


def is_domain_name(host: str) -> bool:
    """A DNS name with a top-level domain (``example.com``, ``bücher.de``)."""
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or len(labels) < 2:
        return False
    return all(_DOMAIN_LABEL.fullmatch(label) for label in labels[:-1]) and bool(
        _TLD.fullmatch(labels[-1])
    )


def is_email(value: str) -> bool:
    user, at, domain = value.rpartition("@")
    if not at or not user or not domain or len(user) > 64:
        return False
    if not _EMAIL_USER.fullmatch(user):
        return False
    if domain.lower() == "localhost" or is_domain_name(domain):
        return True
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        literal = literal[5:] if literal.lower().startswith("ipv6:") else literal
        try:
            ipaddress.ip_address(literal)
        except ValueError:
            return False
        return True
    return False


class Email(String[N]):
    """An email address. PostgreSQL type: ``VARCHAR(254)`` (the longest address RFC 5321 allows).

    ``email = fields.Email(unique=True)``; a malformed address fails with "Invalid email format".
    """

    def __init__(self, *, max_length: int = 254, **options: Unpack[TextOptions[N]]) -> None:
        super().__init__(max_length=max_length, **options)

    def validate(self, value: str) -> None:
        if not is_email(value):
            raise ValidationError("Invalid email format")

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "email"
        return info


_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


def is_http_url(value: str) -> bool:
    """An absolute ``http``/``https`` URL with a valid host (a domain name, ``localhost`` or an IP)."""
    if _URL_FORBIDDEN.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return False
    host = parts.hostname
    if not host:
        return False
    if "[" in parts.netloc:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    if host == "localhost":
        return True
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return is_domain_name(host)


class URL(Text[N]):
    """An ``http://`` or ``https://`` URL. PostgreSQL type: ``TEXT``.

    ``website = fields.URL(nullable=True)``; other schemes and malformed URLs fail with
    "Invalid URL format".
    """

    def validate(self, value: str) -> None:
        if not is_http_url(value):
            raise ValidationError("Invalid URL format: expected an http:// or https:// URL")

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "uri"
        return info


def _check_encodable(value: str) -> None:
    """Refuse text PostgreSQL cannot store: UTF-8 has no encoding for unpaired surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("Text contains unpaired surrogate characters") from None
