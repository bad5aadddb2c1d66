"""Date and time parts: ``created_at__year``, ``__month``, ``__week_day``, ``__date``, ``__hour``.

filter(created_at__year=2024)                  EXTRACT(year FROM created_at AT TIME ZONE 'UTC')
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from aksara.fields.base import Field
from aksara.fields.numeric import Integer
from aksara.fields.temporal import Date, DateTime, Time
from aksara.query.lookups.base import derived

DATE_PARTS: dict[str, str] = {
    "year": "year",
    "iso_year": "isoyear",
    "quarter": "quarter",
    "month": "month",
    "week": "week",
    "day": "day",
    "week_day": "dow",
    "iso_week_day": "isodow",
}
TIME_PARTS: dict[str, str] = {"hour": "hour", "minute": "minute", "second": "second"}


class Extract:
    """``created_at__year``: one part of a date, time or timestamp as an integer.

    Timestamps are read in UTC, the time zone aksara stores and returns them in.
    """

    __slots__ = ("part", "utc", "output_field")

    def __init__(self, part: str, parent: Field[Any, Any], *, utc: bool) -> None:
        self.part = part
        self.utc = utc
        self.output_field = derived(Integer(), parent, part)

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        source = utc_wall_time(column) if self.utc else column
        value: Any = sa.extract(DATE_PARTS.get(self.part) or TIME_PARTS[self.part], source)
        if self.part == "week_day":
            value = value + 1
        elif self.part == "second":
            value = sa.func.floor(value)
        return sa.cast(value, sa.Integer())


def utc_wall_time(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    return sa.func.timezone(sa.literal("UTC", sa.Text()), column, type_=sa.DateTime())


class CastTransform:
    """``created_at__date`` / ``created_at__time``: the UTC date or time of a timestamp."""

    __slots__ = ("output_field", "sa_type")

    def __init__(self, name: str, output: Field[Any, Any], parent: Field[Any, Any]) -> None:
        self.output_field = derived(output, parent, name)
        self.sa_type = output.sa_type()

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.cast(utc_wall_time(column), self.sa_type)


def datetime_transform(name: str, parent: Field[Any, Any]) -> Any:
    if name in DATE_PARTS or name in TIME_PARTS:
        return Extract(name, parent, utc=True)
    if name == "date":
        return CastTransform(name, Date(), parent)
    if name == "time":
        return CastTransform(name, Time(), parent)
    return None


def date_transform(name: str, parent: Field[Any, Any]) -> Any:
    return Extract(name, parent, utc=False) if name in DATE_PARTS else None


def time_transform(name: str, parent: Field[Any, Any]) -> Any:
    return Extract(name, parent, utc=False) if name in TIME_PARTS else None


DateTime.register_transform(datetime_transform)
Date.register_transform(date_transform)
Time.register_transform(time_transform)
