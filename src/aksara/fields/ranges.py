"""Range fields: PostgreSQL's range types, their values as ``aksara.types.Range``.

``during = fields.DateTimeRange()`` holds ``Range(start, end)`` (lower bound included,
upper excluded by default: ``bounds="[)"``); ``Range(empty=True)`` is the empty range and
``None`` bounds are unbounded. A value may also be given as ``(lower, upper)`` or as the
dict a JSON body carries (``{"lower": ..., "upper": ..., "bounds": "[)"}``). Each bound is
validated as the field of its type would validate it, and the lower must not exceed the
upper. Lookups (``aksara.query.lookups.ranges``): ``contains`` (a value or a range),
``contained_by``, ``overlap``, ``fully_lt``, ``fully_gt``, ``adjacent_to``,
``startswith``, ``endswith``, ``isempty``.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Unpack

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from typing_extensions import TypeVar

from aksara.exceptions import ValidationError
from aksara.fields.base import Field, FieldOptions, N
from aksara.fields.numeric import BigInteger, Decimal, Integer
from aksara.fields.temporal import Date, DateTime
from aksara.types import Range

_BOUNDS = ("[)", "(]", "[]", "()")


#: The type of a range field's bounds.
V = TypeVar("V", default=Any)


class RangeField(Field[Range[V], N]):
    """The base of the range fields: a range of values of ``element()``. Each range field
    names its values' type again (``Field[Range[dt.date]]``) for schemas."""

    ai_type: ClassVar[str] = "object"
    #: PostgreSQL's range type.
    range_type: ClassVar[type[sa.types.TypeEngine[Any]]]
    #: Makes the field that validates one bound (and what ``contains=value`` compares with).
    #: A staticmethod, so that type checkers do not take it for a method to bind.
    element: ClassVar[staticmethod[[], Field[Any, Any]]]

    def __init__(self, **options: Unpack[FieldOptions[N]]) -> None:
        super().__init__(**options)
        self.base_field = type(self).element()

    def to_python(self, value: Any) -> Range[Any]:
        # ``given`` is narrowed by the checks below; ``value`` would stay Any.
        given: Range[Any] | Sequence[Any] | Mapping[Any, Any] = value
        if isinstance(given, Range):
            lower, upper, bounds, empty = given.lower, given.upper, given.bounds, given.empty
        elif isinstance(given, (list, tuple)) and len(given) == 2:
            (lower, upper), bounds, empty = given, "[)", False
        elif isinstance(given, dict) and set(given) <= {"lower", "upper", "bounds", "empty"}:
            lower, upper = given.get("lower"), given.get("upper")
            bounds, empty = given.get("bounds", "[)"), bool(given.get("empty", False))
        else:
            raise ValidationError(
                f"Expected a range: Range(lower, upper), (lower, upper) or "
                f'{{"lower": ..., "upper": ...}}, got {type(value).__name__}'
            )
        if empty:
            return Range(empty=True)
        if bounds not in _BOUNDS:
            raise ValidationError(f"Range bounds are one of {', '.join(_BOUNDS)}, got {bounds!r}")
        lower = None if lower is None else self._bound(lower, "lower")
        upper = None if upper is None else self._bound(upper, "upper")
        if lower is not None and upper is not None and lower > upper:
            raise ValidationError(f"The lower bound {lower!r} is past the upper bound {upper!r}")
        return Range(lower, upper, bounds=bounds)

    def _bound(self, value: Any, which: str) -> Any:
        try:
            return self.base_field.clean(value)
        except ValidationError as error:
            raise ValidationError(f"The {which} bound: {error.messages[0]}") from None

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return self.range_type()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["range_of"] = self.base_field.describe()
        return info


class IntegerRange(RangeField[int, N], Field[Range[int], N]):
    """A range of integers. PostgreSQL type: ``INT4RANGE``."""

    range_type = pg.INT4RANGE

    element = staticmethod(Integer)


class BigIntegerRange(RangeField[int, N], Field[Range[int], N]):
    """A range of big integers. PostgreSQL type: ``INT8RANGE``."""

    range_type = pg.INT8RANGE

    element = staticmethod(BigInteger)


class DecimalRange(RangeField[decimal.Decimal, N], Field[Range[decimal.Decimal], N]):
    """A range of exact decimals. PostgreSQL type: ``NUMRANGE``. Bounds keep their own
    digits: a range has no precision or scale to round them to."""

    range_type = pg.NUMRANGE
    element = staticmethod(lambda: _Bound(precision=1000, scale=500))


class DateRange(RangeField[dt.date, N], Field[Range[dt.date], N]):
    """A range of dates. PostgreSQL type: ``DATERANGE`` (PostgreSQL stores it as ``[)``)."""

    range_type = pg.DATERANGE

    element = staticmethod(Date)


class DateTimeRange(RangeField[dt.datetime, N], Field[Range[dt.datetime], N]):
    """A range of time-zone-aware datetimes. PostgreSQL type: ``TSTZRANGE``."""

    range_type = pg.TSTZRANGE

    element = staticmethod(DateTime)


class _Bound(Decimal[N]):
    """A NUMERIC bound as given: converted, never quantized to a scale."""

    def clean(self, value: Any, instance: Any = None) -> decimal.Decimal | None:
        return None if value is None else self.to_python(value)
