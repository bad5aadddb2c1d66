"""Aggregates for ``QuerySet.aggregate()``: Count, Sum, Avg, Min, Max, StdDev, Variance,
BoolAnd, BoolOr, ArrayAgg, StringAgg and JSONBAgg.

Each takes ``distinct=True`` (``count(DISTINCT x)``), ``filter=Q(...)`` (``FILTER (WHERE
...)``: only the rows that match are aggregated) and ``default=`` (``COALESCE``: the value
when no row is aggregated, where SQL gives NULL). The ordered ones (``ArrayAgg``,
``StringAgg``, ``JSONBAgg``) take ``ordering=("-field", ...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from aksara import _json
from aksara.exceptions import QueryError
from aksara.query.expressions import Combinable, Q


class Aggregate(Combinable):
    """An aggregate function over one field (``"*"``: the rows themselves)."""

    function: ClassVar[str]
    #: Field names ordering the values inside the call (``OrderedAggregate``).
    ordering: tuple[str, ...] = ()
    __slots__ = ("field", "distinct", "filter", "default")

    def __init__(
        self,
        field: str = "*",
        *,
        distinct: bool = False,
        filter: Q | None = None,
        default: Any = None,
    ) -> None:
        if not isinstance(field, str):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError(f"{type(self).__name__}() takes a field name, got {field!r}")
        if filter is not None and not isinstance(filter, Q):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError(f"{type(self).__name__}(filter=...) takes a Q object, got {filter!r}")
        self.field = field
        self.distinct = distinct
        self.filter = filter
        self.default = default

    @property
    def default_alias(self) -> str:
        return f"{self.field.replace('*', 'all')}__{self.function.lower()}"

    def key(self) -> tuple[Any, ...]:
        """What changes this aggregate's SQL (its values go to the statement's parameters)."""
        return (type(self).__name__, self.field, self.distinct, self.default is not None)

    def check(self, field: Any) -> None:
        """Refuse, before any SQL, a field this aggregate cannot take."""

    def params(self) -> list[Any]:
        """The values the aggregate sends as parameters, in order: its ``default``."""
        return [] if self.default is None else [self.default]

    def call(self, column: Any, binds: list[Any], order: list[Any]) -> Any:
        """The function applied to ``column`` (None for ``"*"``); takes its own ``binds``."""
        fn = getattr(sa.func, self.function.lower())
        return fn(sa.distinct(column) if self.distinct else column)

    def expression(
        self, column: Any, condition: Any, binds: Sequence[Any], order: list[Any]
    ) -> Any:
        """The aggregate, with ``FILTER (WHERE condition)`` and ``COALESCE(..., default)``.

        ``binds`` are the parameters for ``params()``, in that order."""
        pending = list(binds)
        expr = self.call(column, pending, order)
        if condition is not None:
            expr = sa.funcfilter(expr, condition)
        if self.default is not None:
            expr = sa.func.coalesce(expr, pending.pop(0))
        return expr

    def convert(self, value: Any) -> Any:
        """The Python value of the aggregate's result."""
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field!r})"


class Count(Aggregate):
    function = "COUNT"

    def call(self, column: Any, binds: list[Any], order: list[Any]) -> Any:
        if column is None:
            return sa.func.count()
        return super().call(column, binds, order)


class Sum(Aggregate):
    function = "SUM"


class Avg(Aggregate):
    function = "AVG"


class Min(Aggregate):
    function = "MIN"


class Max(Aggregate):
    function = "MAX"


class StdDev(Aggregate):
    """The population standard deviation; ``sample=True`` for the sample's (``stddev_samp``)."""

    function = "STDDEV"
    __slots__ = ("sample",)

    def __init__(self, field: str, *, sample: bool = False, **options: Any) -> None:
        super().__init__(field, **options)
        self.sample = sample

    def key(self) -> tuple[Any, ...]:
        return (*super().key(), self.sample)

    def call(self, column: Any, binds: list[Any], order: list[Any]) -> Any:
        fn = sa.func.stddev_samp if self.sample else sa.func.stddev_pop
        return fn(sa.distinct(column) if self.distinct else column)


class Variance(StdDev):
    """The population variance; ``sample=True`` for the sample's (``var_samp``)."""

    function = "VARIANCE"

    def call(self, column: Any, binds: list[Any], order: list[Any]) -> Any:
        fn = sa.func.var_samp if self.sample else sa.func.var_pop
        return fn(sa.distinct(column) if self.distinct else column)


class BoolAnd(Aggregate):
    """True when the field is true on every row (``bool_and``)."""

    function = "BOOL_AND"

    def check(self, field: Any) -> None:
        if not isinstance(field.sa_type(), sa.Boolean):
            raise QueryError(
                f"{type(self).__name__}({self.field!r}) needs a Boolean field, "
                f"not {type(field).__name__}"
            )


class BoolOr(BoolAnd):
    """True when the field is true on any row (``bool_or``)."""

    function = "BOOL_OR"


class OrderedAggregate(Aggregate):
    """An aggregate whose result keeps an order: ``ordering=("-pages", "title")``."""

    __slots__ = ("ordering",)

    def __init__(self, field: str, *, ordering: Sequence[str] = (), **options: Any) -> None:
        super().__init__(field, **options)
        if isinstance(ordering, str):
            ordering = (ordering,)
        if not all(isinstance(o, str) and o.lstrip("-") for o in ordering):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError(f"{type(self).__name__}(ordering=...) takes field names")
        self.ordering = tuple(ordering)
        if self.distinct and any(o.lstrip("-") != field.rpartition("__")[2] for o in ordering):
            raise QueryError(
                f"{type(self).__name__}(distinct=True) can be ordered by the aggregated field only "
                f"(PostgreSQL orders DISTINCT aggregates by their argument)"
            )

    def key(self) -> tuple[Any, ...]:
        return (*super().key(), self.ordering)

    def ordered(self, column: Any, order: list[Any]) -> Any:
        """The argument, with ``ORDER BY`` inside the call when there is an ordering."""
        arg = sa.distinct(column) if self.distinct else column
        return aggregate_order_by(arg, *order) if order else arg

    def call(self, column: Any, binds: list[Any], order: list[Any]) -> Any:
        fn = getattr(sa.func, self.function.lower())
        return fn(self.ordered(column, order))


class ArrayAgg(OrderedAggregate):
    """The values as a list (``array_agg``); an empty set gives None, or ``default``."""

    function = "ARRAY_AGG"


class StringAgg(OrderedAggregate):
    """The values joined by ``delimiter`` (``string_agg``)."""

    function = "STRING_AGG"
    __slots__ = ("delimiter",)

    def __init__(self, field: str, delimiter: str, **options: Any) -> None:
        super().__init__(field, **options)
        if not isinstance(delimiter, str):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError(f"StringAgg(delimiter=...) takes a string, got {delimiter!r}")
        self.delimiter = delimiter

    def params(self) -> list[Any]:
        return [self.delimiter, *super().params()]

    def call(self, column: Any, binds: list[Any], order: list[Any]) -> Any:
        # string_agg(value, delimiter ORDER BY ...): the ordering follows the delimiter.
        value = sa.cast(column, sa.Text())
        delimiter: Any = sa.cast(binds.pop(0), sa.Text())
        if order and self.distinct:  # ordered by the argument itself, as PostgreSQL requires
            order = [value.desc() if o.startswith("-") else value.asc() for o in self.ordering]
        if order:
            delimiter = aggregate_order_by(delimiter, *order)
        return sa.func.string_agg(sa.distinct(value) if self.distinct else value, delimiter)


class JSONBAgg(OrderedAggregate):
    """The values as a JSON array (``jsonb_agg``), decoded into a list."""

    function = "JSONB_AGG"

    def params(self) -> list[Any]:
        # A default goes as JSON text, cast to jsonb.
        return [] if self.default is None else [_json.dumps(self.default)]

    def expression(
        self, column: Any, condition: Any, binds: Sequence[Any], order: list[Any]
    ) -> Any:
        binds = [sa.cast(b, JSONB()) for b in binds]
        return super().expression(column, condition, binds, order)

    def convert(self, value: Any) -> Any:
        return _json.loads(value) if isinstance(value, str) else value
