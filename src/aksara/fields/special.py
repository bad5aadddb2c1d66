"""Special fields: Boolean, UUID, JSON, Enum, IPAddress, Binary.

Slug, FilePath, Array and Vector have modules of their own (``slug``, ``filepath``,
``array``, ``vector``).
"""

from __future__ import annotations

import decimal
import enum
import ipaddress
import json
import marshal
import uuid
from typing import Any, ClassVar, Unpack, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from typing_extensions import TypeVar

from aksara._json import dumps, loads, strict_text
from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields._values import MARSHAL, same_bytes
from aksara.fields._values import copy_data as _copy_data
from aksara.fields.base import Field, FieldOptions, N
from aksara.types import EnumType, IPAddressType, format_ip


class Boolean(Field[bool, N]):
    """True/False. PostgreSQL type: ``BOOLEAN``.

    ``is_active = fields.Boolean(default=True)``
    """

    ai_type: ClassVar[str] = "boolean"

    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        raise ValidationError(f"Expected boolean, got {type(value).__name__}")

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        return "v is True or v is False"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Boolean()


class UUID(Field[uuid.UUID, N]):
    """Universally unique identifier. PostgreSQL type: ``UUID``.

    ``external_id = fields.UUID()``; strings in any standard form are accepted.
    """

    def to_python(self, value: Any) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        raise ValidationError(f"Invalid UUID {value!r}")

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        names["UUID"] = uuid.UUID
        return "type(v) is UUID"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.UUID(as_uuid=True)

    def sa_column_kwargs(self) -> dict[str, Any]:
        if self.primary_key:
            return {"server_default": sa.text("gen_random_uuid()")}
        return {}

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "uuid"
        return info


#: The type a JSON field's values have to checkers: ``Any`` unless the field says
#: (``fields.JSON[dict[str, int]](default=dict)``, or ``aksara.types.JSONValue``).
J = TypeVar("J", default=Any)


class JSON(Field[J, N]):
    """Any JSON-serialisable value, stored as ``JSONB``. ``metadata = fields.JSON(default=dict)``

    Reads as ``Any`` to type checkers; ``fields.JSON[dict[str, int]](default=dict)`` reads as
    ``dict[str, int]`` (what is stored is checked as JSON, not against that type).

    Key paths are queried with double underscores, and their values compare as JSON
    (numbers as numbers)::

        User.objects.filter(preferences__theme="dark")
        User.objects.filter(preferences__limits__daily__gte=10)
        User.objects.filter(preferences__theme=None)           # the key holds JSON null
        User.objects.filter(preferences__theme__isnull=True)   # the key is missing
        User.objects.filter(preferences__has_key="theme")
        User.objects.filter(preferences__contains={"theme": "dark"})   # JSONB @>

    ``None`` is stored as SQL ``NULL`` (``nullable=True`` needed). In-place changes to
    a loaded dict or list are saved.
    """

    mutable: ClassVar[bool] = True
    ai_type: ClassVar[str] = "object"

    def to_query(self, value: Any) -> Any:
        try:
            strict_text(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"Value is not JSON serialisable: {exc}") from None
        return value

    def clean(self, value: Any, instance: Any = None) -> Any:
        # JSON null is a value of its own: None is stored as SQL NULL when nullable.
        if value is None:
            return super().clean(value, instance)
        try:
            text = strict_text(value)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"Value is not JSON serialisable: {exc}") from None
        if "\\u0000" in text and _has_nul(value):
            raise ValidationError("JSON text cannot contain NUL characters (\\u0000)")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationError("JSON text contains unpaired surrogate characters") from None
        if "e+" in text or _needs_normalising(value):
            # What the database will give back: string keys, lists for tuples, and numbers
            # such as 1e+23 as PostgreSQL prints them (100000000000000000000000, an integer).
            value = json.loads(text, parse_float=_postgres_number)
        if self.choices is not None:
            self.validate_choices(value)
        self.validate(value)
        return value

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        # A value with the marshal bytes of the (clean) list or dict default is that
        # default, type for type: clean() gives it back as it is.
        default = self.default
        if type(default) not in (dict, list):
            return None
        try:
            if not _same_data(self.clean(_copy_data(default)), default):
                return None
            names[key + "bytes"] = marshal.dumps(default, MARSHAL)
        except (ValidationError, ValueError):
            return None
        names["same_bytes"] = same_bytes  # False for what marshal cannot hold: clean() says
        kind = type(default).__name__
        return f"type(v) is {kind} and same_bytes(v, {key}bytes)"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.JSONB(none_as_null=True)

    def snapshot(self, value: Any) -> Any:
        # marshal's encoding is exact about types (1, 1.0 and True differ), so equal bytes
        # mean equal values, and it is several times cheaper than copying the value.
        try:
            return marshal.dumps(value, MARSHAL)
        except ValueError:  # a subclass of dict/list/str assigned by the application
            return _copy_data(value)

    def changed(self, value: Any, snapshot: Any) -> bool:
        if type(snapshot) is str:  # the JSON text as loaded (``_json_text``): decoded now
            snapshot = marshal.dumps(loads(snapshot), MARSHAL)
        if type(snapshot) is bytes:
            try:
                return marshal.dumps(value, MARSHAL) != snapshot
            except ValueError:  # a subclass inside (an enum member): compared as sent
                try:
                    return marshal.dumps(loads(dumps(value)), MARSHAL) != snapshot
                except (TypeError, ValueError, RecursionError):
                    return True
        return bool(value != snapshot)


#: An Enum field's enum class (``Any`` for a bare ``fields.Enum`` annotation).
EN = TypeVar("EN", bound=enum.Enum, default=Any)


class Enum(Field[EN, N]):
    """One member of an ``enum.Enum``. PostgreSQL type: ``VARCHAR`` holding the member's value.

    ``status = fields.Enum(enum_class=Status, default=Status.DRAFT)`` accepts
    ``Status.DRAFT`` or ``"draft"`` and gives back ``Status.DRAFT``. ``max_length``
    (optional) makes the column ``VARCHAR(max_length)``. Adding members needs no
    migration; renaming a value does.
    """

    def __init__(
        self,
        *,
        enum_class: type[EN] | None = None,
        max_length: int | None = None,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        if enum_class is None:
            raise ConfigurationError("Enum() needs enum_class=<an enum.Enum subclass>")
        # A run-time check: untyped callers may pass anything.
        if not (isinstance(enum_class, type) and issubclass(enum_class, enum.Enum)):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(
                f"Enum(enum_class=...) needs an enum.Enum subclass, got {enum_class!r}"
            )
        if not len(enum_class):
            raise ConfigurationError(f"Enum(enum_class={enum_class.__name__}) has no members")
        longest = max(len(str(member.value)) for member in enum_class)
        if max_length is not None and max_length < longest:
            raise ConfigurationError(
                f"Enum(max_length={max_length}) is shorter than the longest value of "
                f"{enum_class.__name__} ({longest} characters)"
            )
        super().__init__(**options)
        self.enum_class: type[EN] = enum_class
        self.max_length = max_length
        self._by_text: dict[str, EN] = {str(member.value): member for member in enum_class}
        if self.has_default() and self.default is not None and not callable(self.default):
            try:
                self.default = self.to_python(self.default)
            except ValidationError as error:
                raise ConfigurationError(f"Enum(default=...): {error.messages[0]}") from None

    def to_python(self, value: Any) -> EN:
        if isinstance(value, self.enum_class):
            return value
        try:
            return self.enum_class(value)
        except ValueError:
            pass
        if isinstance(value, str) and value in self._by_text:
            return self._by_text[value]  # "1" for an IntEnum, as the column holds it
        allowed = ", ".join(repr(member.value) for member in self.enum_class)
        raise ValidationError(
            f"Value {value!r} is not a valid {self.enum_class.__name__} (choose from {allowed})"
        )

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return EnumType(self.enum_class, self.max_length)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        if "default" in info:
            info["default"] = info["default"].value
        info["enum"] = [member.value for member in self.enum_class]
        return info


#: The label and address classes of each protocol; typed as plain classes, so that checking
#: an address against them is not taken for a foregone conclusion.
_IP_PROTOCOLS: dict[str, tuple[str, tuple[type[Any], ...]]] = {
    "both": ("IPv4 or IPv6", (ipaddress.IPv4Address, ipaddress.IPv6Address)),
    "ipv4": ("IPv4", (ipaddress.IPv4Address,)),
    "ipv6": ("IPv6", (ipaddress.IPv6Address,)),
}


class IPAddress(Field[str, N]):
    """One IPv4 or IPv6 host address. PostgreSQL type: ``INET``.

    ``client_ip = fields.IPAddress(protocol="ipv4")``. ``protocol`` is ``"both"`` (the
    default), ``"ipv4"`` or ``"ipv6"``; ``unpack_ipv4=True`` (with ``"both"``) turns an
    IPv4-mapped IPv6 address such as ``::ffff:192.0.2.1`` into ``192.0.2.1``. Values are
    strings in canonical form (``2001:db8::1``); ``ipaddress`` objects are accepted.
    Networks (``10.0.0.0/8``) are not addresses and are rejected.
    """

    def __init__(
        self,
        *,
        protocol: str = "both",
        unpack_ipv4: bool = False,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(**options)
        # A run-time check: untyped callers may pass anything.
        protocol = protocol.lower() if isinstance(protocol, str) else protocol  # pyright: ignore[reportUnnecessaryIsInstance]
        if protocol not in _IP_PROTOCOLS:
            raise ConfigurationError(
                f"IPAddress(protocol=...) must be 'both', 'ipv4' or 'ipv6', got {protocol!r}"
            )
        if unpack_ipv4 and protocol != "both":
            raise ConfigurationError("IPAddress(unpack_ipv4=True) needs protocol='both'")
        self.protocol = protocol
        self.unpack_ipv4 = unpack_ipv4

    def to_python(self, value: Any) -> str:
        label, kinds = _IP_PROTOCOLS[self.protocol]
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            address = value
        elif isinstance(value, str):
            try:
                address = ipaddress.ip_address(value.strip())
            except ValueError:
                raise ValidationError(f"Enter a valid {label} address") from None
        else:
            raise ValidationError(f"Expected an IP address string, got {type(value).__name__}")
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            # INET has no zone: storing it would silently drop the "%eth0" part.
            raise ValidationError("Scoped IPv6 addresses (with a %zone) cannot be stored")
        if self.unpack_ipv4 and isinstance(address, ipaddress.IPv6Address):
            address = address.ipv4_mapped or address
        if not isinstance(address, kinds):
            raise ValidationError(f"Enter a valid {label} address")
        return format_ip(address)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return IPAddressType()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = {"both": "ip", "ipv4": "ipv4", "ipv6": "ipv6"}[self.protocol]
        return info


class Binary(Field[bytes, N]):
    """Raw bytes. PostgreSQL type: ``BYTEA``.

    ``file_hash = fields.Binary()``; accepts ``bytes``, ``bytearray``, ``memoryview`` and
    ``str`` (encoded as UTF-8); values read back are ``bytes``. ``max_length`` limits the
    size in bytes. Hidden from AI agents by default (``ai_sensitive=True``,
    ``ai_agent_writable=False``).
    """

    default_ai_sensitive: ClassVar[bool] = True
    default_ai_agent_writable: ClassVar[bool] = False

    def __init__(
        self, *, max_length: int | None = None, **options: Unpack[FieldOptions[N]]
    ) -> None:
        super().__init__(**options)
        self.max_length = max_length

    def to_python(self, value: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        if isinstance(value, (bytearray, memoryview)):
            return bytes(cast("bytearray | memoryview[Any]", value))
        if isinstance(value, str):
            return value.encode("utf-8")
        raise ValidationError(f"Expected bytes, got {type(value).__name__}")

    def validate(self, value: bytes) -> None:
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                f"Ensure this value has at most {self.max_length} bytes (it has {len(value)})"
            )

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.LargeBinary()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info.pop("default", None)
        info["format"] = "binary"
        if self.max_length is not None:
            info["max_length"] = self.max_length
        return info


def _same_data(a: Any, b: Any) -> bool:
    """Equal JSON-like data, type for type (``1``, ``1.0`` and ``True`` differ)."""
    return marshal.dumps(a, MARSHAL) == marshal.dumps(b, MARSHAL)


def _has_nul(value: Any) -> bool:
    """True when a string (or a key) anywhere in a JSON value holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in cast("dict[Any, Any]", value).items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in cast("list[Any] | tuple[Any, ...]", value))
    return False


def _needs_normalising(value: Any) -> bool:
    """True when JSON would not give ``value`` back as it is (tuples, non-string keys)."""
    data: object = value  # ``type(value)`` would be ``type[Unknown]``
    kind = type(data)
    if kind is dict:
        return any(type(k) is not str or _needs_normalising(v) for k, v in value.items())
    if kind is list:
        return any(_needs_normalising(v) for v in value)
    return kind is tuple or isinstance(value, (dict, list))


def _postgres_number(text: str) -> Any:
    """A JSON number as JSONB stores and prints it: ``1e+23`` has no fraction, so it comes
    back as the integer 10**23; ``1.5`` and ``1e-07`` stay floats."""
    number = decimal.Decimal(text)
    exponent = number.as_tuple().exponent
    if "e" in text.lower() and isinstance(exponent, int) and exponent >= 0:
        return int(number)
    return float(text)
