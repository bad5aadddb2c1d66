"""``prefetch_related`` of a small queryset, folded into its SELECT: one round trip.

A queryset that returns at most ``FOLD_ROWS`` rows (``get()``, ``first()``, a page such as
``[40:60]``) reads the first level of each prefetched relation in the same statement, as
an array of rows per row, instead of one more query per relation:

```
SELECT q.*,
       ARRAY(SELECT ROW(t.id, t.name) FROM tag AS t JOIN post_tags AS j ON j.tag_id = t.id
             WHERE j.post_id = q.id ORDER BY t.name)
FROM (SELECT post.* FROM post WHERE ... ORDER BY ... LIMIT 20 OFFSET 40) AS q
```

The page is the subquery, so the arrays are built for its rows only (OFFSET's skipped rows
included otherwise). Deeper levels (``tags__owner``) and relations that cannot be folded
still run as ``prefetch.py``'s queries, on the instances this statement built.

A relation is folded when the rows of its model are made only of column types asyncpg
decodes inside an anonymous row on any connection (numbers, text, booleans, bytes, dates
and times, UUIDs, JSON): arrays, ranges, enums, vectors and other types need per-connection
type information asyncpg loads only for a statement's own columns.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.db import get_database
from aksara.query._compile import Plan, RowPlan
from aksara.query._plans import builder_for, cached_plan, instances
from aksara.query._resolve import order_column, relation_named
from aksara.query._select import row_plan, select_statement, shape
from aksara.query.prefetch import cache_filler, prefetch_related_objects

if TYPE_CHECKING:
    from aksara.fields.relation_base import Relation
    from aksara.models.base import Model
    from aksara.query.joins import JoinLayout
    from aksara.query.queryset import QuerySet

#: The most rows a queryset may return for its prefetched relations to be folded in: past
#: it, one ``= ANY($1)`` query per relation reads their rows with one index scan or hash
#: instead of one correlated subquery per row.
FOLD_ROWS = 100

#: Column types decoded inside an anonymous row without per-connection type information.
_PLAIN_TYPES: tuple[type[Any], ...] = (
    sa.Integer,
    sa.Numeric,
    sa.String,
    sa.Boolean,
    sa.LargeBinary,
    sa.Date,
    sa.Time,
    sa.DateTime,
    sa.Interval,
    pg.INTERVAL,
    sa.Uuid,
    sa.JSON,
)
_TYPED: tuple[type[Any], ...] = (sa.Enum, sa.ARRAY)


class Folding:
    """The prefetched relations a small queryset's SELECT carries, and the lookups that still
    run as queries afterwards (deeper levels, relations that cannot be folded)."""

    __slots__ = ("relations", "rest")

    def __init__(self, relations: tuple[Relation, ...], rest: tuple[str, ...]) -> None:
        self.relations = relations
        self.rest = rest


def folded(qs: QuerySet[Any, Any]) -> Folding | None:
    """What ``qs.prefetch_related()`` its SELECT can carry (None when the queryset may return
    more than ``FOLD_ROWS`` rows or reads anything but whole instances)."""
    if (
        qs._limit is None
        or qs._limit > FOLD_ROWS
        or qs._mode != "instances"
        or qs._fields is not None
        or qs._annotations
        or qs._combined is not None
        or qs._group is not None
        or qs._distinct
        or qs._for_update is not None
    ):
        return None
    model = qs.model
    return cached_plan(model, ("folded", qs._prefetch), lambda: _foldable(model, qs._prefetch))  # type: ignore[no-any-return]


def _foldable(model: type[Model], lookups: tuple[str, ...]) -> Folding | None:
    if model._meta.composite_pk:
        return None
    relations: dict[str, Relation] = {}
    for name in dict.fromkeys(lookup.split("__", 1)[0] for lookup in lookups):
        relation = relation_named(model, name)
        tmeta = relation.step().target._meta
        table = tmeta.table
        if tmeta.composite_pk or table is None:
            continue
        if all(_plain(table.c[a].type) for a in tmeta.attnames):
            relations[name] = relation
    if not relations:
        return None
    # A folded relation's instances are loaded: prefetch.py leaves them be, and goes on
    # to a deeper level from them.
    rest = tuple(lookup for lookup in lookups if lookup not in relations)
    return Folding(tuple(relations.values()), rest)


def _plain(type_: Any) -> bool:
    if isinstance(type_, sa.TypeDecorator):
        type_ = type_.impl_instance
    return isinstance(type_, _PLAIN_TYPES) and not isinstance(type_, _TYPED)


def fetch(qs: QuerySet[Any, Any], folding: Folding) -> Coroutine[Any, Any, list[Any]]:
    """The instances of ``qs`` with the folded relations loaded from the same statement, then
    the rest of its ``prefetch_related()`` as queries (a plain function returning the
    coroutine that reads them: one coroutine fewer to await)."""
    values: list[Any] = []
    key = ("select_folded", shape(qs, values), qs._prefetch)
    select: FoldedSelect = cached_plan(qs.model, key, lambda: FoldedSelect(qs, folding))
    return select.read(qs.model, values)


class FoldedSelect:
    """A folded SELECT, built once per query shape: the statement, how to read its
    instances, their layout, how to read each array's rows, the number of columns before
    the arrays, and the lookups that still run as queries."""

    __slots__ = ("plan", "rows", "layout", "arrays", "width", "rest")

    def __init__(self, qs: QuerySet[Any, Any], folding: Folding) -> None:
        stmt, columns, layout, row_names = select_statement(qs)
        page = stmt.subquery()
        outer = list(page.c)
        assert len(outer) == len(columns)
        attnames = qs.model._meta.attnames
        assert row_names[: len(attnames)] == attnames
        arrays: list[_Array] = []
        for relation in folding.relations:
            # The instance's own columns come first, in the order of its attnames.
            position = attnames.index(relation.step().source_attname)
            arrays.append(_Array(relation, outer[position]))
        self.plan = Plan(sa.select(*outer, *(array.column for array in arrays)))
        self.rows: RowPlan = row_plan(qs, columns, row_names)
        self.layout: JoinLayout | None = layout
        self.arrays = tuple(arrays)
        self.width = len(columns)
        self.rest = folding.rest

    async def read(self, model: type[Model], values: list[Any]) -> list[Any]:
        """The instances of ``model`` the statement returns for ``values``, their folded
        relations loaded, then the rest of the lookups."""
        plan, width = self.plan, self.width
        records = await get_database().fetch(plan.sql, plan.args(values))
        result = instances(model, [record[:width] for record in records], self.rows, self.layout)
        if result:
            for position, array in enumerate(self.arrays, width):
                array.attach(result, [record[position] for record in records])
            if self.rest:
                await prefetch_related_objects(result, *self.rest)
        return result


class _Array:
    """One folded relation: ``ARRAY(SELECT ROW(<target columns>) ...)`` of the rows related
    to each row, and how its arrays become the instances' relation caches."""

    __slots__ = ("column", "rows", "target", "relation", "_fill")

    def __init__(self, relation: Relation, source: Any) -> None:
        step = relation.step()
        target = step.target
        tmeta = target._meta
        assert tmeta.table is not None
        inner = tmeta.table.alias()
        columns = [inner.c[a] for a in tmeta.attnames]
        stmt = sa.select(sa.func.row(*columns))
        if step.junction is None:
            stmt = stmt.where(inner.c[step.target_attname] == source)
        else:
            link = step.junction.alias()
            on = link.c[step.junction_target] == inner.c[step.target_attname]
            stmt = stmt.select_from(inner.join(link, on))
            stmt = stmt.where(link.c[step.junction_source] == source)
        if relation.multi_valued and tmeta.soft_delete:
            stmt = stmt.where(inner.c["deleted_at"].is_(None))
        if tmeta.ordering:
            stmt = stmt.order_by(*(order_column(target, inner, o) for o in tmeta.ordering))
        self.column = sa.func.array(stmt.scalar_subquery())
        self.rows = RowPlan(tmeta.attnames, [c.type for c in columns])
        self.target = target
        self.relation = relation
        self._fill: Callable[[list[Model], list[Any]], None] | None = None

    def attach(self, objs: list[Model], arrays: list[Any]) -> None:
        """Put each instance's related rows in its relation cache, as ``prefetch.py``'s
        ``fill_caches`` does."""
        fill = self._fill
        if fill is None:
            build = self.rows.builder(self.target, builder_for)
            fill = self._fill = cache_filler(self.relation, build, self.rows)
        fill(objs, arrays)
