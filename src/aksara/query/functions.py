"""Database functions for ``annotate()``: ``Func`` and the common ones built on it.

``Func("similarity", F("name"), Value("x"), output_field=fields.Float())`` calls any
PostgreSQL function; subclass it (``function = "similarity"``) for a reusable one. A string
argument names a field (``Lower("name")``, as in Django); other constants are values (sent
as parameters), or wrap them in ``Value()``. The function's name is code, not input: it must
be a plain lower-case SQL identifier, and is refused otherwise.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import sqlalchemy as sa

from aksara import fields
from aksara.exceptions import QueryError
from aksara.query.expressions import Combinable, F, Q

_NAME = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?")


class Func(Combinable):
    """A call of the PostgreSQL function ``function`` on ``expressions``."""

    function: ClassVar[str] = ""
    #: The field the result is read and compared as; None: the first argument's.
    output: ClassVar[type[fields.Field[Any]] | None] = None
    __slots__ = ("expressions", "name", "output_field")

    def __init__(
        self, *expressions: Any, function: str | None = None, output_field: Any = None
    ) -> None:
        name = function or self.function
        if not isinstance(name, str) or not _NAME.fullmatch(name):
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
        if condition is not None and not isinstance(condition, Q):
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
        if not whens or not all(isinstance(w, When) for w in whens):
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
    """True when the queryset has a row, per row of the enclosing query (``EXISTS``)."""

    __slots__ = ()
