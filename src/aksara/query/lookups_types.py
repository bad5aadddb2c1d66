"""Lookups and transforms of particular field types: JSON key paths, arrays, date parts, vectors.

A transform (``__theme``, ``__year``, ``__len``) has ``apply(column)`` and an
``output_field`` whose own lookups and transforms continue the path; lookups follow
``aksara.query.lookups``. Key names, indexes and time zone names are bound parameters
(constants of the query shape), never SQL text.

    filter(preferences__theme="dark")              (preferences -> 'theme') = '"dark"'::jsonb
    filter(preferences__score__gt=3)               jsonb_typeof(...) = 'number' AND ... > '3'
    filter(tags__overlap=["a", "b"])               tags && ARRAY['a','b']
    filter(created_at__year=2024)                  EXTRACT(year FROM created_at AT TIME ZONE 'UTC')
    filter(embedding__cosine_distance__lt=(v, .3)) (embedding <=> v) < 0.3
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.exceptions import QueryError, ValidationError
from aksara.fields.base import Field
from aksara.query._compile import param
from aksara.query.lookups import (
    LOOKUPS,
    Contains,
    EndsWith,
    Exact,
    IContains,
    IEndsWith,
    IExact,
    IStartsWith,
    Lookup,
    StartsWith,
    query_value,
)

if TYPE_CHECKING:
    from aksara.fields.array import Array
    from aksara.fields.vector import Vector


def _derived(field: Field[Any], parent: Field[Any], suffix: str) -> Field[Any]:
    """Name ``field`` after ``parent`` (``preferences__theme``) so errors point at the filter."""
    field.name = field.attname = f"{parent.name}__{suffix}"
    model = getattr(parent, "model", None)
    if model is not None:
        field.model = model
    return field


# -- JSON --------------------------------------------------------------------------------------


class KeyTransform:
    """``->`` one key of a JSON object (or one index of a JSON array, for an integer part)."""

    __slots__ = ("key", "output_field")

    def __init__(self, key: str | int, parent: Field[Any]) -> None:
        self.key = key
        self.output_field = _derived(JSONValue(), parent, str(key))

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        key_type: Any = sa.Integer() if isinstance(self.key, int) else sa.Text()
        return column.op("->", return_type=pg.JSONB())(sa.literal(self.key, key_type))


def key_transform(name: str, parent: Field[Any]) -> KeyTransform:
    # ``items__0`` indexes a JSON array, as in Django; other parts are object keys.
    key: str | int = int(name) if name.isdigit() else name
    return KeyTransform(key, parent)


def json_type(value: Any) -> str:
    """The ``jsonb_typeof`` name of a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


_JSON_NULL = sa.literal_column("'null'::jsonb", type_=pg.JSONB())


class JSONExact(Exact):
    """``key=value`` compares JSON values; ``key=None`` matches a JSON ``null`` (not a missing key)."""

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        if variant == "null":
            return column == _JSON_NULL
        return column == param(start, pg.JSONB())


class OperatorLookup(Lookup):
    """A lookup whose name and SQL operator are given per instance (``@>``, ``?&``, ``>``...)."""

    def __init__(self, name: str, operator: str) -> None:
        self.name = name  # type: ignore[misc]
        self.operator = operator  # type: ignore[misc]


class JSONCompare(OperatorLookup):
    """``key__gt=3``: JSONB order within one JSON type (numbers compare as numbers)."""

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        return json_type(value), [query_value(field, value)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        # JSONB orders values of different types by type (boolean > number > string):
        # the type check keeps `score__gt=3` from matching `true` or `"4"`.
        return sa.and_(
            sa.func.jsonb_typeof(column) == sa.literal(variant, sa.Text()),
            column.op(self.operator, is_comparison=True)(param(start, pg.JSONB())),
        )


class JSONIn(Lookup):
    name = "in"

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
            raise QueryError("in lookup needs a list, tuple or set of values")
        values = [query_value(field, v) for v in value]
        if not values:
            return "empty", []
        return None, [values]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        if variant == "empty":
            return sa.false()
        return column == sa.any_(param(start, pg.ARRAY(pg.JSONB())))


class JSONOperator(OperatorLookup):
    """A JSONB operator with a JSON operand: ``@>`` (contains), ``<@`` (contained_by)."""

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        return None, [query_value(field, value)]

    def bind_type(self, column: sa.ColumnElement[Any], field: Field[Any]) -> Any:
        return pg.JSONB()


class HasKey(Lookup):
    """``has_key="theme"`` (``?``): the key exists, even with a JSON ``null`` value."""

    name = "has_key"
    operator = "?"

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        if not isinstance(value, str):
            raise QueryError(f"has_key lookup needs a key name, got {type(value).__name__}")
        return None, [value]

    def bind_type(self, column: sa.ColumnElement[Any], field: Field[Any]) -> Any:
        return sa.Text()


class HasKeys(OperatorLookup):
    """``has_keys=[...]`` (``?&``, all of them) and ``has_any_keys=[...]`` (``?|``)."""

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        if isinstance(value, str) or not all(isinstance(k, str) for k in value):
            raise QueryError(f"{self.name} lookup needs a list of key names")
        return None, [list(value)]

    def bind_type(self, column: sa.ColumnElement[Any], field: Field[Any]) -> Any:
        return pg.ARRAY(sa.Text())


def json_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    # `#>> '{}'` is the value as text: a JSON string without its quotes.
    return column.op("#>>", return_type=sa.Text())(sa.literal_column("'{}'"))


def host_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    # host(inet) is the address without the "/32" that a cast to text adds.
    return sa.func.host(column, type_=sa.Text())


class OnText(Lookup):
    """A text lookup (``icontains``, ``startswith``, ...) on the text form of a value."""

    def __init__(self, inner: Lookup, to_text: Any = json_text) -> None:
        self.inner = inner
        self.to_text = to_text
        self.name = inner.name  # type: ignore[misc]

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        return self.inner.prepare(field, value)

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        return self.inner.expression(self.to_text(column), field, variant, start)


TEXT_LOOKUPS = (
    IExact(),
    Contains(),
    IContains(),
    StartsWith(),
    IStartsWith(),
    EndsWith(),
    IEndsWith(),
)

#: Text lookups on an INET column compare the address text (``server_ip__startswith="10."``).
IP_LOOKUPS: dict[str, Lookup] = {lookup.name: OnText(lookup, host_text) for lookup in TEXT_LOOKUPS}


JSON_LOOKUPS: dict[str, Lookup] = {
    lookup.name: lookup
    for lookup in (
        JSONOperator("contains", "@>"),
        JSONOperator("contained_by", "<@"),
        HasKey(),
        HasKeys("has_keys", "?&"),
        HasKeys("has_any_keys", "?|"),
    )
}

JSON_VALUE_LOOKUPS: dict[str, Lookup] = {
    **JSON_LOOKUPS,
    **{
        lookup.name: lookup
        for lookup in (
            JSONExact(),
            JSONIn(),
            JSONCompare("gt", ">"),
            JSONCompare("gte", ">="),
            JSONCompare("lt", "<"),
            JSONCompare("lte", "<="),
            *(OnText(lookup) for lookup in TEXT_LOOKUPS if lookup.name != "contains"),
        )
    },
}


class JSONValue(Field[Any]):
    """The value at a JSON key path in a filter: compared as JSON, with JSON-aware lookups."""

    def to_query(self, value: Any) -> Any:
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"Value is not JSON serialisable: {exc}") from None
        return value

    def get_lookup(self, name: str) -> Any:
        return JSON_VALUE_LOOKUPS.get(name) or (LOOKUPS.get(name) if name == "isnull" else None)

    def get_transform(self, name: str) -> Any:
        return key_transform(name, self)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.JSONB()


# -- arrays ------------------------------------------------------------------------------------


class ArrayOperator(OperatorLookup):
    """``@>`` (contains), ``<@`` (contained_by), ``&&`` (overlap) with an array of elements."""

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            value = [value]  # tags__contains="python" means ["python"]
        return None, [query_value(field, list(value))]


class ArrayIn(Lookup):
    """``tags__in=[["a"], ["b", "c"]]``: equal to one of the arrays."""

    name = "in"

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise QueryError("in lookup needs a list of arrays")
        values = [query_value(field, v) for v in value]
        return len(values), values

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        assert isinstance(variant, int)
        if not variant:
            return sa.false()
        return sa.or_(*(column == param(start + i, column.type) for i in range(variant)))


ARRAY_LOOKUPS: dict[str, Lookup] = {
    lookup.name: lookup
    for lookup in (
        ArrayOperator("contains", "@>"),
        ArrayOperator("contained_by", "<@"),
        ArrayOperator("overlap", "&&"),
        ArrayIn(),
    )
}


class ArrayLength:
    """``tags__len``: the number of elements (``cardinality``); NULL for a NULL array."""

    __slots__ = ("output_field",)

    def __init__(self, parent: Field[Any]) -> None:
        from aksara.fields.numeric import Integer

        self.output_field = _derived(Integer(), parent, "len")

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.cardinality(column, type_=sa.Integer())


class ArrayIndex:
    """``tags__0``: one element (0-based, like Python; NULL past the end)."""

    __slots__ = ("index", "output_field")

    def __init__(self, index: int, parent: Array) -> None:
        self.index = index
        self.output_field = _derived(parent.element_field(), parent, str(index))

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        item_type = column.type.item_type  # type: ignore[attr-defined]
        return sa.type_coerce(column[sa.literal(self.index + 1, sa.Integer())], item_type)


def array_transform(name: str, parent: Array) -> Any:
    if name == "len":
        return ArrayLength(parent)
    if name.isdigit():
        return ArrayIndex(int(name), parent)
    return None


# -- date and time parts -----------------------------------------------------------------------

#: ``__part`` → the ``EXTRACT`` field; ``week_day`` counts from Sunday = 1 as in Django.
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

    def __init__(self, part: str, parent: Field[Any], *, utc: bool) -> None:
        from aksara.fields.numeric import Integer

        self.part = part
        self.utc = utc
        self.output_field = _derived(Integer(), parent, part)

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

    def __init__(self, name: str, output: Field[Any], parent: Field[Any]) -> None:
        self.output_field = _derived(output, parent, name)
        self.sa_type = output.sa_type()

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.cast(utc_wall_time(column), self.sa_type)


def datetime_transform(name: str, parent: Field[Any]) -> Any:
    if name in DATE_PARTS or name in TIME_PARTS:
        return Extract(name, parent, utc=True)
    if name == "date":
        from aksara.fields.temporal import Date

        return CastTransform(name, Date(), parent)
    if name == "time":
        from aksara.fields.temporal import Time

        return CastTransform(name, Time(), parent)
    return None


def date_transform(name: str, parent: Field[Any]) -> Any:
    return Extract(name, parent, utc=False) if name in DATE_PARTS else None


def time_transform(name: str, parent: Field[Any]) -> Any:
    return Extract(name, parent, utc=False) if name in TIME_PARTS else None


# -- vectors -----------------------------------------------------------------------------------

#: Metric name → pgvector operator. L1 uses the ``l1_distance()`` function, which every
#: pgvector release since 0.5 has (the ``<+>`` operator needs 0.7).
VECTOR_METRICS: dict[str, str] = {
    "l2_distance": "<->",
    "cosine_distance": "<=>",
    "max_inner_product": "<#>",
    "l1_distance": "l1_distance",
}
_METRIC_ALIASES = {
    "l2": "l2_distance",
    "euclidean": "l2_distance",
    "cosine": "cosine_distance",
    "inner_product": "max_inner_product",
    "ip": "max_inner_product",
    "l1": "l1_distance",
    "manhattan": "l1_distance",
}


def metric_name(metric: str) -> str:
    """``"cosine"`` → ``"cosine_distance"``; raises QueryError for an unknown metric."""
    name = _METRIC_ALIASES.get(metric, metric)
    if name not in VECTOR_METRICS:
        choices = ", ".join(sorted({*VECTOR_METRICS, *_METRIC_ALIASES}))
        raise QueryError(f"Unknown vector metric {metric!r}; choose from {choices}")
    return name


def distance(
    column: sa.ColumnElement[Any], metric: str, other: sa.ColumnElement[Any]
) -> sa.ColumnElement[float]:
    """The pgvector distance between ``column`` and ``other`` (``max_inner_product`` is the
    negative inner product, so that smaller is nearer for every metric)."""
    operator = VECTOR_METRICS[metric_name(metric)]
    if operator == "l1_distance":
        return sa.func.l1_distance(column, other, type_=sa.Float())
    return column.op(operator, return_type=sa.Float())(other)


class DistanceTransform:
    """``embedding__cosine_distance``: its lookups take ``(vector, threshold)``."""

    __slots__ = ("metric", "output_field")

    def __init__(self, metric: str, parent: Vector) -> None:
        self.metric = metric
        self.output_field = _derived(VectorDistance(metric, parent), parent, metric)

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # The query vector comes with the filter value, so the lookup builds the distance.
        return column


class DistanceLookup(OperatorLookup):
    """``embedding__l2_distance__lt=(query_vector, 0.5)``."""

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        assert isinstance(field, VectorDistance)
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
            raise QueryError(
                f"{field.name}__{self.name} needs a (vector, threshold) pair, "
                f"e.g. {field.name}__{self.name}=(query_vector, 0.5)"
            )
        vector, threshold = value
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise QueryError(f"{field.name}__{self.name}: the threshold must be a number")
        return None, [query_value(field.vector_field, vector), float(threshold)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        measured = distance(column, field.metric, param(start, column.type))
        return measured.op(self.operator, is_comparison=True)(param(start + 1, sa.Float()))


class _DistanceNeedsComparison(Lookup):
    name = "exact"

    def prepare(self, field: Field[Any], value: Any) -> tuple[Hashable, list[Any]]:
        raise QueryError(
            f"Filter on {field.name} with __lt, __lte, __gt or __gte and a "
            f"(vector, threshold) pair, e.g. {field.name}__lt=(query_vector, 0.5)"
        )


DISTANCE_LOOKUPS: dict[str, Lookup] = {
    lookup.name: lookup
    for lookup in (
        DistanceLookup("lt", "<"),
        DistanceLookup("lte", "<="),
        DistanceLookup("gt", ">"),
        DistanceLookup("gte", ">="),
        _DistanceNeedsComparison(),
    )
}


class VectorDistance(Field[float]):
    """The distance from a vector column to a query vector, in filters."""

    ai_type: ClassVar[str] = "number"

    def __init__(self, metric: str, vector_field: Vector) -> None:
        super().__init__()
        self.metric = metric
        self.vector_field = vector_field

    def get_lookup(self, name: str) -> Any:
        return DISTANCE_LOOKUPS.get(name)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Float()


def vector_transform(name: str, parent: Vector) -> Any:
    return DistanceTransform(name, parent) if name in VECTOR_METRICS else None
