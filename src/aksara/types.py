"""Custom SQLAlchemy column types: the conversions some fields need between Python and PostgreSQL.

Each is a ``TypeDecorator`` over a native PostgreSQL type with ``cache_ok = True``; its
constructor arguments are hashable and kept under attributes of the same name, so
SQLAlchemy's compiled-statement cache hits (see ``ExternalType.cache_ok``). Vector
columns use ``VectorType``, pgvector's ``VECTOR`` with a faster parameter encoding.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import ipaddress
import os
from typing import Any

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Dialect

__all__ = [
    "DurationType",
    "VectorType",
    "EnumType",
    "FilePathType",
    "IPAddressType",
    "SlugType",
    "format_ip",
]


class DurationType(sa.types.TypeDecorator[dt.timedelta]):
    """``INTERVAL`` holding a ``timedelta``; a number binds as that many seconds."""

    impl = pg.INTERVAL
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.timedelta | None:
        if value is None or isinstance(value, dt.timedelta):
            return value
        if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
            return dt.timedelta(seconds=float(value))
        raise TypeError(f"Cannot bind {type(value).__name__} as an interval")


class _Varchar(sa.types.TypeDecorator[str]):
    """``VARCHAR(length)`` whose values bind as ``str``."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int | None = None) -> None:
        super().__init__(length)
        self.length = length


class SlugType(_Varchar):
    """``VARCHAR(length)`` holding a slug."""

    cache_ok = True  # SQLAlchemy reads it from each class itself

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(value)


class FilePathType(_Varchar):
    """``VARCHAR(length)`` holding a file system path; ``os.PathLike`` values bind as strings."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return str(os.fspath(value))


class EnumType(sa.types.TypeDecorator[enum.Enum]):
    """``VARCHAR`` holding the *value* of an ``enum.Enum`` member; reads give the member back.

    Values are stored as text (``str(member.value)``), so an ``IntEnum`` works too. A member
    or its value binds; an unknown value read from the database raises ``LookupError``.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[enum.Enum], length: int | None = None) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length
        self._by_text = {str(member.value): member for member in enum_class}

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, self.enum_class):
            return str(value.value)
        return str(self.enum_class(value).value)

    def process_result_value(self, value: Any, dialect: Dialect) -> enum.Enum | None:
        if value is None:
            return None
        try:
            return self._by_text[value]
        except KeyError:
            raise LookupError(
                f"{value!r} read from the database is not a value of {self.enum_class.__name__}"
            ) from None


def format_ip(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The canonical text of an address: compressed, IPv4-mapped IPv6 as ``::ffff:a.b.c.d``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


class IPAddressType(sa.types.TypeDecorator[str]):
    """``INET`` holding one host address, exchanged with Python as its canonical string."""

    impl = pg.INET
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return value
        return ipaddress.ip_address(str(value).strip())

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, (ipaddress.IPv4Interface, ipaddress.IPv6Interface)):
            # A row written outside aksara with a netmask: keep the address/prefix text.
            return str(value)
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return format_ip(value)
        return str(value)


class VectorType(VECTOR):
    """pgvector's ``VECTOR`` whose parameters travel in pgvector's binary format.

    A parameter is compiled as ``CAST($1 AS VECTOR(n))`` and packed by the binary codec
    aksara installs on a connection when it first needs it (``aksara.db.vector_codec``):
    no decimal formatting of every number on the client, and no text to parse on the
    server. pgvector stores float4, so nothing is lost. Columns are selected as pgvector's
    text, parsed into the shortest decimals of each float4.
    """

    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return sa.cast(bindvalue, VECTOR(self.dim))

    def bind_processor(self, dialect: Dialect) -> Any:
        return None  # lists, tuples, numpy arrays and pgvector.Vector go to the codec as they are

    def column_expression(self, colexpr: Any) -> Any:
        # Text whatever codec the connection has: parsing pgvector's shortest decimals is
        # cheaper than finding them from binary float4s.
        return sa.cast(colexpr, sa.Text)
