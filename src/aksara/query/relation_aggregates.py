"""Aggregates over a model's multi-valued relations: ``Count("posts")``,
``Sum("posts__views", filter=Q(posts__published=True))``.

Each relation is aggregated on its own, so two never multiply each other (an author with 3
posts and 2 books gets 3 and 2, not 6 and 6):

- by default in a correlated scalar subquery per aggregate;
- in a grouped query (after ``values()``), in a subquery over the group's keys;
- and when a query's aggregates all read **one** relation, with one ``LEFT JOIN`` of it and
  ``GROUP BY`` the primary key (``JoinedRelation``): a single pass over the related rows
  instead of one index scan per row and aggregate, several times faster on whole-table
  reports. Each aggregate then skips the NULL row of a row without related rows
  (``FILTER (WHERE related.pk IS NOT NULL)``), so its value is the subquery's.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from aksara.exceptions import QueryError
from aksara.fields.relation_base import Relation
from aksara.query._compile import param
from aksara.query._keys import key_tuple
from aksara.query._where import where_clause, where_key
from aksara.query.aggregates import Aggregate, Count
from aksara.query.expressions import CombinedExpression, Q
from aksara.query.functions import Case, Func, Window

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.queryset import QuerySet


def aggregate_source(model: type[Model], agg: Aggregate, *, grouped: bool) -> Any:
    """Where ``agg`` reads: ``("relation", relation, rest)`` or ``("row", path)``."""
    meta = model._meta
    if agg.field == "*":
        if grouped:
            return ("row", "*")
        raise QueryError(f"annotate(): {type(agg).__name__}() needs a relation to count")
    first, _, rest = agg.field.partition("__")
    field = meta.get_field(first)
    if isinstance(field, Relation) and field.multi_valued:
        target = field.target()
        if rest:
            if "__" in rest or not target._meta.get_field(rest).concrete:
                raise QueryError(
                    f"annotate(): {agg.field!r} must name a column of {target._meta.model_name}"
                )
            agg.check(target._meta.get_field(rest))
        elif not isinstance(agg, Count):
            raise QueryError(f"annotate(): {type(agg).__name__}({agg.field!r}) needs a field")
        for name in agg.ordering:
            target._meta.get_field(name.lstrip("-"))
        if agg.filter is not None:
            where_key(target, strip(agg.filter, first + "__"), [])  # unknown names raise here
        return ("relation", field, rest or None)
    if not grouped:
        raise QueryError(
            f"annotate(): {type(agg).__name__}({agg.field!r}) aggregates nothing per row; "
            f"aggregate a multi-valued relation, or group with values(...) first"
        )
    if rest:
        related = field.target() if isinstance(field, Relation) else None
        if related is None or "__" in rest or not related._meta.get_field(rest).concrete:
            raise QueryError(f"annotate(): {agg.field!r} is not a column to aggregate")
    elif not field.concrete:
        raise QueryError(f"{meta.model_name}.{agg.field} has no column to aggregate")
    else:
        agg.check(field)
    for name in agg.ordering:
        meta.get_field(name.lstrip("-"))
    if agg.filter is not None:
        where_key(model, agg.filter, [])  # unknown names raise here
    return ("row", agg.field)


def filter_target(model: type[Model], agg: Aggregate) -> tuple[type[Model], str]:
    """The model an aggregate's ``filter`` applies to, and its keys' prefix: the related
    model over a multi-valued relation, else the model itself (no prefix)."""
    first = agg.field.partition("__")[0]
    relation = model._meta.get_field(first) if first != "*" else None
    if not isinstance(relation, Relation) or not relation.multi_valued:
        return model, ""
    return relation.target(), first + "__"


def strip(q: Q, prefix: str) -> Q:
    """``Q(posts__published=True)`` as a condition on the related row (``published=True``)."""
    children: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(strip(child, prefix))
            continue
        if type(child) is not tuple:
            raise QueryError(
                f"annotate(): the filter of an aggregate over {prefix[:-2]!r} takes field "
                f"lookups, got {child!r}"
            )
        key, value = cast("tuple[str, Any]", child)
        if not key.startswith(prefix) or key == prefix:
            raise QueryError(
                f"annotate(): the filter of an aggregate over {prefix[:-2]!r} takes conditions "
                f"on it ({prefix}...), got {key!r}"
            )
        children.append((key[len(prefix) :], value))
    return Q(*children, _connector=q.connector, _negated=q.negated)


def aggregate_binds(agg: Aggregate, counter: list[int]) -> list[Any]:
    binds = [param(counter[0] + i) for i in range(len(agg.params()))]
    counter[0] += len(binds)
    return binds


def relation_aggregate(
    model: type[Model],
    outer: Any,
    agg: Aggregate,
    relation: Relation,
    rest: str | None,
    counter: list[int],
    *,
    grouped: bool = False,
) -> Any:
    """``(SELECT agg(...) FROM related WHERE <related to outer's row> [AND filter])``.

    In a grouped query the related rows are those of every row of the group:
    ``<related key> = ANY(array_agg(<outer key>))``, an aggregate of the enclosing query
    (PostgreSQL evaluates an aggregate at the level its arguments come from). Each relation
    is still aggregated in a subquery of its own, so two never multiply each other."""
    joined = joined_relation.get()
    if joined is not None and joined.relation is relation and not grouped:
        return joined.aggregate(agg, rest, counter)
    step = relation.step()
    target = step.target
    target_table = target._meta.table
    assert target_table is not None
    inner = target_table.alias()
    outer_key: Any = outer.c[step.source_attname]
    if grouped:
        outer_key = sa.any_(sa.func.array_agg(outer_key))
    if step.junction is None:
        source: Any = inner
        link = inner.c[step.target_attname] == outer_key
    else:
        junction = step.junction.alias()
        source = junction.join(
            inner, inner.c[step.target_attname] == junction.c[step.junction_target]
        )
        link = junction.c[step.junction_source] == outer_key
    column: Any = inner.c[target._meta.get_field(rest).attname] if rest else None
    if column is None and agg.distinct:
        column = key_tuple(target._meta, inner)
    condition = None
    if agg.filter is not None:
        condition = where_clause(target, inner, strip(agg.filter, relation.name + "__"), counter)
    binds = aggregate_binds(agg, counter)
    order = [aggregate_order(target, inner, o) for o in agg.ordering]
    expr = agg.expression(column, condition, binds, order)
    return sa.select(expr).select_from(source).where(link).correlate(outer).scalar_subquery()


def aggregate_order(model: type[Model], table: Any, spec: str) -> Any:
    meta = model._meta
    field = meta.get_field(spec.lstrip("-"))
    column = key_tuple(meta, table) if field is meta.pk else table.c[field.attname]
    return column.desc() if spec.startswith("-") else column.asc()


class JoinedRelation:
    """The one multi-valued relation a query's aggregates read, LEFT JOINed to its table."""

    __slots__ = ("relation", "target", "inner", "from_", "present")

    def __init__(self, relation: Relation, outer: Any) -> None:
        step = relation.step()
        target_table = step.target._meta.table
        assert target_table is not None
        self.relation = relation
        self.target = step.target
        self.inner = target_table.alias()
        on_target = self.inner.c[step.target_attname]
        if step.junction is None:
            self.from_ = outer.outerjoin(self.inner, on_target == outer.c[step.source_attname])
        else:
            junction = step.junction.alias()
            link = junction.c[step.junction_source] == outer.c[step.source_attname]
            self.from_ = outer.outerjoin(junction, link).outerjoin(
                self.inner, on_target == junction.c[step.junction_target]
            )
        #: True for a joined related row (False on a row without related rows).
        self.present = self.inner.c[step.target._meta.pk_attnames[0]].is_not(None)

    def aggregate(self, agg: Aggregate, rest: str | None, counter: list[int]) -> Any:
        target, inner = self.target, self.inner
        column: Any = inner.c[target._meta.get_field(rest).attname] if rest else None
        if column is None and agg.distinct:
            column = key_tuple(target._meta, inner)
        condition: Any = self.present
        if agg.filter is not None:
            own = where_clause(target, inner, strip(agg.filter, self.relation.name + "__"), counter)
            condition = sa.and_(condition, own)
        order = [aggregate_order(target, inner, o) for o in agg.ordering]
        return agg.expression(column, condition, aggregate_binds(agg, counter), order)


#: The relation joined while the annotations of the query being built are compiled.
joined_relation: ContextVar[JoinedRelation | None] = ContextVar("joined_relation", default=None)


def join_plan(
    qs: QuerySet[Any], used: tuple[tuple[str, Any], ...], table: Any
) -> JoinedRelation | None:
    """The relation to join when every relation aggregate of the query reads the same one
    and nothing else in the query needs its rows one per row of the table (grouping by the
    primary key keeps one row per row)."""
    if (
        qs._group is not None
        or qs._related
        or qs._for_update is not None
        or any("__" in name for name in qs._fields or ())
        or isinstance(qs._distinct, tuple)
    ):
        return None
    relations: set[Relation] = set()
    for _, expr in used:
        if not _relations(qs.model, expr, relations):
            return None
    if len(relations) != 1:
        return None
    (relation,) = relations
    return JoinedRelation(relation, table)


def _relations(model: type[Model], expr: Any, found: set[Relation]) -> bool:
    """Add the multi-valued relations ``expr`` aggregates to ``found``; False when ``expr``
    holds what a grouped row cannot compute (a window)."""
    if isinstance(expr, Window):
        return False
    if isinstance(expr, Aggregate):
        if expr.field != "*":
            field = model._meta.get_field(expr.field.partition("__")[0])
            if isinstance(field, Relation) and field.multi_valued:
                found.add(field)
        return True
    if isinstance(expr, CombinedExpression):
        return _relations(model, expr.lhs, found) and _relations(model, expr.rhs, found)
    if isinstance(expr, Func):
        return all(_relations(model, a, found) for a in expr.expressions)
    if isinstance(expr, Case):
        parts = [w.then for w in expr.whens] + [expr.default]
        return all(_relations(model, p, found) for p in parts if p is not None)
    return True
