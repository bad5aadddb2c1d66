"""Range lookups: ``during__contains=when``, ``during__overlap=Range(a, b)``, ...

filter(during__contains=moment)              during @> $1 (a value, or a range)
filter(during__contained_by=Range(a, b))     during <@ $1
filter(during__overlap=Range(a, b))          during && $1
filter(during__fully_lt=Range(a, b))         during << $1   (fully_gt: >>)
filter(during__not_lt=..., __not_gt=...)     during &> $1, during &< $1
filter(during__adjacent_to=Range(a, b))      during -|- $1
filter(during__startswith=a)                 lower(during) = $1  (endswith: upper)
filter(during__isempty=True)                 isempty(during)
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, cast

import sqlalchemy as sa

from aksara.exceptions import QueryError
from aksara.fields.base import Field
from aksara.fields.ranges import RangeField
from aksara.query._compile import param
from aksara.query.lookups.base import Lookup, query_value
from aksara.types import Range


class RangeOperator(Lookup):
    """A range operator with a range (or, for ``contains``, a value of the range's type)."""

    def __init__(self, name: str, operator: str, *, element: bool = False) -> None:
        self.name = name
        self.operator = operator
        self.element = element

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if value is None:
            raise QueryError(f"{self.name} lookup does not accept None")
        assert isinstance(field, RangeField)
        range_field = cast("RangeField[Any, Any]", field)  # its bounds' type: any
        if self.element and not isinstance(value, (Range, tuple, list, dict)):
            return "element", [query_value(range_field.base_field, value)]
        return "range", [query_value(range_field, value)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        type_ = field.base_field.sa_type() if variant == "element" else column.type
        return column.op(self.operator, is_comparison=True)(param(start, type_))


class RangeBound(Lookup):
    """``startswith`` / ``endswith``: the lower / upper bound equals a value."""

    def __init__(self, name: str, function: str) -> None:
        self.name = name
        self.function = function

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        assert isinstance(field, RangeField)
        if value is None:
            return "null", []
        return None, [query_value(field.base_field, value)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        type_ = field.base_field.sa_type()
        bound = getattr(sa.func, self.function)(column, type_=type_)
        if variant == "null":
            return bound.is_(None)
        return bound == param(start, type_)


class IsEmpty(Lookup):
    name = "isempty"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        if not isinstance(value, bool):
            raise QueryError("isempty lookup needs True or False")
        return value, []

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        empty = sa.func.isempty(column, type_=sa.Boolean())
        return empty if variant else sa.not_(empty)


RANGE_LOOKUPS: tuple[Lookup, ...] = (
    RangeOperator("contains", "@>", element=True),
    RangeOperator("contained_by", "<@"),
    RangeOperator("overlap", "&&"),
    RangeOperator("fully_lt", "<<"),
    RangeOperator("fully_gt", ">>"),
    RangeOperator("not_lt", "&>"),
    RangeOperator("not_gt", "&<"),
    RangeOperator("adjacent_to", "-|-"),
    RangeBound("startswith", "lower"),
    RangeBound("endswith", "upper"),
    IsEmpty(),
)

for _lookup in RANGE_LOOKUPS:
    RangeField.register_lookup(_lookup)
