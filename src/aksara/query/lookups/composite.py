"""Lookups of a composite primary key (``Meta.primary_key``), compared as a row:
``pk=(1, 2)``, ``pk__in=[(1, 2), (1, 3)]``, ``pk__gt=(1, 2)`` (keyset pagination)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.exceptions import QueryError
from aksara.fields.base import Field
from aksara.fields.composite import CompositeKey
from aksara.query._compile import array_param, param
from aksara.query.lookups.base import (
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    Lookup,
    query_value,
)


def _parts(column: Any) -> list[Any]:
    """The key's columns in the row ``(a, b)`` a composite key reads as."""
    return list(column.clauses)


class KeyExact(Lookup):
    name = "exact"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            return "null", []  # no row's key is NULL
        return None, list(query_value(field, value))

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        if variant == "null":
            return sa.false()
        parts = _parts(column)
        return sa.and_(*(c == param(start + i, c.type) for i, c in enumerate(parts)))


class _KeyCompare(Lookup):
    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        return None, list(query_value(field, value))

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        parts = _parts(column)
        bound = sa.tuple_(*(param(start + i, c.type) for i, c in enumerate(parts)))
        return column.op(self.operator, is_comparison=True)(bound)


class KeyIn(Lookup):
    """``pk__in=[(1, 2), (1, 3)]``: one array parameter per key column, zipped by
    ``unnest``, so every list length shares a plan."""

    name = "in"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise QueryError("in lookup needs a list, tuple or set of keys")
        keys = [query_value(field, v) for v in value]
        if not keys:
            return "empty", []
        if any(k is None for k in keys):
            raise QueryError("in lookup of a composite key takes no None")
        return None, [list(column) for column in zip(*keys, strict=True)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        if variant == "empty":
            return sa.false()
        parts = _parts(column)
        arrays = [
            sa.func.unnest(sa.cast(array_param(start + i, c.type), pg.ARRAY(c.type)))
            for i, c in enumerate(parts)
        ]
        return column.in_(sa.select(*arrays))


def _row_comparison(lookup: type[Lookup]) -> Lookup:
    """``pk__gt`` and its kin: ``lookup``'s name and operator, applied to the key's row."""
    attrs = {"name": lookup.name, "operator": lookup.operator}
    compare: type[Lookup] = type(f"Key{lookup.__name__}", (_KeyCompare,), attrs)
    return compare()


CompositeKey.composite_lookups.update({"exact": KeyExact(), "in": KeyIn()})
CompositeKey.composite_lookups.update(
    (lookup.name, _row_comparison(lookup))
    for lookup in (GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual)
)
