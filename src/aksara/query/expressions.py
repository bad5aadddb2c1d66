"""``Q`` objects for composing conditions, and ``F`` references to columns in updates and filters."""

from __future__ import annotations

from typing import Any, TypeAlias

import sqlalchemy as sa


def is_condition(value: Any) -> bool:
    """True for an expression that may be a condition of its own: ``Exists(...)``, an
    expression of aksara (a boolean one, checked when the query is built) or a SQLAlchemy
    boolean expression (``Post.c.views > 10``)."""
    return isinstance(value, (Combinable, sa.ColumnElement))


#: What ``filter()``, ``exclude()``, ``get()`` and ``Q()`` take besides keyword lookups: a
#: ``Q``, an expression of aksara that is a condition (``Exists(...)``, a boolean
#: ``Case``/``F`` comparison) or a SQLAlchemy boolean expression (``Post.c.views > 10``).
Condition: TypeAlias = "Q | Combinable | sa.ColumnElement[bool]"


class Q:
    """A condition tree: ``Q(a=1) | Q(b=2)``, ``Q(a=1) & ~Q(b=2)``; its children are
    ``Q``s, ``(key, value)`` lookups and conditions of their own (``Exists(...)``, a
    SQLAlchemy boolean expression)."""

    AND = "AND"
    OR = "OR"
    __slots__ = ("children", "connector", "negated")

    def __init__(
        self,
        *args: Condition | tuple[str, Any],
        _connector: str = "AND",
        _negated: bool = False,
        **kwargs: Any,
    ) -> None:
        for arg in args:
            if not isinstance(arg, (Q, tuple)) and not is_condition(arg):
                raise TypeError(
                    f"Q() takes Q objects, keyword lookups, Exists() and SQLAlchemy conditions, "
                    f"got {arg!r}"
                )
        # Lookups in name order; one alone (``filter(level=10)``, the usual case) as it is.
        lookups = list(kwargs.items()) if len(kwargs) < 2 else sorted(kwargs.items())
        self.children: list[Any] = [*args, *lookups] if args else lookups
        self.connector = _connector
        self.negated = _negated

    def _combine(self, other: Condition, connector: str) -> Q:
        if is_condition(other):
            other = Q(other)
        if not isinstance(other, Q):  # run-time check for untyped callers
            raise TypeError(f"Cannot combine Q with {type(other).__name__}")
        return Q(self, other, _connector=connector)

    def __and__(self, other: Condition) -> Q:
        return self._combine(other, self.AND)

    def __or__(self, other: Condition) -> Q:
        return self._combine(other, self.OR)

    def __invert__(self) -> Q:
        q = Q(*self.children, _connector=self.connector, _negated=not self.negated)
        return q

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(repr(c) for c in self.children)
        return f"{'NOT ' if self.negated else ''}({inner})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Q)
            and self.children == other.children
            and self.connector == other.connector
            and self.negated == other.negated
        )

    __hash__ = None  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]  # unhashable, as it defines __eq__


class Combinable:
    """Arithmetic on column references: ``F("views") + 1``."""

    def asc(self, *, nulls_first: bool = False, nulls_last: bool = False) -> Any:
        """``order_by(Lower("name").asc())``: order by this expression."""
        return ExpressionOrdering(self, False, nulls_first, nulls_last)

    def desc(self, *, nulls_first: bool = False, nulls_last: bool = False) -> Any:
        """``order_by(Length("title").desc(nulls_last=True))``."""
        return ExpressionOrdering(self, True, nulls_first, nulls_last)

    def _op(self, op: str, other: Any, reverse: bool = False) -> CombinedExpression:
        if reverse:
            return CombinedExpression(other, op, self)
        return CombinedExpression(self, op, other)

    def __add__(self, other: Any) -> CombinedExpression:
        return self._op("+", other)

    def __sub__(self, other: Any) -> CombinedExpression:
        return self._op("-", other)

    def __mul__(self, other: Any) -> CombinedExpression:
        return self._op("*", other)

    def __truediv__(self, other: Any) -> CombinedExpression:
        return self._op("/", other)

    def __radd__(self, other: Any) -> CombinedExpression:
        return self._op("+", other, reverse=True)

    def __rsub__(self, other: Any) -> CombinedExpression:
        return self._op("-", other, reverse=True)

    def __rmul__(self, other: Any) -> CombinedExpression:
        return self._op("*", other, reverse=True)


class OrderBy(str):
    """An ordering with NULLs placed: ``order_by(F("due").desc(nulls_last=True))``. It is
    the ordering's string (``"-due"``) with ``nulls``, ``"first"`` or ``"last"``."""

    nulls: str

    def __new__(cls, spec: str, nulls: str) -> OrderBy:
        ordering = super().__new__(cls, spec)
        ordering.nulls = nulls
        return ordering

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OrderBy) and str(self) == str(other) and self.nulls == other.nulls

    def __hash__(self) -> int:
        return hash((str(self), self.nulls))

    def __repr__(self) -> str:
        return f"OrderBy({str(self)!r}, nulls={self.nulls!r})"

    def reversed(self) -> OrderBy:
        """The opposite ordering, NULLs at the other end (as ``last()`` needs)."""
        spec = self[1:] if self.startswith("-") else f"-{self}"
        return OrderBy(spec, "first" if self.nulls == "last" else "last")


def ordering(spec: str, descending: bool, nulls_first: bool, nulls_last: bool) -> str:
    """``spec`` ascending or descending, as a string or, with NULLs placed, an ``OrderBy``."""
    if nulls_first and nulls_last:
        raise TypeError("nulls_first and nulls_last exclude each other")
    spec = f"-{spec}" if descending else spec
    if nulls_first or nulls_last:
        return OrderBy(spec, "first" if nulls_first else "last")
    return spec


class F(Combinable):
    """A reference to a field of the row itself: ``update(views=F("views") + 1)``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def asc(self, *, nulls_first: bool = False, nulls_last: bool = False) -> str:
        """``order_by(F("due").asc(nulls_first=True))``."""
        return ordering(self.name, False, nulls_first, nulls_last)

    def desc(self, *, nulls_first: bool = False, nulls_last: bool = False) -> str:
        """``order_by(F("due").desc(nulls_last=True))``."""
        return ordering(self.name, True, nulls_first, nulls_last)

    def __repr__(self) -> str:
        return f"F({self.name!r})"


class OuterRef:
    """A field of the enclosing query's row, inside ``Subquery()`` or ``Exists()``:
    ``Post.objects.filter(author=OuterRef("pk"))``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
            raise TypeError(f"OuterRef() takes a field name, got {name!r}")
        self.name = name

    def __repr__(self) -> str:
        return f"OuterRef({self.name!r})"


class CombinedExpression(Combinable):
    __slots__ = ("lhs", "op", "rhs")

    def __init__(self, lhs: Any, op: str, rhs: Any) -> None:
        self.lhs, self.op, self.rhs = lhs, op, rhs

    def __repr__(self) -> str:
        return f"({self.lhs!r} {self.op} {self.rhs!r})"


class Value(Combinable):
    """A constant, sent as a parameter: ``annotate(kind=Value("book"))``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Value({self.value!r})"


class ExpressionOrdering:
    """An expression to order by, its direction and where its NULLs go
    (``Case(...).desc(nulls_last=True)``); the queryset compiles it."""

    __slots__ = ("expression", "descending", "nulls")

    def __init__(
        self, expression: Any, descending: bool, nulls_first: bool = False, nulls_last: bool = False
    ) -> None:
        if nulls_first and nulls_last:
            raise TypeError("nulls_first and nulls_last exclude each other")
        self.expression = expression
        self.descending = descending
        self.nulls = "first" if nulls_first else "last" if nulls_last else None

    def __repr__(self) -> str:
        return f"{self.expression!r}.{'desc' if self.descending else 'asc'}()"
