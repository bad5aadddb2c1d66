"""Vector distances in filters: ``embedding__cosine_distance__lt=(query_vector, 0.3)``.

filter(embedding__cosine_distance__lt=(v, .3)) (embedding <=> v) < 0.3
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, ClassVar, cast

import sqlalchemy as sa

from aksara.exceptions import QueryError
from aksara.fields.base import Field
from aksara.fields.vector import Vector
from aksara.query._compile import param
from aksara.query.lookups.base import Lookup, OperatorLookup, derived, query_value

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
        self.output_field = derived(VectorDistance(metric, parent), parent, metric)

    def apply(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        # The query vector comes with the filter value, so the lookup builds the distance.
        return column


class DistanceLookup(OperatorLookup):
    """``embedding__l2_distance__lt=(query_vector, 0.5)``."""

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
        assert isinstance(field, VectorDistance)
        pair: Sequence[Any] = ()
        if isinstance(value, Sequence) and not isinstance(value, str):
            pair = cast("Sequence[Any]", value)
        if len(pair) != 2:
            raise QueryError(
                f"{field.name}__{self.name} needs a (vector, threshold) pair, "
                f"e.g. {field.name}__{self.name}=(query_vector, 0.5)"
            )
        vector, threshold = pair
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise QueryError(f"{field.name}__{self.name}: the threshold must be a number")
        return None, [query_value(field.vector_field, vector), float(threshold)]

    def expression(self, column: Any, field: Any, variant: Hashable, start: int) -> Any:
        measured = distance(column, field.metric, param(start, column.type))
        return measured.op(self.operator, is_comparison=True)(param(start + 1, sa.Float()))


class _DistanceNeedsComparison(Lookup):
    name = "exact"

    def prepare(self, field: Field[Any, Any], value: Any) -> tuple[Hashable, list[Any]]:
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


Vector.register_transform(vector_transform)
