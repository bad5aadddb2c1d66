"""``QuerySet``: a lazy, immutable, chainable query over one model.

Each chained call returns a clone. Awaiting a queryset runs it (``await qs`` → list);
``async for`` iterates it. Statements are SQLAlchemy Core constructs compiled once per
query *shape* (fields, lookups and ordering; never values) and cached on the model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa

from aksara.db.connection import get_database
from aksara.db.transaction import current_transaction, transaction
from aksara.exceptions import IntegrityError, QueryError, ValidationError
from aksara.query._compile import Plan, RowPlan, param
from aksara.query._resolve import (
    Hop,
    RelatedCondition,
    exists_condition,
    order_column,
    plan_conditions,
    resolve,
)
from aksara.query.aggregates import Aggregate
from aksara.query.expressions import CombinedExpression, F, Q

if TYPE_CHECKING:
    from aksara.models.base import Model

M = TypeVar("M", bound="Model")

_MAX_PLANS = 2048


def _cached_plan(model: type[Model], key: Any, build: Any) -> Any:
    plans = model._meta.plans
    plan = plans.get(key)
    if plan is None:
        if len(plans) >= _MAX_PLANS:
            plans.clear()
        plan = plans[key] = build()
    return plan


# -- conditions ---------------------------------------------------------------------------


def where_key(model: type[Model], q: Q, values: list[Any]) -> Any:
    """The shape of condition ``q`` (values appended to ``values``, in parameter order)."""
    # The usual case first, on every query: no key crosses a relation.
    mark = len(values)
    parts: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(where_key(model, child, values))
            continue
        key, value = child
        resolved = resolve(model, key)
        if isinstance(resolved, Hop):
            del values[mark:]
            return _related_where_key(model, q, values)
        parts.append(_leaf_key(key, value, resolved, values))
    return (q.connector, q.negated, tuple(parts))


def _leaf_key(key: str, value: Any, resolved: Any, values: list[Any]) -> Any:
    """The shape of one ``key=value`` condition; its parameters go to ``values``."""
    if isinstance(value, (F, CombinedExpression)):
        return (key, "expr", expression_key(value, values))
    variant, params = resolved.lookup.prepare(resolved.output_field, value)
    values.extend(params)
    return (key, variant)


def _related_where_key(model: type[Model], q: Q, values: list[Any]) -> Any:
    parts: list[Any] = []
    for item in plan_conditions(model, q):
        if isinstance(item, Q):
            parts.append(where_key(model, item, values))
            continue
        if isinstance(item, RelatedCondition):
            parts.append(("rel", item.hop.relation.name, where_key(item.target, item.q, values)))
            continue
        key, value, resolved = item
        if isinstance(resolved, Hop):
            parts.append((key, "exists", value))
            continue
        parts.append(_leaf_key(key, value, resolved, values))
    return (q.connector, q.negated, tuple(parts))


def where_clause(model: type[Model], table: Any, q: Q, counter: list[int]) -> Any:
    """Build the SQLAlchemy condition for ``q``; bound parameters numbered from ``counter``.

    ``plan_conditions`` walks ``q`` in the order ``where_key`` does, so parameter numbers
    match the order of the values.
    """
    clauses = []
    for item in plan_conditions(model, q):
        if isinstance(item, Q):
            clauses.append(where_clause(model, table, item, counter))
            continue
        if isinstance(item, RelatedCondition):
            build = partial(where_clause, item.target, q=item.q, counter=counter)
            clauses.append(exists_condition(item.hop.step, table, build, item.pk_only()))
            continue
        key, value, resolved = item
        if isinstance(resolved, Hop):
            # <relation>__isnull=True: no related row at all.
            exists = exists_condition(resolved.step, table, None)
            clauses.append(sa.not_(exists) if value else exists)
            continue
        column = resolved.column(table)
        if isinstance(value, (F, CombinedExpression)):
            if resolved.lookup.name not in ("exact", "gt", "gte", "lt", "lte"):
                raise QueryError(f"{key}: F() expressions work with exact/gt/gte/lt/lte only")
            rhs = expression_sql(model, table, value, counter)
            op = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[
                resolved.lookup.name
            ]
            clauses.append(column.op(op, is_comparison=True)(rhs))
            continue
        variant, params = resolved.lookup.prepare(resolved.output_field, value)
        clauses.append(
            resolved.lookup.expression(column, resolved.output_field, variant, counter[0])
        )
        counter[0] += len(params)
    if not clauses:
        combined: Any = sa.true()
    elif len(clauses) == 1:
        combined = clauses[0]
    else:
        combined = sa.and_(*clauses) if q.connector == Q.AND else sa.or_(*clauses)
    return sa.not_(combined) if q.negated else combined


def expression_key(expr: Any, values: list[Any]) -> Any:
    if isinstance(expr, F):
        return ("F", expr.name)
    if isinstance(expr, CombinedExpression):
        return (expression_key(expr.lhs, values), expr.op, expression_key(expr.rhs, values))
    values.append(expr)
    return ("value", type(expr).__name__)


def expression_sql(model: type[Model], table: sa.Table, expr: Any, counter: list[int]) -> Any:
    if isinstance(expr, F):
        return table.c[model._meta.get_field(expr.name).attname]
    if isinstance(expr, CombinedExpression):
        lhs = expression_sql(model, table, expr.lhs, counter)
        rhs = expression_sql(model, table, expr.rhs, counter)
        return lhs.op(expr.op)(rhs)
    bind = param(counter[0], sa.literal(expr).type)
    counter[0] += 1
    return bind


class QuerySet(Generic[M]):
    """A lazy query over ``model``: ``Post.objects.filter(published=True).order_by("-created_at")[:10]``."""

    __slots__ = (
        "model",
        "_where",
        "_order",
        "_limit",
        "_offset",
        "_fields",
        "_mode",
        "_distinct",
        "_for_update",
        "_related",
        "_prefetch",
        "_cache",
    )

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._where: tuple[Q, ...] = ()
        self._order: tuple[str, ...] | None = None
        self._limit: int | None = None
        self._offset: int | None = None
        self._fields: tuple[str, ...] | None = None
        self._mode: str = "instances"
        self._distinct = False
        self._for_update: tuple[bool, bool, tuple[str, ...]] | None = None
        self._related: tuple[str, ...] = ()
        self._prefetch: tuple[str, ...] = ()
        #: Results known without a query (a related manager's prefetched objects); never cloned.
        self._cache: list[M] | None = None

    def _clone(self) -> QuerySet[M]:
        # Spelled out: a loop of getattr/setattr costs several microseconds per clone.
        clone = object.__new__(type(self))
        clone.model = self.model
        clone._where = self._where
        clone._order = self._order
        clone._limit = self._limit
        clone._offset = self._offset
        clone._fields = self._fields
        clone._mode = self._mode
        clone._distinct = self._distinct
        clone._for_update = self._for_update
        clone._related = self._related
        clone._prefetch = self._prefetch
        clone._cache = None
        return clone

    def __repr__(self) -> str:
        return f"<QuerySet {self.model.__name__} where={list(self._where)!r} order={self._order!r}>"

    # -- chaining -------------------------------------------------------------------------

    def all(self) -> QuerySet[M]:
        return self._clone()

    def filter(self, *conditions: Q, **lookups: Any) -> QuerySet[M]:
        """Rows matching every condition: ``filter(title__icontains="db", views__gte=10)``."""
        clone = self._clone()
        if conditions or lookups:
            clone._where = (*self._where, Q(*conditions, **lookups))
        return clone

    def exclude(self, *conditions: Q, **lookups: Any) -> QuerySet[M]:
        """Rows matching none of the conditions together (``NOT (...)``)."""
        clone = self._clone()
        clone._where = (*self._where, ~Q(*conditions, **lookups))
        return clone

    def order_by(self, *fields: str) -> QuerySet[M]:
        """Order by field names; ``"-name"`` sorts descending, ``"?"`` randomly."""
        for spec in fields:
            if spec != "?":
                self.model._meta.get_field(spec.lstrip("-+").split("__")[0])
        clone = self._clone()
        clone._order = tuple(fields)
        return clone

    def distinct(self) -> QuerySet[M]:
        clone = self._clone()
        clone._distinct = True
        return clone

    def only(self, *fields: str) -> QuerySet[M]:
        """Load only these fields (and the primary key); others raise ``AttributeError`` until refreshed."""
        meta = self.model._meta
        names = []
        for name in fields:
            field = meta.get_field(name)
            if not field.concrete:
                raise QueryError(f"{meta.model_name}.{name} has no column to load")
            names.append(field.name)
        clone = self._clone()
        clone._fields = tuple(dict.fromkeys([meta.pk.name, *names]))
        return clone

    def values(self, *fields: str) -> QuerySet[M]:
        """Rows as dicts of field values (all fields, or ``fields``)."""
        clone = self._clone()
        clone._mode = "dicts"
        clone._fields = self._field_names(fields)
        return clone

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[M]:
        """Rows as tuples; ``flat=True`` with one field gives the values themselves."""
        if flat and len(fields) != 1:
            raise QueryError("values_list(flat=True) needs exactly one field")
        clone = self._clone()
        clone._mode = "flat" if flat else "tuples"
        clone._fields = self._field_names(fields)
        return clone

    def select_for_update(
        self, *, nowait: bool = False, skip_locked: bool = False, of: Sequence[str] = ()
    ) -> QuerySet[M]:
        """Lock the selected rows until the transaction ends (``SELECT ... FOR UPDATE``)."""
        if nowait and skip_locked:
            raise QueryError("select_for_update(): nowait and skip_locked exclude each other")
        clone = self._clone()
        clone._for_update = (nowait, skip_locked, tuple(of))
        return clone

    def _field_names(self, fields: Sequence[str]) -> tuple[str, ...]:
        meta = self.model._meta
        if not fields:
            return tuple(f.attname for f in meta.concrete_fields)
        names = []
        for name in fields:
            if "__" in name:
                # A column of a related row (author__email): selected through a LEFT JOIN.
                from aksara.query.related import check_join_path

                check_join_path(self.model, name)
                names.append(name)
                continue
            field = meta.get_field(name)
            if not field.concrete:
                raise QueryError(f"{meta.model_name}.{name} has no column to select")
            names.append(name if name in meta.by_attname else field.attname)
        return tuple(names)

    def __getitem__(self, item: int | slice) -> Any:
        if isinstance(item, slice):
            if item.step not in (None, 1):
                raise QueryError("QuerySet slicing does not support steps")
            start, stop = item.start or 0, item.stop
            if start < 0 or (stop is not None and stop < 0):
                raise QueryError("QuerySet slicing does not support negative indexes")
            clone = self._clone()
            base_offset = self._offset or 0
            clone._offset = base_offset + start or None
            if stop is not None:
                limit = max(stop - start, 0)
                clone._limit = min(limit, self._limit - start) if self._limit is not None else limit
            elif self._limit is not None:
                clone._limit = max(self._limit - start, 0)
            return clone
        if isinstance(item, int):
            if item < 0:
                raise QueryError("QuerySet indexing does not support negative indexes")
            return self._index(item)
        raise TypeError(f"QuerySet indices must be integers or slices, not {type(item).__name__}")

    async def _index(self, index: int) -> Any:
        rows = await self[index : index + 1]._fetch()
        if not rows:
            raise IndexError("QuerySet index out of range")
        return rows[0]

    # -- compilation -------------------------------------------------------------------------

    def _condition_key(self, values: list[Any]) -> tuple[Any, ...]:
        model = self.model
        return tuple(where_key(model, q, values) for q in self._where)

    def _apply_where(self, stmt: Any, table: sa.Table, counter: list[int]) -> Any:
        for q in self._where:
            stmt = stmt.where(where_clause(self.model, table, q, counter))
        return stmt

    def _ordering(self) -> tuple[str, ...]:
        return self._order if self._order is not None else self.model._meta.ordering

    def _select(self) -> tuple[Plan, RowPlan, list[Any], Any]:
        values: list[Any] = []
        cond = self._condition_key(values)
        order = self._ordering()
        if self._limit is not None:
            values.append(self._limit)
        if self._offset is not None:
            values.append(self._offset)
        key = (
            "select",
            self._fields,
            cond,
            order,
            self._limit is not None,
            self._offset is not None,
            self._distinct,
            self._for_update,
            self._mode == "instances",
            self._related,
        )
        plans = _cached_plan(self.model, key, self._build_select)
        return plans[0], plans[1], values, plans[2]

    def _select_columns(self, table: sa.Table) -> tuple[list[Any], Any, Any, tuple[str, ...]]:
        """The selected columns, the FROM clause, the ``select_related`` layout and the row names.

        Columns of related rows (``values("author__email")``, ``select_related("author")``)
        come from LEFT JOINs along single-valued relations.
        """
        meta = self.model._meta
        names = self._fields or meta.attnames
        joins = None
        columns: list[Any] = []
        for name in names:
            if "__" in name:
                if joins is None:
                    from aksara.query.related import Joins

                    joins = Joins(self.model, table)
                columns.append(joins.column(name))
            else:
                columns.append(table.c[meta.get_field(name).attname])
        layout = None
        row_names: tuple[str, ...] = names
        if self._mode == "instances":
            row_names = tuple(meta.get_field(n).attname for n in names)
            if row_names == meta.attnames:
                row_names = meta.attnames
            if self._related:
                from aksara.query.related import Joins

                joins = joins or Joins(self.model, table)
                layout = joins.select_related(self._related, columns)
                row_names = (*row_names, *layout.names)
        return columns, (joins.from_ if joins is not None else table), layout, row_names

    def _build_select(self) -> tuple[Plan, RowPlan, Any]:
        meta = self.model._meta
        table = meta.table
        assert table is not None
        columns, from_, layout, row_names = self._select_columns(table)
        stmt: Any = sa.select(*columns).select_from(from_)
        counter = [0]
        stmt = self._apply_where(stmt, table, counter)
        order = self._ordering()
        if order:
            stmt = stmt.order_by(*(order_column(self.model, table, o) for o in order))
        if self._distinct:
            stmt = stmt.distinct()
        if self._limit is not None:
            stmt = stmt.limit(param(counter[0], sa.BigInteger()))
            counter[0] += 1
        if self._offset is not None:
            stmt = stmt.offset(param(counter[0], sa.BigInteger()))
            counter[0] += 1
        if self._for_update is not None:
            nowait, skip_locked, of = self._for_update
            # Lock this model's rows only: the nullable side of an outer join cannot be locked.
            stmt = stmt.with_for_update(
                nowait=nowait, skip_locked=skip_locked, of=table if from_ is not table else None
            )
        return Plan(stmt), RowPlan(row_names, [c.type for c in columns]), layout

    # -- execution -----------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, list[Any]]:
        return self._fetch().__await__()

    async def _fetch(self) -> list[Any]:
        if self._cache is not None:
            return list(self._cache)
        if self._limit == 0:
            return []
        plan, rows, values, layout = self._select()
        records = await get_database().fetch(plan.sql, plan.args(values))
        result = self._convert(records, rows, layout)
        if self._mode == "instances" and self._prefetch:
            from aksara.query.related import prefetch_related_objects

            await prefetch_related_objects(result, *self._prefetch)
        return result

    def _convert(self, records: Sequence[Any], rows: RowPlan, layout: Any = None) -> list[Any]:
        mode = self._mode
        if mode == "instances":
            if layout is not None:
                return layout.hydrate(self.model, records, rows)  # type: ignore[no-any-return]
            return hydrate(self.model, records, rows)
        if mode == "dicts":
            return rows.dicts(records)
        if mode == "tuples":
            return rows.tuples(records)
        return rows.flat(records)

    async def __aiter__(self) -> AsyncIterator[Any]:
        """Iterate the results; inside a transaction rows stream through a server-side cursor."""
        if self._cache is not None:
            for item in list(self._cache):
                yield item
            return
        tx = current_transaction()
        if tx is None or tx.conn is None or self._prefetch or self._related:
            for item in await self._fetch():
                yield item
            return
        plan, rows, values, _ = self._select()
        batch: list[Any] = []
        cursor = tx.conn.raw.cursor(plan.sql, *plan.args(values), prefetch=500)
        async for record in cursor:
            batch.append(record)
            if len(batch) >= 500:
                for item in self._convert(batch, rows):
                    yield item
                batch = []
        for item in self._convert(batch, rows):
            yield item

    async def get(self, *conditions: Q, **lookups: Any) -> M:
        """The one row matching; ``Model.DoesNotExist`` or ``Model.MultipleObjectsReturned`` otherwise."""
        if len(lookups) == 1 and not conditions and self._is_plain():
            rows = await self._get_one(lookups)
        else:
            qs = self.filter(*conditions, **lookups) if conditions or lookups else self
            if qs._limit is None:
                qs = qs._clone()
                qs._limit = 2
            rows = await qs._fetch()
        if len(rows) == 1:
            return rows[0]
        model = self.model
        described = ", ".join(f"{k}={v!r}" for k, v in lookups.items())
        if not rows:
            raise model.DoesNotExist(f"{model.__name__} matching ({described}) does not exist")
        raise model.MultipleObjectsReturned(
            f"get() returned more than one {model.__name__} matching ({described})"
        )

    def _is_plain(self) -> bool:
        """True for ``Model.objects`` itself or ``.all()``: instances, no condition, no limit."""
        return (
            not self._where
            and self._limit is None
            and self._offset is None
            and self._mode == "instances"
            and self._fields is None
            and not self._distinct
            and self._for_update is None
            and not self._related
            and not self._prefetch
            and self._cache is None
        )

    async def _get_one(self, lookups: dict[str, Any]) -> list[M]:
        """``get(key=value)`` on a plain queryset: what ``filter(key=value)[:2]`` runs, with its
        plan found by the lookup's shape alone (no queryset clones, no condition tree)."""
        ((key, value),) = lookups.items()
        model = self.model
        resolved = resolve(model, key)
        if isinstance(resolved, Hop) or isinstance(value, (F, CombinedExpression, Q)):
            return await self.filter(**lookups)[:2]._fetch()  # type: ignore[no-any-return]
        variant, params = resolved.lookup.prepare(resolved.output_field, value)
        order = self._ordering()

        def build() -> tuple[Plan, RowPlan, Any]:
            qs = self.filter(**lookups)
            qs._limit = 2
            return qs._build_select()

        plan, rows, _ = _cached_plan(model, ("get", key, variant, order), build)
        records = await get_database().fetch(plan.sql, plan.args([*params, 2]))
        return hydrate(model, records, rows)

    async def get_or_none(self, *conditions: Q, **lookups: Any) -> M | None:
        try:
            return await self.get(*conditions, **lookups)
        except self.model.DoesNotExist:
            return None

    async def first(self) -> M | None:
        qs = self if self._ordering() else self.order_by("pk")
        rows = await qs[0:1]._fetch()
        return rows[0] if rows else None

    async def last(self) -> M | None:
        order = self._ordering() or ("pk",)
        reversed_order = tuple(o[1:] if o.startswith("-") else f"-{o}" for o in order)
        rows = await self.order_by(*reversed_order)[0:1]._fetch()
        return rows[0] if rows else None

    async def count(self) -> int:
        if self._cache is not None:
            return len(self._cache)
        values: list[Any] = []
        key = (
            "count",
            self._condition_key(values),
            self._limit,
            self._offset,
            self._distinct,
            self._fields if self._distinct else None,
        )

        def build() -> Plan:
            table = self.model._meta.table
            assert table is not None
            if self._limit is not None or self._offset is not None or self._distinct:
                inner = self._clone()
                inner._mode = "tuples"
                inner_plan = inner._build_select_stmt()
                return Plan(sa.select(sa.func.count()).select_from(inner_plan.subquery()))
            stmt = self._apply_where(sa.select(sa.func.count()).select_from(table), table, [0])
            return Plan(stmt)

        plan = _cached_plan(self.model, key, build)
        if self._limit is not None or self._offset is not None or self._distinct:
            if self._limit is not None:
                values.append(self._limit)
            if self._offset is not None:
                values.append(self._offset)
        return int(await get_database().fetchval(plan.sql, plan.args(values)))

    def _build_select_stmt(self) -> Any:
        table = self.model._meta.table
        assert table is not None
        columns, from_, _, _ = self._select_columns(table)
        stmt: Any = sa.select(*columns).select_from(from_)
        counter = [0]
        stmt = self._apply_where(stmt, table, counter)
        if self._distinct:
            stmt = stmt.distinct()
        order = self._ordering()
        if order:
            stmt = stmt.order_by(*(order_column(self.model, table, o) for o in order))
        if self._limit is not None:
            stmt = stmt.limit(param(counter[0], sa.BigInteger()))
            counter[0] += 1
        if self._offset is not None:
            stmt = stmt.offset(param(counter[0], sa.BigInteger()))
        return stmt

    async def exists(self) -> bool:
        if self._cache is not None:
            return bool(self._cache)
        values: list[Any] = []
        key = ("exists", self._condition_key(values))

        def build() -> Plan:
            table = self.model._meta.table
            assert table is not None
            stmt = self._apply_where(sa.select(sa.literal(1)).select_from(table), table, [0])
            return Plan(stmt.limit(1))

        plan = _cached_plan(self.model, key, build)
        return await get_database().fetchval(plan.sql, plan.args(values)) is not None

    async def aggregate(self, *aggregates: Aggregate, **named: Aggregate) -> dict[str, Any]:
        """``aggregate(total=Sum("price"), n=Count())`` → ``{"total": ..., "n": ...}``."""
        items = {a.default_alias: a for a in aggregates}
        items.update(named)
        if not items:
            raise QueryError("aggregate() needs at least one aggregate")
        meta = self.model._meta
        for agg in items.values():
            if agg.field != "*" and not meta.get_field(agg.field).concrete:
                raise QueryError(f"{meta.model_name}.{agg.field} has no column to aggregate")
        values: list[Any] = []
        key = (
            "aggregate",
            tuple((k, type(a).__name__, a.field, a.distinct) for k, a in items.items()),
            self._condition_key(values),
        )

        def build() -> Plan:
            table = meta.table
            assert table is not None
            cols = []
            for alias, agg in items.items():
                column = None if agg.field == "*" else table.c[meta.get_field(agg.field).attname]
                if column is None and not hasattr(agg, "expression"):
                    raise QueryError(f"{type(agg).__name__} needs a field")
                cols.append(agg.expression(column).label(alias))
            stmt = self._apply_where(sa.select(*cols).select_from(table), table, [0])
            return Plan(stmt)

        plan = _cached_plan(self.model, key, build)
        record = await get_database().fetchrow(plan.sql, plan.args(values))
        assert record is not None
        return dict(zip(items, record, strict=True))

    async def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        """A dict of instances keyed by ``field_name`` (only those in ``id_list`` when given)."""
        field = self.model._meta.get_field(field_name)
        if field_name != "pk" and not (field.unique or field.primary_key):
            raise QueryError(f"in_bulk() needs a unique field, and {field_name!r} is not unique")
        qs = self if id_list is None else self.filter(**{f"{field.name}__in": list(id_list)})
        return {obj.__dict__[field.attname]: obj for obj in await qs._fetch()}

    # -- writes -------------------------------------------------------------------------------

    async def create(self, **values: Any) -> M:
        """Build an instance, validate it and INSERT it."""
        obj = self.model(**values)
        await obj.save(force_insert=True)
        return obj

    async def get_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        """Get the row matching ``lookups`` or create it (with ``defaults``); safe under concurrency
        when a unique constraint covers ``lookups``."""
        try:
            return await self.get(**lookups), False
        except self.model.DoesNotExist:
            pass
        params = {k: v for k, v in lookups.items() if "__" not in k}
        params.update(defaults or {})
        try:
            async with transaction():
                obj = await self.create(**params)
            return obj, True
        except IntegrityError:
            try:
                return await self.get(**lookups), False
            except self.model.DoesNotExist:
                pass
            raise

    async def update_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        """Update the row matching ``lookups`` with ``defaults``, or create it."""
        defaults = defaults or {}
        async with transaction():
            obj = await self.select_for_update().get_or_none(**lookups)
            if obj is not None:
                for name, value in defaults.items():
                    setattr(obj, name, value)
                await obj.save()
                return obj, False
        obj, created = await self.get_or_create(defaults, **lookups)
        if not created:
            return await self.update_or_create(defaults, **lookups)
        return obj, True

    async def update(self, **values: Any) -> int:
        """UPDATE every matching row; values are validated first. Returns the number of rows."""
        if not values:
            raise QueryError("update() needs at least one field")
        if self._limit is not None or self._offset is not None:
            raise QueryError("Cannot update a sliced queryset")
        meta = self.model._meta
        fields = [meta.get_field(name) for name in values]
        params: list[Any] = []
        shape: list[Any] = []
        errors: dict[str, list[str]] = {}
        for field, value in zip(fields, values.values(), strict=True):
            if not field.concrete:
                raise QueryError(f"{meta.model_name}.{field.name} cannot be updated with update()")
            if isinstance(value, (F, CombinedExpression)):
                shape.append((field.attname, expression_key(value, params)))
                continue
            try:
                value = field.clean(value)
            except ValidationError as error:
                errors.setdefault(field.name, []).extend(error.messages)
                continue
            shape.append((field.attname, None))
            params.append(field.to_db(value))
        if errors:
            raise ValidationError(errors, model=meta.model_name)
        cond = self._condition_key(params)
        key = ("update", tuple(shape), cond)
        raw_values = values

        def build() -> Plan:
            table = meta.table
            assert table is not None
            counter = [0]
            assignments: dict[str, Any] = {}
            for field, value in zip(fields, raw_values.values(), strict=True):
                if isinstance(value, (F, CombinedExpression)):
                    assignments[field.attname] = expression_sql(self.model, table, value, counter)
                else:
                    assignments[field.attname] = param(counter[0], table.c[field.attname].type)
                    counter[0] += 1
            stmt = self._apply_where(sa.update(table), table, counter).values(assignments)
            return Plan(stmt)

        plan = _cached_plan(self.model, key, build)
        status = await get_database().execute(plan.sql, plan.args(params))
        return _rowcount(status)

    async def delete(self) -> int:
        """DELETE every matching row; returns the number of rows deleted."""
        if self._limit is not None or self._offset is not None:
            raise QueryError("Cannot delete a sliced queryset")
        values: list[Any] = []
        key = ("delete", self._condition_key(values))

        def build() -> Any:
            table = self.model._meta.table
            assert table is not None
            return self._apply_where(sa.delete(table), table, [0])

        from aksara.query import persist
        from aksara.query.related import guard_delete

        return await guard_delete(
            self.model, lambda: persist.delete_rows(self.model, key, build, values)
        )

    async def bulk_create(self, objs: Iterable[M], *, batch_size: int | None = None) -> list[M]:
        """Validate every instance, then INSERT them with one statement per batch."""
        from aksara.query import persist

        return await persist.bulk_create(self.model, list(objs), batch_size)  # type: ignore[return-value]

    async def bulk_update(
        self, objs: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        """Validate and UPDATE ``fields`` of every instance; returns the number of rows updated."""
        from aksara.query import persist

        return await persist.bulk_update(self.model, list(objs), fields, batch_size)

    def select_related(self, *fields: str) -> QuerySet[M]:
        """Load these single-valued relations in the same query, one LEFT JOIN each:
        ``select_related("author", "author__team")`` (ForeignKey, OneToOne and a OneToOne's
        reverse side). Afterwards ``post.author`` needs no query."""
        from aksara.query.related import check_join_path

        for name in fields:
            check_join_path(self.model, name, columns=False)
        clone = self._clone()
        clone._related = tuple(dict.fromkeys((*self._related, *fields)))
        return clone

    def prefetch_related(self, *fields: str) -> QuerySet[M]:
        """Load these relations with one extra query each (and per level of ``a__b``):
        ``prefetch_related("tags", "author__posts")``. Afterwards ``post.tags`` iterates and
        ``await post.tags.all()`` answers without a query."""
        from aksara.query.related import check_prefetch_path

        for name in fields:
            check_prefetch_path(self.model, name)
        clone = self._clone()
        clone._prefetch = tuple(dict.fromkeys((*self._prefetch, *fields)))
        return clone

    async def nearest(self, field: str, vector: Any, **options: Any) -> list[M]:
        """The rows nearest to ``vector`` by a Vector field (see ``aksara.query.vector.nearest``)."""
        from aksara.query.vector import nearest

        return await nearest(self, field, vector, **options)


def _rowcount(status: str) -> int:
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


def hydrate(model: type[M], records: Sequence[Any], rows: RowPlan) -> list[M]:
    """Build instances from records without validation (values are the database's own)."""
    build = rows.builder(model) or _dict_builder(model, rows.names)
    if not rows.procs:
        # The records are the values: an instance keeps its own (see Model.__getstate__).
        return [build(record) for record in records]
    return [build(values) for values in rows.tuples(records)]


def _dict_builder(model: type[M], names: tuple[str, ...]) -> Callable[[tuple[Any, ...]], M]:
    from aksara.query.related import make_instance

    meta = model._meta
    mutable = tuple(i for i, n in enumerate(names) if meta.by_attname[n].mutable)

    def build(values: tuple[Any, ...]) -> M:
        return make_instance(model, names, values, mutable)

    return build
