"""JSON lookups and key paths: ``preferences__theme="dark"``, ``metadata__has_key="x"``.

    filter(preferences__theme="dark")              (preferences -> 'theme') = '"dark"'::jsonb
    filter(preferences__score__gt=3)               jsonb_typeof(...) = 'number' AND ... > '3'
    filter(items__0__sku="A1")                     the first element of a JSON array

Key names and indexes are bound parameters (constants of the query shape), never SQL text.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.exceptions import QueryError
from aksara.fields.base import Field
from aksara.fields.special import JSON
from aksara.query._compile import param
from aksara.query.lookups.base import (
    LOOKUPS,
    TEXT_LOOKUPS,
    Exact,
    In,
    Lookup,
    OnText,
    OperatorLookup,
    derived,
    index,
    query_value,
    sendable,
)


class KeyTransform:
    """``->`` one key of a JSON object (or one index of a JSON array, for an integer part)."""

    __slots__ = ("key", "output_field")

    def __init__(self, key: str | int, parent: Field[Any, Any]) -> None:
        self.key = key
        self.output_field = derived(JSONValue(), parent, str(key))

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        key_type: Any = sa.Integer() if isinstance(self.key, int) else sa.Text()
        return column.op("->", return_type=pg.JSONB())(sa.literal(self.key, key_type))


def key_transform(name: str, parent: Field[Any, Any]) -> KeyTransform:
    # ``items__0`` indexes a JSON array, as in Django; other parts (``²``, ``١``, numbers past
    # an integer) are object keys.
    try:
        position = index(name)
    except QueryError:
        position = None
    key: str | int = position if position is not None else sendable(name, parent.name)
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


class JSONCompare(OperatorLookup):
    """``key__gt=3``: JSONB order within one JSON type (numbers compare as numbers)."""

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
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


class JSONIn(In):
    """``data__key__in=[...]``: each value compared as JSON (a dict is one value)."""

    single_values = (str, bytes, dict)

    def element_type(self, column: Any) -> Any:
        return pg.JSONB()


class JSONOperator(OperatorLookup):
    """A JSONB operator with a JSON operand: ``@>`` (contains), ``<@`` (contained_by)."""

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        return None, [query_value(field, value)]

    def bind_type(self, column: sa.ColumnElement[Any], field: Field[Any, Any]) -> Any:
        return pg.JSONB()


class HasKey(Lookup):
    """``has_key="theme"`` (``?``): the key exists, even with a JSON ``null`` value."""

    name = "has_key"
    operator = "?"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if not isinstance(value, str):
            raise QueryError(f"has_key lookup needs a key name, got {type(value).__name__}")
        return None, [sendable(value, field.name)]

    def bind_type(self, column: sa.ColumnElement[Any], field: Field[Any, Any]) -> Any:
        return sa.Text()


class HasKeys(OperatorLookup):
    """``has_keys=[...]`` (``?&``, all of them) and ``has_any_keys=[...]`` (``?|``)."""

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if isinstance(value, str) or not all(isinstance(k, str) for k in value):
            raise QueryError(f"{self.name} lookup needs a list of key names")
        return None, [sendable(list(value), field.name)]

    def bind_type(self, column: sa.ColumnElement[Any], field: Field[Any, Any]) -> Any:
        return pg.ARRAY(sa.Text())


def json_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    # `#>> '{}'` is the value as text: a JSON string without its quotes.
    return column.op("#>>", return_type=sa.Text())(sa.literal_column("'{}'"))


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
            *(OnText(lookup, json_text) for lookup in TEXT_LOOKUPS if lookup.name != "contains"),
        )
    },
}


class JSONValue(Field[Any, Any]):
    """The value at a JSON key path in a filter: compared as JSON, with JSON-aware lookups."""

    to_query = JSON.to_query

    def get_lookup(self, name: str) -> Any:
        return JSON_VALUE_LOOKUPS.get(name) or (LOOKUPS.get(name) if name == "isnull" else None)

    def get_transform(self, name: str) -> Any:
        return key_transform(name, self)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.JSONB()


JSON.register_transform(key_transform)
for _lookup in JSON_LOOKUPS.values():
    JSON.register_lookup(_lookup)
