"""The lookups of every field (``exact``, ``in``, ``gt``, ``icontains``, ...).

A lookup ``prepare()``s a value into a hashable *variant* (part of the query's shape)
and a list of parameter values; ``expression()`` builds the SQLAlchemy condition for a
variant from bound parameters. Values never reach SQL text. Lookups are registered on
field classes (``Field.register_lookup``); a subclass inherits them and may override one.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar, cast

import sqlalchemy as sa

from aksara.exceptions import QueryError, ValidationError
from aksara.fields.base import Field
from aksara.query._compile import array_param, param

Binds = Sequence[sa.BindParameter[Any]]


#: The largest index an array or JSON path may name (PostgreSQL's ``integer``).
MAX_INDEX = 2**31 - 1


def query_value(field: Field[Any, Any], value: Any) -> Any:
    """Convert a filter value with the field's own conversion; a bad value is a QueryError,
    raised before any SQL is sent (text PostgreSQL cannot hold included)."""
    if value is None:
        return None
    try:
        converted = field.to_query(value)
    except ValidationError as error:
        raise QueryError(f"{_where(field)}: invalid filter value: {error.messages[0]}") from None
    except (ValueError, ArithmeticError, RecursionError) as error:  # overflow, nesting, ...
        raise QueryError(
            f"{_where(field)}: invalid filter value ({type(error).__name__})"
        ) from None
    if type(converted) not in NO_TEXT:
        sendable(converted, _where(field))
    return converted


#: Value types that hold no text (nor are text, lists or dicts): nothing for ``sendable`` to
#: check. Exact types only: a subclass could be anything (an enum whose values are text).
NO_TEXT = frozenset(
    {int, float, bool, decimal.Decimal, dt.datetime, dt.date, dt.time, dt.timedelta, uuid.UUID}
)


def _where(field: Field[Any, Any]) -> str:
    model = field.model.__name__ if hasattr(field, "model") else "?"
    return f"{model}.{field.name}"


#: How deeply lists and dicts in a filter value may nest (PostgreSQL's JSON allows less).
MAX_NESTING = 1000


def sendable(value: Any, where: str) -> Any:
    """``value`` when PostgreSQL can take every text in it; ``QueryError`` for a NUL character
    or an unpaired surrogate (no text or JSON column can hold either), anywhere in strings,
    lists and dict keys and values, or for nesting deeper than ``MAX_NESTING``. Walked with a
    stack of its own: no Python version's recursion limit decides."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, (list, tuple, dict)):
            if depth >= MAX_NESTING:
                raise QueryError(f"{where}: the value is nested too deeply")
            if isinstance(item, dict):
                mapping = cast("dict[Any, Any]", item)
                pending.extend((part, depth + 1) for pair in mapping.items() for part in pair)
            else:
                sequence = cast("list[Any] | tuple[Any, ...]", item)
                pending.extend((part, depth + 1) for part in sequence)
    return value


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise QueryError(f"{where}: text cannot contain NUL characters")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise QueryError(f"{where}: text contains unpaired surrogate characters") from None


def index(name: str) -> int | None:
    """The array index a path part names (``tags__0``): ASCII digits only, so ``²`` and
    ``١`` are not numbers here; None for other names. ``QueryError`` past ``MAX_INDEX``."""
    if not (name.isascii() and name.isdigit()):
        return None
    number = int(name)
    if number > MAX_INDEX:
        raise QueryError(f"index {name} is out of range (at most {MAX_INDEX})")
    return number


class Lookup:
    """Base lookup: one bound value compared with an operator."""

    #: Set per class, or per instance for the lookups made at run time (``OperatorLookup``).
    name: str
    #: Number of parameters the lookup binds for a non-null value.
    operator: str = "="

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        return None, [query_value(field, value)]

    def bind_type(self, column: sa.ColumnElement[Any], field: Field[Any, Any]) -> Any:
        return column.type

    def expression(
        self, column: sa.ColumnElement[Any], field: Field[Any, Any], variant: Hashable, start: int
    ) -> sa.ColumnElement[bool]:
        return column.op(self.operator, is_comparison=True)(
            param(start, self.bind_type(column, field))
        )


class Exact(Lookup):
    name = "exact"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            return "null", []
        return None, [query_value(field, value)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        if variant == "null":
            return column.is_(None)
        return column == param(start, column.type)


class IExact(Lookup):
    name = "iexact"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            return "null", []
        return None, [sendable(str(value), _where(field))]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        if variant == "null":
            return column.is_(None)
        return sa.func.lower(column) == sa.func.lower(param(start, sa.Text()))


class _Compare(Lookup):
    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        return None, [query_value(field, value)]


class GreaterThan(_Compare):
    name = "gt"
    operator = ">"


class GreaterThanOrEqual(_Compare):
    name = "gte"
    operator = ">="


class LessThan(_Compare):
    name = "lt"
    operator = "<"


class LessThanOrEqual(_Compare):
    name = "lte"
    operator = "<="


def escape_like(value: str) -> str:
    """Make ``%``, ``_`` and ``\\`` match literally in a LIKE pattern."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Like(Lookup):
    case_insensitive: ClassVar[bool] = False
    template: ClassVar[str] = "%{}%"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if not isinstance(value, str):
            raise QueryError(f"{self.name} lookup needs a string, got {type(value).__name__}")
        return None, [self.template.format(escape_like(sendable(value, _where(field))))]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        target = sa.cast(column, sa.Text()) if not isinstance(column.type, sa.String) else column
        bind = param(start, sa.Text())
        if self.case_insensitive:
            return target.ilike(bind, escape="\\")
        return target.like(bind, escape="\\")


class Contains(_Like):
    name = "contains"


class IContains(_Like):
    name = "icontains"
    case_insensitive = True


class StartsWith(_Like):
    name = "startswith"
    template = "{}%"


class IStartsWith(_Like):
    name = "istartswith"
    template = "{}%"
    case_insensitive = True


class EndsWith(_Like):
    name = "endswith"
    template = "%{}"


class IEndsWith(_Like):
    name = "iendswith"
    template = "%{}"
    case_insensitive = True


class In(Lookup):
    """``field__in=[...]``: one array parameter (``= ANY($1)``), so every list length shares a plan."""

    name = "in"
    #: Iterables that are one value, not a list of them.
    single_values: tuple[type, ...] = (str, bytes)

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if isinstance(value, self.single_values) or not hasattr(value, "__iter__"):
            raise QueryError("in lookup needs a list, tuple or set of values")
        values = [query_value(field, v) for v in value]
        if not values:
            return "empty", []
        return None, [values]

    def element_type(self, column: Any) -> Any:
        return column.type

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        if variant == "empty":
            return sa.false()
        return column == sa.any_(array_param(start, self.element_type(column)))


class Range(Lookup):
    name = "range"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        try:
            low, high = value
        except (TypeError, ValueError):
            raise QueryError("range lookup needs a (low, high) pair") from None
        return None, [query_value(field, low), query_value(field, high)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        return column.between(param(start, column.type), param(start + 1, column.type))


class IsNull(Lookup):
    name = "isnull"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if not isinstance(value, bool):
            raise QueryError("isnull lookup needs True or False")
        return value, []

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        return column.is_(None) if variant else column.is_not(None)


class OperatorLookup(Lookup):
    """A lookup whose name and SQL operator are given per instance (``@>``, ``?&``, ``>``...)."""

    def __init__(self, name: str, operator: str) -> None:
        self.name = name
        self.operator = operator


class OnText(Lookup):
    """A text lookup (``icontains``, ``startswith``, ...) on the text form of a value."""

    def __init__(self, inner: Lookup, to_text: Any) -> None:
        self.inner = inner
        self.to_text = to_text
        self.name = inner.name

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        return self.inner.prepare(field, value)

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        return self.inner.expression(self.to_text(column), field, variant, start)


def derived(field: Field[Any, Any], parent: Field[Any, Any], suffix: str) -> Field[Any, Any]:
    """Name the output ``field`` of a transform after ``parent`` (``preferences__theme``), so
    that errors point at the filter."""
    field.name = field.attname = f"{parent.name}__{suffix}"
    model = getattr(parent, "model", None)
    if model is not None:
        field.model = model
    return field


LOOKUPS: dict[str, Lookup] = {
    lookup.name: lookup
    for lookup in (
        Exact(),
        IExact(),
        GreaterThan(),
        GreaterThanOrEqual(),
        LessThan(),
        LessThanOrEqual(),
        Contains(),
        IContains(),
        StartsWith(),
        IStartsWith(),
        EndsWith(),
        IEndsWith(),
        In(),
        Range(),
        IsNull(),
    )
}


TEXT_LOOKUPS = tuple(
    LOOKUPS[name]
    for name in (
        "iexact",
        "contains",
        "icontains",
        "startswith",
        "istartswith",
        "endswith",
        "iendswith",
    )
)

for _lookup in LOOKUPS.values():
    Field.register_lookup(_lookup)


def register_lookup(lookup: Lookup) -> Lookup:
    """Add a lookup available on every field: ``Field.register_lookup(lookup)``."""
    LOOKUPS[lookup.name] = lookup
    return Field.register_lookup(lookup)  # type: ignore[no-any-return]
