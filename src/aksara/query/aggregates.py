"""Aggregates for ``QuerySet.aggregate()``: Count, Sum, Avg, Min, Max."""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa


class Aggregate:
    function: ClassVar[str]
    __slots__ = ("field", "distinct")

    def __init__(self, field: str = "*", *, distinct: bool = False) -> None:
        self.field = field
        self.distinct = distinct

    @property
    def default_alias(self) -> str:
        return f"{self.field.replace('*', 'all')}__{self.function.lower()}"

    def expression(self, column: Any) -> Any:
        fn = getattr(sa.func, self.function.lower())
        arg = sa.distinct(column) if self.distinct else column
        return fn(arg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field!r})"


class Count(Aggregate):
    function = "COUNT"

    def __init__(self, field: str = "*", *, distinct: bool = False) -> None:
        super().__init__(field, distinct=distinct)

    def expression(self, column: Any) -> Any:
        if column is None:
            return sa.func.count()
        return super().expression(column)


class Sum(Aggregate):
    function = "SUM"


class Avg(Aggregate):
    function = "AVG"


class Min(Aggregate):
    function = "MIN"


class Max(Aggregate):
    function = "MAX"
