"""Array lookups and transforms: ``tags__overlap=[...]``, ``tags__len``, ``tags__0``.

filter(tags__overlap=["a", "b"])               tags && ARRAY['a','b']
filter(tags__len__gte=2)                       cardinality(tags) >= 2
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

import sqlalchemy as sa

from aksara.exceptions import QueryError
from aksara.fields.array import Array
from aksara.fields.base import Field
from aksara.fields.numeric import Integer
from aksara.query._compile import param
from aksara.query.lookups.base import Lookup, OperatorLookup, derived, index, query_value


class ArrayOperator(OperatorLookup):
    """``@>`` (contains), ``<@`` (contained_by), ``&&`` (overlap) with an array of elements."""

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            value = [value]  # tags__contains="python" means ["python"]
        return None, [query_value(field, list(value))]


class ArrayIn(Lookup):
    """``tags__in=[["a"], ["b", "c"]]``: equal to one of the arrays."""

    name = "in"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
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

    def __init__(self, parent: Field[Any, Any]) -> None:
        self.output_field = derived(Integer(), parent, "len")

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.cardinality(column, type_=sa.Integer())


class ArrayIndex:
    """``tags__0``: one element (0-based, like Python; NULL past the end)."""

    __slots__ = ("index", "output_field")

    def __init__(self, index: int, parent: Array) -> None:
        self.index = index
        self.output_field = derived(parent.element_field(), parent, str(index))

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        item_type = cast("sa.ARRAY[Any]", column.type).item_type
        return sa.type_coerce(column[sa.literal(self.index + 1, sa.Integer())], item_type)


def array_transform(name: str, parent: Array) -> Any:
    if name == "len":
        return ArrayLength(parent)
    position = index(name)
    if position is not None:
        return ArrayIndex(position, parent)
    return None


Array.register_transform(array_transform)
for _lookup in ARRAY_LOOKUPS.values():
    Array.register_lookup(_lookup)
