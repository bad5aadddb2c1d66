"""Statements that write many rows: ``bulk_create()``, ``bulk_update()``, and a queryset's
``update()`` and ``delete()``."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara._typing import DATABASE_DEFAULT, NOT_PROVIDED
from aksara.db import get_database, transaction
from aksara.exceptions import QueryError, ValidationError
from aksara.fields.base import Field
from aksara.query import _copy, _select
from aksara.query._bulk_checks import Prepared, attribute_names, clean_all
from aksara.query._compile import Plan, RowPlan, array_param, param
from aksara.query._keys import key_params
from aksara.query._plans import cached_plan, rowcount
from aksara.query._updates import refuse_defaults, update_plan
from aksara.query._where import expression_key, expression_sql
from aksara.query.aggregates import Aggregate
from aksara.query.annotations import annotation_key, annotation_sql, check_expression, has_window
from aksara.query.expressions import CombinedExpression, F, Value
from aksara.query.functions import Case, Func, Subquery, Window
from aksara.query.persist import (
    delete_rows,
    expression_error,
    insert_names,
    insert_plan,
    insert_values,
    returned_names,
    snapshot,
    snapshot_all,
)
from aksara.query.save_context import SaveContext
from aksara.state import is_whole

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.queryset import QuerySet

# asyncpg sends at most 32767 parameters with one statement.
_MAX_PARAMS = 32767


def _unnest_plan(model: type[Model], generated: bool) -> Plan | None:
    """``INSERT ... SELECT * FROM unnest($1::t1[], $2::t2[], ...)``: one array parameter per
    column, so one statement (and one prepared plan) serves any number of rows, and the
    server parses a handful of parameters instead of one per value. None when a column
    cannot travel as an array element (arrays, vectors): multi-row VALUES then."""

    def build() -> Plan | None:
        meta = model._meta
        table = meta.table
        assert table is not None
        names = insert_names(model, generated)
        columns = [table.c[a] for a in names]
        # No column to send (the database makes every value): ``VALUES (DEFAULT), ...``.
        if not columns or not all(unnest_safe(c.type) for c in columns):
            return None
        source = sa.func.unnest(*(array_param(i, c.type) for i, c in enumerate(columns)))
        star: sa.ColumnClause[Any] = sa.literal_column("*")
        select = sa.select(star).select_from(source)
        stmt = sa.insert(table).from_select(list(names), select)
        if generated:
            stmt = stmt.returning(table.c[meta.pk_attname])
        return Plan(stmt)

    return cached_plan(model, ("insert_unnest", generated), build)  # type: ignore[no-any-return]


def unnest_safe(type_: sa.types.TypeEngine[Any]) -> bool:
    impl = getattr(type_, "impl", type_)
    if isinstance(type_, sa.ARRAY) or isinstance(impl, sa.ARRAY):
        return False
    # pgvector's types (and subclasses such as aksara's VectorType) are lists themselves.
    return not any(c.__module__.startswith("pgvector") for c in type(impl).__mro__)


#: Field's own method, looked up once (``Field[Any, Any]`` is a new alias object each time).
_PLAIN_CLEAN_FOR_UPDATE = Field[Any, Any].clean_for_update


def column_values(fields: Sequence[Field[Any, Any]], objs: Sequence[Model]) -> list[list[Any]]:
    """The values of ``objs`` column by column (``unnest()``'s arrays), ``to_db()`` applied
    where a field has one of its own."""
    dicts = [o.__dict__ for o in objs]
    columns: list[list[Any]] = []
    for field in fields:
        attname = field.attname
        to_db = field.db_converter()
        if to_db is None:
            columns.append([d[attname] for d in dicts])
        else:
            columns.append([to_db(d[attname]) for d in dicts])
    return columns


async def bulk_create(model: type[Model], objs: list[Model], batch_size: int | None) -> list[Model]:
    if not objs:
        return objs
    meta = model._meta
    hooked = meta.async_save_fields
    # Large batches of plain instances get their COPY rows made by the checks.
    prepared = clean_all(model, objs, rows=len(objs) >= _copy.MIN_ROWS and not hooked)
    pk_attname = meta.pk_attname
    generated = _keys_to_make(model, objs)
    if meta.filled_fields:
        return await _bulk_create_filled(model, objs, batch_size, generated)
    database = get_database()
    unnest = _unnest_plan(model, generated)
    if unnest is not None:
        size = batch_size or 10_000
    else:
        ncols = len(insert_names(model, generated))
        size = min(batch_size or 1000, max(_MAX_PARAMS // max(ncols, 1), 1))

    copy_row = _copy.copy_rows(model) if unnest is not None else None

    async def insert(plan: Plan, values: list[Any], chunk: list[Model]) -> None:
        if generated:
            records = await database.fetch(plan.sql, plan.args(values))
            for obj, record in zip(chunk, records, strict=True):
                vars(obj)[pk_attname] = record[0]
        else:
            await database.execute(plan.sql, plan.args(values))

    async def run() -> list[Sequence[Any]] | None:
        """Insert the instances; their snapshots where COPY made them with its rows."""
        if unnest is not None:
            insert_fields = [f for f in meta.concrete_fields if not (generated and f is meta.pk)]
            snapshots: list[Sequence[Any]] | None = []
            for start in range(0, len(objs), size):
                chunk = objs[start : start + size]
                if copy_row is not None and len(chunk) >= _copy.MIN_ROWS:
                    part = _part(prepared, start, start + len(chunk))
                    made = await _copy_chunk(model, chunk, copy_row, generated, part)
                    if snapshots is not None:
                        snapshots.extend(made)
                    continue
                columns = column_values(insert_fields, chunk)
                # PostgreSQL returns the inserted rows in the order unnest() produced them.
                await insert(unnest, columns, chunk)
                snapshots = None
            return snapshots
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            plan = insert_plan(model, len(chunk), generated)
            values: list[Any] = []
            for obj in chunk:
                values.extend(insert_values(obj, generated))
            # PostgreSQL returns the rows of INSERT ... VALUES in the order given.
            await insert(plan, values, chunk)
        return None

    if hooked:
        for obj in objs:
            for field in hooked:
                await field.validate_async(obj)
    if len(objs) > size or hooked:
        async with transaction():
            for obj in objs:
                context = SaveContext(obj, True)
                for field in hooked:
                    await field.pre_save_async(obj, True, context)
            snapshots = await run()
    else:
        snapshots = await run()
    if snapshots is None:
        snapshot_all(model, objs)
    else:  # every row went by COPY: only now, all written, are the instances saved ones
        _keep_snapshots(model, objs, snapshots)
    return objs


def _keys_to_make(model: type[Model], objs: list[Model]) -> bool:
    """Whether the database makes the keys of ``objs``: a key it can make, given to none of
    them (given to some only, a ``QueryError``)."""
    meta = model._meta
    if not meta.pk.db_generated:
        return False
    attname = meta.pk_attname
    # Read as attributes where they are plain, so the values stay inline (see _bulk_checks).
    if attname in attribute_names(model):
        keys = list(map(attrgetter(attname), objs))
    else:
        keys = [o.__dict__[attname] for o in objs]
    if all(k is None for k in keys):
        return True
    if any(k is None for k in keys):
        raise QueryError(
            f"bulk_create(): give every {meta.model_name} a {meta.pk.name} or none of them"
        )
    return False


def _keep_snapshots(model: type[Model], objs: list[Model], snapshots: list[Any]) -> None:
    """Each instance's snapshot, the values COPY wrote: it is a saved instance now."""
    if model.__setattr__ is object.__setattr__:  # values kept inline (see _bulk_checks)
        for obj, loaded in zip(objs, snapshots, strict=True):
            obj._loaded = loaded  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    else:
        for obj, loaded in zip(objs, snapshots, strict=True):
            vars(obj)["_loaded"] = loaded


async def _bulk_create_filled(
    model: type[Model], objs: list[Model], batch_size: int | None, generated: bool
) -> list[Model]:
    """``bulk_create()`` of a model whose database fills columns (``db_default=``,
    ``generated=``): the instances are grouped by the columns they leave to the database,
    each group inserted with multi-row VALUES returning what the database filled, all in
    one transaction."""
    meta = model._meta
    table = meta.table
    assert table is not None
    groups = by_database_defaults(model, objs)
    database = get_database()
    async with transaction():
        for omit, members in groups.items():
            columns = len(insert_names(model, generated, omit))
            size = min(batch_size or 1000, max(_MAX_PARAMS // max(columns, 1), 1))
            returned = returned_names(model, generated, omit)
            rows = RowPlan(returned, [table.c[a].type for a in returned])
            for start in range(0, len(members), size):
                chunk = members[start : start + size]
                plan = insert_plan(model, len(chunk), generated, omit)
                values = [v for obj in chunk for v in insert_values(obj, generated, omit)]
                records = await database.fetch(plan.sql, plan.args(values))
                for obj, record in zip(chunk, records, strict=True):
                    vars(obj).update(zip(returned, rows.values(record), strict=True))
    snapshot_all(model, objs)
    return objs


def by_database_defaults(
    model: type[Model], objs: list[Model]
) -> dict[tuple[str, ...], list[Model]]:
    """The instances grouped by the ``db_default=`` columns they leave to the database
    (holding ``DATABASE_DEFAULT``): one statement shape each. Generated columns are never
    sent, so they decide nothing here."""
    filled = [f.attname for f in model._meta.filled_fields if f.generated is NOT_PROVIDED]
    if not filled:
        return {(): objs}
    groups: dict[tuple[str, ...], list[Model]] = {}
    for obj in objs:
        d = obj.__dict__
        omit = tuple(a for a in filled if d[a] is DATABASE_DEFAULT)
        groups.setdefault(omit, []).append(obj)
    return groups


def _part(prepared: Prepared | None, start: int, end: int) -> Prepared | None:
    """The rows ``clean_all()`` made for the instances from ``start`` to ``end``."""
    if prepared is None:
        return None
    rows, snaps = prepared
    return rows[start:end], None if snaps is None else snaps[start:end]


async def _copy_chunk(
    model: type[Model],
    chunk: list[Model],
    row: _copy.CopyRow,
    generated: bool,
    prepared: Prepared | None,
) -> Sequence[Sequence[Any]]:
    pk_attname = model._meta.pk_attname
    if generated:
        ids = await _copy.take_ids(model, len(chunk))
        if pk_attname in attribute_names(model):
            for obj, pk in zip(chunk, ids, strict=True):
                setattr(obj, pk_attname, pk)
        else:
            for obj, pk in zip(chunk, ids, strict=True):
                vars(obj)[pk_attname] = pk
    else:
        ids = [vars(obj)[pk_attname] for obj in chunk]
    try:
        if prepared is None:
            return await _copy.copy_in(model, chunk, row)
        records, snaps = prepared
        for record, pk in zip(records, ids, strict=True):
            record[0] = pk
        await _copy.copy_records(model, records)
        if snaps is None:
            return records
        for snap, pk in zip(snaps, ids, strict=True):
            snap[0] = pk
        return snaps
    except BaseException:
        if generated:  # nothing was written: the instances are still unsaved
            for obj in chunk:
                vars(obj)[pk_attname] = None
        raise


_NO_DEFAULT = "This field cannot be null in bulk_update() (save() writes its default)"


async def bulk_update(
    model: type[Model], objs: list[Model], field_names: Sequence[str], batch_size: int | None
) -> int:
    if not field_names:
        raise QueryError("bulk_update() needs at least one field name")
    if not objs:
        return 0
    meta = model._meta
    fields = [meta.get_field(n) for n in field_names]
    for field in fields:
        if field.primary_key or field in meta.pk_fields or not field.concrete:
            raise QueryError(f"bulk_update() cannot update {meta.model_name}.{field.name}")
    for obj in objs:
        try:
            obj._clean_fields(fields)
        except ValidationError as error:
            action = "be used in bulk_update(), which sends values"
            raise expression_error(obj, fields, action, error) from None
        # save() writes a column's default (``SET col = DEFAULT``); values are sent here.
        refuse_defaults(obj, fields, _NO_DEFAULT)
    attnames = tuple(f.attname for f in fields)
    plan = update_plan(model, attnames)
    rows: list[Sequence[Any]] = []
    for obj in objs:
        d = obj.__dict__
        rows.append(plan.args([*(f.to_db(d[f.attname]) for f in fields), *key_params(obj)]))
    await get_database().executemany(plan.sql, rows)
    version = meta.version
    for obj in objs:
        if version is not None and version.attname not in attnames:
            # The row's version was bumped: the instance follows (versions are not checked).
            d = vars(obj)
            d[version.attname] = (d.get(version.attname) or 0) + 1
        if is_whole(obj):
            snapshot(obj)
    return len(objs)


def computed(value: Any) -> bool:
    """Whether an ``update()`` value is an expression only the annotation compiler builds
    (``Case``, a function, ``Subquery``, a relation aggregate), alone or in arithmetic."""
    if isinstance(value, CombinedExpression):
        return computed(value.lhs) or computed(value.rhs)
    return isinstance(value, (Case, Func, Subquery, Aggregate, Window))


def check_update_expression(model: Any, field: Field[Any, Any], value: Any) -> None:
    if type(field).clean_for_update is not _PLAIN_CLEAN_FOR_UPDATE:
        # A file field, say: its update() checks (StoredFile only) would be skipped.
        raise QueryError(
            f"update({field.name}=...): {type(field).__name__} takes no computed value"
        )
    check_expression(model, field.name, value, grouped=False)
    if has_window(value):
        raise QueryError(f"update({field.name}=...): PostgreSQL computes no window in an UPDATE")


async def update_rows(qs: QuerySet[Any], values: dict[str, Any]) -> int:
    """``qs.update(**values)``: validate the values, then one UPDATE of every matching row."""
    if not values:
        raise QueryError("update() needs at least one field")
    meta = qs.model._meta
    fields = [meta.get_field(name) for name in values]
    params: list[Any] = []
    shape: list[Any] = []
    errors: dict[str, list[str]] = {}
    for field, value in zip(fields, values.values(), strict=True):
        if not field.concrete:
            raise QueryError(f"{meta.model_name}.{field.name} cannot be updated with update()")
        if isinstance(value, Value):
            value = value.value  # a constant: cleaned as any value
        if isinstance(value, (F, CombinedExpression)) and not computed(value):
            shape.append((field.attname, expression_key(value, params)))
            continue
        if computed(value):
            check_update_expression(qs.model, field, value)
            shape.append((field.attname, ("computed", annotation_key(qs.model, value, params))))
            continue
        try:
            value = field.clean_for_update(value)
        except ValidationError as error:
            errors.setdefault(field.name, []).extend(error.messages)
            continue
        shape.append((field.attname, None))
        params.append(field.to_db(value))
    if errors:
        raise ValidationError(errors, model=meta.model_name)
    qs = _select.unordered(qs)
    key = ("update", tuple(shape), _select.shape(qs, params))

    def build() -> Plan:
        table = meta.table
        assert table is not None
        counter = [0]
        assignments: dict[str, Any] = {}
        for field, value in zip(fields, values.values(), strict=True):
            if computed(value):
                assignments[field.attname] = annotation_sql(qs.model, table, value, counter)
            elif isinstance(value, (F, CombinedExpression)):
                assignments[field.attname] = expression_sql(qs.model, table, value, counter)
            else:
                assignments[field.attname] = param(counter[0], table.c[field.attname].type)
                counter[0] += 1
        version = meta.version
        if version is not None and version.attname not in assignments:
            assignments[version.attname] = table.c[version.attname] + 1  # a change: bumped
        stmt = _select.apply_where(qs, sa.update(table), table, counter).values(assignments)
        return Plan(stmt)

    plan = cached_plan(qs.model, key, build)
    status = await get_database().execute(plan.sql, plan.args(params))
    return rowcount(status)


async def delete_matching(qs: QuerySet[Any]) -> int:
    """``qs.delete()``: one DELETE of every matching row."""
    qs = _select.unordered(qs)
    values: list[Any] = []
    key = ("delete", _select.shape(qs, values))

    def build() -> sa.Delete:
        table = qs.model._meta.table
        assert table is not None
        return _select.apply_where(qs, sa.delete(table), table, [0])  # type: ignore[no-any-return]

    return await delete_rows(qs.model, key, build, values)
