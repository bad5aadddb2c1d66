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
import math
import os
import struct
from typing import Any, ClassVar, TypeAlias, Union, cast

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.engine import Dialect

from aksara.exceptions import ValidationError

#: A value of a range field (SQLAlchemy's ``Range``): ``Range(1, 10)`` is ``[1,10)``;
#: ``Range(lower, upper, bounds="[]")``, ``Range(empty=True)``; ``None`` bounds are unbounded.
__all__ = [
    "Range",
    "JSONValue",
    "DurationType",
    "VectorType",
    "EnumType",
    "FilePathType",
    "IPAddressType",
    "SlugType",
    "format_ip",
]

#: Any JSON document, for a JSON field whose values checkers should know are JSON:
#: ``settings = fields.JSON[JSONValue](default=dict)``.
JSONValue: TypeAlias = Union[  # noqa: UP007  (a union that exists when the code runs)
    dict[str, "JSONValue"], list["JSONValue"], str, int, float, bool, None
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
        return str(os.fspath(cast("str | bytes | os.PathLike[Any]", value)))


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
    aksara installs on each new connection once a vector type exists, or on a connection
    lacking it when it first needs it (``aksara.db.vector_codec``): no decimal formatting of
    every number on the client, and no text to parse on the server. pgvector stores float4,
    so nothing is lost. Columns are selected as pgvector's text, parsed into the shortest
    decimals of each float4.
    """

    cache_ok = True

    #: Whether a vector type was made (a model's vector column, say): new connections then
    #: get the codec as they open (``aksara.db.vector_codec.on_connect``).
    in_use: ClassVar[bool] = False

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim)
        VectorType.in_use = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return sa.cast(bindvalue, VECTOR(self.dim))

    def bind_processor(self, dialect: Dialect) -> Any:
        return None  # lists, tuples, numpy arrays and pgvector.Vector go to the codec as they are

    def column_expression(self, colexpr: Any) -> Any:
        # Text whatever codec the connection has: parsing pgvector's shortest decimals is
        # cheaper than finding them from binary float4s.
        return sa.cast(colexpr, sa.Text)


# -- float32, as pgvector stores and PostgreSQL prints it ----------------------------------

_FLOAT32 = struct.Struct("f")
_BITS = struct.Struct("I")


def float32(value: float) -> float:
    """The float32 nearest ``value``, as its shortest decimal form (what PostgreSQL prints).

    pgvector stores float32, so ``0.12`` is stored as 0.119999997...; PostgreSQL prints
    it as ``0.12``, the shortest decimal that reads back as the same float32, and this
    returns the Python float of that decimal. A decimal exactly halfway between two
    float32s does not count, even where ties-to-even would read it back right: PostgreSQL
    never prints one (35200272 prints as ``3.5200272e+07``, not ``3.520027e+07``).
    Raises ``OverflowError`` past float32's range.
    """
    (single,) = _FLOAT32.unpack(_FLOAT32.pack(value))
    if not math.isfinite(single):
        raise OverflowError(f"{value} is out of range for float32")
    if single == 0.0:
        return single  # type: ignore[no-any-return]
    if abs(math.frexp(single)[0]) == 0.5:
        return _float32_power_of_two(single)
    # Otherwise the gaps to both neighbours are equal, and a correctly rounded decimal
    # with more digits is never farther away: the lengths that read back as `single`
    # are a suffix of 1..9, so binary search for the first one.
    low, high = 1, 9
    while low < high:
        digits = (low + high) // 2
        if _reads_back(float(f"{single:.{digits}g}"), single):
            high = digits
        else:
            low = digits + 1
    return float(f"{single:.{low}g}")


def _float32_power_of_two(single: float) -> float:
    # The float32 below a power of two is nearer than the one above, so the shortest
    # decimal that reads back may be rounded up rather than to nearest: at each length,
    # try the neighbours of the correctly rounded decimal too, and keep the nearest.
    exact = decimal.Decimal(single)
    for digits in range(1, 10):
        mantissa, exponent = f"{single:.{digits - 1}e}".split("e")
        units = int(mantissa.replace(".", "").replace("-", ""))
        sign = "-" if single < 0 else ""
        best: decimal.Decimal | None = None
        for candidate_units in (units - 1, units, units + 1):
            candidate = decimal.Decimal(f"{sign}{candidate_units}e{int(exponent) - digits + 1}")
            # No ``continue`` here: with one, pyright drops the None of ``best`` after the
            # loop and calls the check below unnecessary (like microsoft/pyright#10311).
            if _reads_back(float(candidate), single) and (
                best is None or abs(candidate - exact) < abs(best - exact)
            ):
                best = candidate
        if best is not None:
            return float(best)
    raise AssertionError("unreachable: 9 digits always identify a float32")


def _reads_back(number: float, single: float) -> bool:
    """True when ``number`` rounds to the float32 ``single`` and is not a tie."""
    if _FLOAT32.unpack(_FLOAT32.pack(number))[0] != single:
        return False
    if number == single:
        return True
    # Integer order of a float32's bits is the order of magnitudes: +1 is the neighbour
    # away from zero, -1 the one towards it (single is never 0 here).
    bits = _BITS.unpack(_FLOAT32.pack(single))[0] + (1 if abs(number) > abs(single) else -1)
    (neighbour,) = _FLOAT32.unpack(_BITS.pack(bits))
    return bool(number != (single + neighbour) / 2)  # midpoints are exact in a double


def float32_list(numbers: list[float]) -> list[float]:
    """Each number as ``float32()`` gives it; vectorised with numpy when it is installed
    (its shortest float32 strings are the same decimals, about four times faster)."""
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        with np.errstate(over="ignore"):
            singles = np.asarray(numbers, dtype=np.float32)
        if bool(np.isfinite(singles).all()):
            out: list[float] = list(map(float, singles.astype(str)))
            # numpy's shortest strings may be a tie between two float32s (see float32());
            # find those, rarely any, and take the Python path for them.
            shortest = np.asarray(out)
            wide = singles.astype(np.float64)
            towards = np.where(shortest > wide, np.float32(np.inf), np.float32(-np.inf))
            with np.errstate(over="ignore"):  # past float32's largest: inf, never a tie
                neighbour = np.nextafter(singles, towards.astype(np.float32)).astype(np.float64)
            for tie in np.flatnonzero((shortest != wide) & (shortest * 2 == wide + neighbour)):
                out[tie] = float32(float(singles[tie]))
            return out
    out = []
    for index, number in enumerate(numbers):
        try:
            out.append(float32(number))
        except OverflowError:
            raise ValidationError(f"Item {index}: {number} is out of range for float32") from None
    return out
