"""Database functions for ``annotate()``: ``Func`` and the common ones built on it.

``Func("similarity", F("name"), Value("x"), output_field=fields.Float())`` calls any
PostgreSQL function; subclass it (``function = "similarity"``) for a reusable one. A string
argument names a field (``Lower("name")``, as in Django); other constants are values (sent
as parameters), or wrap them in ``Value()``. The function's name is code, not input: it must
be a plain lower-case SQL identifier, and is refused otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, ClassVar, cast

import sqlalchemy as sa

from aksara import fields
from aksara.exceptions import QueryError
from aksara.query.expressions import Combinable, Condition, F, Q, Value
from aksara.query.lookups.vector import distance

_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")


class Func(Combinable):
    """A call of the PostgreSQL function ``function`` on ``expressions``."""

    function: ClassVar[str] = ""
    #: The field the result is read and compared as; None: the first argument's.
    output: ClassVar[type[fields.Field[Any, Any]] | None] = None
    #: The field given or made from ``output`` (a Field), or None.
    output_field: Any
    __slots__ = ("expressions", "name", "output_field")

    def __init__(
        self, *expressions: Any, function: str | None = None, output_field: Any = None
    ) -> None:
        name = function or self.function
        if not isinstance(name, str) or not _NAME.fullmatch(name):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError(
                f"Func(function=...) must be a lower-case SQL identifier, got {name!r}"
            )
        self.name = name
        self.expressions = tuple(F(e) if isinstance(e, str) else e for e in expressions)
        if output_field is None and self.output is not None:
            output_field = self.output()
        self.output_field = output_field

    def key(self) -> tuple[Any, ...]:
        """What changes the SQL besides the arguments (their keys are added by the caller)."""
        return (type(self).__name__, self.name)

    def sql(self, arguments: list[Any], type_: Any) -> Any:
        """The call, given its arguments' SQL."""
        function = sa.func
        for part in self.name.split("."):
            function = getattr(function, part)
        return function(*arguments, type_=type_)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.expressions))})"


class ExpressionWrapper(Func):
    """``expression`` read and compared as ``output_field``: ``ExpressionWrapper(F("price")
    * F("qty"), output_field=fields.Decimal(max_digits=12, decimal_places=2))``. It adds no
    SQL (PostgreSQL's value is returned as it is; ``Cast()`` converts): it tells aksara the
    type of arithmetic or of a SQLAlchemy expression, for lookups and reading."""

    __slots__ = ()

    def __init__(self, expression: Any, output_field: Any) -> None:
        if not isinstance(output_field, fields.Field):
            raise QueryError(
                f"ExpressionWrapper() needs output_field=, a field such as fields.Float(); "
                f"got {output_field!r}"
            )
        self.name = "expression_wrapper"
        self.expressions = (F(expression) if isinstance(expression, str) else expression,)
        self.output_field = output_field

    def key(self) -> tuple[Any, ...]:
        return ("ExpressionWrapper", type(self.output_field).__name__)

    def sql(self, arguments: list[Any], type_: Any) -> Any:
        return sa.type_coerce(arguments[0], type_)


class Lower(Func):
    function = "lower"
    output = fields.Text


class Upper(Func):
    function = "upper"
    output = fields.Text


class Length(Func):
    function = "length"
    output = fields.Integer


class Trim(Func):
    function = "btrim"
    output = fields.Text


class Concat(Func):
    """The arguments as text, end to end; NULLs count as empty (PostgreSQL's ``concat``)."""

    function = "concat"
    output = fields.Text


class Left(Func):
    """The first ``length`` characters: ``Left("name", 3)``."""

    function = "left"
    output = fields.Text


class Right(Func):
    function = "right"
    output = fields.Text


class Substr(Func):
    """``Substr("name", 2, 3)``: 3 characters from the second (1-based)."""

    function = "substr"
    output = fields.Text


class Replace(Func):
    """``Replace("name", Value("a"), Value("b"))``."""

    function = "replace"
    output = fields.Text


class StrIndex(Func):
    """The 1-based position of ``substring`` in the text, 0 when absent (``strpos``)."""

    function = "strpos"
    output = fields.Integer


class Coalesce(Func):
    """The first argument that is not NULL."""

    function = "coalesce"


class Greatest(Func):
    function = "greatest"


class Least(Func):
    function = "least"


class NullIf(Func):
    """NULL when both arguments are equal, else the first."""

    function = "nullif"


class Abs(Func):
    function = "abs"


class Ceil(Func):
    function = "ceil"


class Floor(Func):
    function = "floor"


class Mod(Func):
    function = "mod"


class Power(Func):
    function = "power"
    output = fields.Float


class Sqrt(Func):
    function = "sqrt"
    output = fields.Float


class Round(Func):
    """``Round("price", 1)``: to ``precision`` decimal places (numeric values)."""

    function = "round"


class Now(Func):
    """The transaction's start time (``now()``)."""

    function = "now"
    output = fields.DateTime


class Cast(Func):
    """``Cast("views", fields.Text())``: the value as another field's type."""

    function = "cast"

    def __init__(self, expression: Any, output_field: Any) -> None:
        if not isinstance(output_field, fields.Field):
            raise QueryError(f"Cast() takes a field as its type, got {output_field!r}")
        super().__init__(expression, output_field=output_field)

    def key(self) -> tuple[Any, ...]:
        return (*super().key(), type(self.output_field).__name__, repr(self.output_field.sa_type()))

    def sql(self, arguments: list[Any], type_: Any) -> Any:
        return sa.cast(arguments[0], type_)


#: ``Extract`` and ``Trunc`` take their unit from these, never from text of the caller.
EXTRACT_UNITS = (
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "dow",
    "isodow",
    "doy",
    "hour",
    "minute",
    "second",
    "epoch",
)
TRUNC_UNITS = ("year", "quarter", "month", "week", "day", "hour", "minute", "second")


class Extract(Func):
    """``Extract("created", "year")``: a part of a date or time, as an integer."""

    function = "extract"
    output = fields.Integer
    __slots__ = ("unit",)

    def __init__(self, expression: Any, unit: str) -> None:
        if unit not in EXTRACT_UNITS:
            raise QueryError(
                f"Extract(unit=...) is one of {', '.join(EXTRACT_UNITS)}, got {unit!r}"
            )
        super().__init__(expression)
        self.unit = unit

    def key(self) -> tuple[Any, ...]:
        return (*super().key(), self.unit)

    def sql(self, arguments: list[Any], type_: Any) -> Any:
        return sa.cast(sa.extract(self.unit, arguments[0]), sa.Integer())


class Trunc(Func):
    """``Trunc("created", "month")``: the date or time cut down to the start of its unit
    (in the session's time zone, UTC unless the database says otherwise)."""

    function = "date_trunc"
    __slots__ = ("unit",)

    def __init__(self, expression: Any, unit: str) -> None:
        if unit not in TRUNC_UNITS:
            raise QueryError(f"Trunc(unit=...) is one of {', '.join(TRUNC_UNITS)}, got {unit!r}")
        super().__init__(expression)
        self.unit = unit

    def key(self) -> tuple[Any, ...]:
        return (*super().key(), self.unit)

    def sql(self, arguments: list[Any], type_: Any) -> Any:
        return sa.func.date_trunc(sa.literal_column(f"'{self.unit}'"), arguments[0], type_=type_)


def _trunc(unit: str) -> type[Trunc]:
    def __init__(self: Trunc, expression: Any) -> None:
        Trunc.__init__(self, expression, unit)

    return type(f"Trunc{unit.title()}", (Trunc,), {"__init__": __init__, "__slots__": ()})


TruncYear = _trunc("year")
TruncQuarter = _trunc("quarter")
TruncMonth = _trunc("month")
TruncWeek = _trunc("week")
TruncDay = _trunc("day")


class When:
    """A branch of ``Case``: ``When(Q(rank__gte=5), then=Value("high"))`` (or keyword
    conditions, ``When(rank__gte=5, then=...)``)."""

    __slots__ = ("condition", "then")

    def __init__(self, condition: Q | None = None, *, then: Any, **lookups: Any) -> None:
        if condition is not None and not isinstance(condition, Q):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError(f"When() takes a Q object or keyword conditions, got {condition!r}")
        if condition is None and not lookups:
            raise QueryError("When() needs a condition")
        parts = [condition] if condition is not None else []
        self.condition = Q(*parts, **lookups)
        self.then = F(then) if isinstance(then, str) else then


class Case(Combinable):
    """The first ``When`` whose condition holds gives the value, else ``default``:
    ``Case(When(rank__gte=5, then=Value("high")), default=Value("low"))``."""

    __slots__ = ("whens", "default", "output_field")

    def __init__(self, *whens: When, default: Any = None, output_field: Any = None) -> None:
        if not whens or not all(isinstance(w, When) for w in whens):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError("Case() takes one or more When(...)")
        self.whens = whens
        self.default = F(default) if isinstance(default, str) else default
        self.output_field = output_field


class Subquery(Combinable):
    """The one value a queryset selects, per row of the enclosing query:
    ``Subquery(Post.objects.filter(author=OuterRef("pk")).order_by("-id").values("title")[:1])``.

    It selects one column (``values("x")``, ``values_list("x", flat=True)``, or the primary
    key of instances) and should return at most one row (slice it ``[:1]``)."""

    __slots__ = ("queryset",)

    def __init__(self, queryset: Any) -> None:
        if not getattr(queryset, "is_queryset", False):
            raise QueryError(f"{type(self).__name__}() takes a queryset, got {queryset!r}")
        self.queryset = queryset

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.queryset!r})"


class Exists(Subquery):
    """True when the queryset has a row, per row of the enclosing query (``EXISTS``).
    A condition of its own: ``filter(Exists(...))``, ``filter(~Exists(...))``,
    ``Q(Exists(...)) | Q(...)``."""

    __slots__ = ()

    def __invert__(self) -> Q:
        return ~Q(self)

    def __and__(self, other: Condition) -> Q:
        return Q(self) & other

    def __or__(self, other: Condition) -> Q:
        return Q(self) | other


# -- window functions --------------------------------------------------------------------------


class WindowFunction(Func):
    """A function computed over a window of rows (``Window(RowNumber(), ...)``)."""

    output: ClassVar[type[fields.Field[Any, Any]] | None] = fields.BigInteger


class RowNumber(WindowFunction):
    function = "row_number"


class Rank(WindowFunction):
    function = "rank"


class DenseRank(WindowFunction):
    function = "dense_rank"


class PercentRank(WindowFunction):
    function = "percent_rank"
    output = fields.Float


class CumeDist(WindowFunction):
    function = "cume_dist"
    output = fields.Float


class NTile(WindowFunction):
    """The rows split into ``num_buckets`` groups, numbered from 1: ``NTile(4)``."""

    function = "ntile"
    output = fields.Integer

    def __init__(self, num_buckets: int) -> None:
        if type(num_buckets) is not int or num_buckets < 1:
            raise QueryError(f"NTile() takes a positive number of buckets, got {num_buckets!r}")
        super().__init__(num_buckets)


class Lag(WindowFunction):
    """The value ``offset`` rows before (``Lead``: after), or ``default``: ``Lag("price")``."""

    function = "lag"
    output = None

    def __init__(self, expression: Any, offset: int = 1, default: Any = None) -> None:
        if type(offset) is not int or offset < 0:
            raise QueryError(f"{type(self).__name__}(offset=...) takes an integer >= 0")
        arguments = [expression, offset] if default is None else [expression, offset, default]
        super().__init__(*arguments)


class Lead(Lag):
    function = "lead"


class FirstValue(WindowFunction):
    function = "first_value"
    output = None


class LastValue(WindowFunction):
    function = "last_value"
    output = None


class NthValue(WindowFunction):
    function = "nth_value"
    output = None

    def __init__(self, expression: Any, nth: int = 1) -> None:
        if type(nth) is not int or nth < 1:
            raise QueryError(f"NthValue(nth=...) takes an integer >= 1, got {nth!r}")
        super().__init__(expression, nth)


class RowRange:
    """``ROWS BETWEEN``: ``RowRange(start=-2, end=0)`` is the two rows before and this one;
    None is unbounded, negative numbers are rows before, positive after, 0 the current row."""

    kind = "rows"
    __slots__ = ("start", "end")

    def __init__(self, start: int | None = None, end: int | None = None) -> None:
        for bound in (start, end):
            if bound is not None and type(bound) is not int:
                raise QueryError(
                    f"{type(self).__name__}() bounds are integers or None, got {bound!r}"
                )
        self.start, self.end = start, end

    def key(self) -> tuple[Any, ...]:
        return (self.kind, self.start, self.end)


class ValueRange(RowRange):
    """``RANGE BETWEEN``, the same bounds as ``RowRange`` in the ordering's values."""

    kind = "range"
    __slots__ = ()


class Window(Combinable):
    """An aggregate or window function over the rows that share ``partition_by``, in
    ``order_by`` order: ``Window(Rank(), partition_by="category", order_by="-score")``.

    Conditions on a window annotation (``filter(rank__lte=3)``: top 3 per category) are
    applied to the rows it was computed over, in a query wrapped around them."""

    __slots__ = ("expression", "partition_by", "order_by", "frame")

    def __init__(
        self,
        expression: Any,
        partition_by: Any = None,
        order_by: Any = None,
        frame: RowRange | None = None,
    ) -> None:
        from aksara.query.aggregates import Aggregate

        if not isinstance(expression, (WindowFunction, Aggregate)):
            raise QueryError(
                f"Window() takes a window function or an aggregate, got {expression!r}"
            )
        if frame is not None and not isinstance(frame, RowRange):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError("Window(frame=...) takes a RowRange or a ValueRange")
        self.expression = expression
        self.partition_by = _names(partition_by, "partition_by")
        self.order_by = _names(order_by, "order_by")
        self.frame = frame


def _names(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, F)):
        items: tuple[Any, ...] = (value,)
    elif isinstance(value, (list, tuple)):
        items = tuple(cast("Iterable[Any]", value))
    else:
        raise QueryError(f"Window({what}=...) takes field names, got {value!r}")
    names: list[str] = []
    for item in items:
        name = item.name if isinstance(item, F) else item
        if not isinstance(name, str):
            raise QueryError(f"Window({what}=...) takes field names, got {item!r}")
        names.append(name)
    return tuple(names)


# -- vector distances ---------------------------------------------------------------------------


class VectorValue(Value):
    """A query vector, sent typed as the ``Vector`` field it is compared with."""

    __slots__ = ("like",)

    def __init__(self, value: Any, like: str) -> None:
        super().__init__(value)
        self.like = like


class VectorDistance(Func):
    """The pgvector distance between a ``Vector`` field and a query vector, as an annotation
    to order or filter by: ``annotate(d=CosineDistance("embedding", v)).order_by("d")``."""

    metric: ClassVar[str] = ""
    output = fields.Float

    def __init__(self, field: str, vector: Any) -> None:
        if not isinstance(field, str):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise QueryError(f"{type(self).__name__}() takes a field name, got {field!r}")
        if vector is None:
            raise QueryError(f"{type(self).__name__}() needs a query vector")
        super().__init__(field, VectorValue(vector, field))

    def sql(self, arguments: list[Any], type_: Any) -> Any:
        return distance(arguments[0], self.metric, arguments[1])


class L2Distance(VectorDistance):
    function = metric = "l2_distance"


class CosineDistance(VectorDistance):
    function = metric = "cosine_distance"


class MaxInnerProduct(VectorDistance):
    """The negative inner product (smaller is nearer, as for the distances)."""

    function = metric = "max_inner_product"


class L1Distance(VectorDistance):
    function = metric = "l1_distance"
