"""Upserts: ``bulk_create(on_conflict=...)`` and ``Model.objects.upsert()``.

Both are ``INSERT ... ON CONFLICT (<unique fields>) DO NOTHING | DO UPDATE SET col =
EXCLUDED.col ... RETURNING``: one statement per batch, whatever rows exist already. The
conflict target must be a unique constraint of the model (its primary key, a unique field,
a ``unique_together`` group), checked before any SQL. Every instance is validated first;
nothing is written when one fails. Rows come back with their primary key and whether they
were inserted (PostgreSQL's ``xmax = 0``); they are matched to the instances by their
unique fields, so an ignored row is known: its instance stays unsaved (``is_saved`` is
False) and an automatic primary key stays None.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara._typing import NOT_PROVIDED
from aksara.db import get_database, transaction
from aksara.exceptions import QueryError
from aksara.fields.base import Field
from aksara.fields.ranges import RangeField
from aksara.models.constraints import UniqueConstraint
from aksara.query._bulk_checks import clean_all
from aksara.query._compile import Plan, RowPlan, array_param, param
from aksara.query._part import M
from aksara.query._plans import builder_for, cached_plan
from aksara.query.bulk import by_database_defaults, column_values, unnest_safe
from aksara.query.constraints import condition_sql
from aksara.query.persist import (
    insert_names,
    insert_values,
    snapshot_all,
)
from aksara.query.save_context import SaveContext

if TYPE_CHECKING:
    from aksara.models.base import Model

#: ``RETURNING (xmax = 0)``: true for a row this statement inserted, false for one it
#: updated (an updated row version carries the updating transaction's id).
_INSERTED = sa.literal_column("(xmax = 0)", sa.Boolean()).label("aksara_inserted")

#: asyncpg sends at most 32767 parameters with one statement.
_MAX_PARAMS = 32767


def conflict_target(
    model: type[Model], unique_fields: Sequence[str], method: str
) -> tuple[str, ...]:
    """The columns of ``unique_fields``, refused unless a unique constraint covers exactly them."""
    meta = model._meta
    if isinstance(unique_fields, str):
        raise QueryError(f"{method}: unique_fields takes a list of field names")
    names: list[str] = []
    for name in unique_fields:
        field = meta.pk if name == "pk" else meta.get_field(name)
        if field is meta.pk and meta.composite_pk:
            names.extend(meta.pk_attnames)
            continue
        if not field.concrete:
            raise QueryError(f"{method}: {meta.model_name}.{name} has no column")
        if field.mutable or _is_range(field):
            # The database rewrites such values (a range's canonical bounds): rows could not
            # be matched back to their instances.
            raise QueryError(
                f"{method}: {meta.model_name}.{name} ({type(field).__name__}) cannot be a "
                f"conflict target of an upsert"
            )
        names.append(field.attname)
    wanted = frozenset(names)
    unique = _whole_table_uniques(model)
    unique += [frozenset(_constraint_columns(model, c)) for c in _unique_constraints(model)]
    if wanted not in unique:
        raise QueryError(
            f"{method}: no unique constraint of {meta.model_name} covers exactly "
            f"{', '.join(unique_fields)}; ON CONFLICT needs one"
        )
    return tuple(dict.fromkeys(names))


def _whole_table_uniques(model: type[Model]) -> list[frozenset[str]]:
    """The column sets unique across the whole table: the key, unique fields and
    ``unique_together`` groups."""
    meta = model._meta
    unique = [frozenset(meta.pk_attnames)]
    unique += [frozenset((f.attname,)) for f in meta.concrete_fields if f.unique]
    unique += [frozenset(meta.get_field(n).attname for n in g) for g in meta.unique_together]
    return unique


def _unique_constraints(model: type[Model]) -> list[UniqueConstraint]:
    """The model's ``UniqueConstraint``s on fields (plain or partial) an upsert may target."""
    return [c for c in model._meta.constraints if isinstance(c, UniqueConstraint) and c.fields]


def _constraint_columns(model: type[Model], constraint: UniqueConstraint) -> tuple[str, ...]:
    return tuple(model._meta.get_field(n).attname for n in constraint.fields)


def partial_target(model: type[Model], target: tuple[str, ...]) -> Any:
    """``ON CONFLICT (...) WHERE <condition>`` for a target only a partial unique
    constraint covers (its condition as SQL), None when a whole-table one does."""
    meta = model._meta
    wanted = frozenset(target)
    whole = _whole_table_uniques(model)
    partial = None
    for constraint in _unique_constraints(model):
        if frozenset(_constraint_columns(model, constraint)) == wanted:
            if constraint.condition is None:
                return None
            partial = partial or constraint
    if wanted in whole or partial is None:
        return None
    table = meta.table
    assert table is not None
    return condition_sql(model, table, partial.condition)


def update_columns(
    model: type[Model], target: tuple[str, ...], update_fields: Sequence[str] | None, method: str
) -> tuple[str, ...]:
    """The columns ``DO UPDATE`` sets: ``update_fields``, or every column but the key and
    the conflict target."""
    meta = model._meta
    if update_fields is None:
        # Not the key, the target, a creation timestamp, the version (bumped instead) or a
        # soft deletion mark (an upsert does not bring a deleted row back).
        kept = {*meta.pk_attnames, *target}
        kept.update(f.attname for f in meta.concrete_fields if getattr(f, "auto_now_add", False))
        if meta.version is not None:
            kept.add(meta.version.attname)
        if meta.soft_delete:
            kept.add("deleted_at")
        kept.update(f.attname for f in meta.generated_fields)
        return tuple(f.attname for f in meta.concrete_fields if f.attname not in kept)
    if isinstance(update_fields, str):
        raise QueryError(f"{method}: update_fields takes a list of field names")
    columns: list[str] = []
    for name in update_fields:
        field = meta.get_field(name)
        if (
            not field.concrete
            or field.primary_key
            or field in meta.pk_fields
            or field.generated is not NOT_PROVIDED
        ):
            raise QueryError(f"{method}: {meta.model_name}.{name} cannot be updated")
        if field is not meta.version:  # the version is bumped, never set
            columns.append(field.attname)
    if not columns:
        raise QueryError(f"{method}: update_fields names no field")
    return tuple(dict.fromkeys(columns))


def upsert_plan(
    model: type[Model],
    generated: bool,
    target: tuple[str, ...],
    update: tuple[str, ...] | None,
    rows: int | None,
    returning: tuple[str, ...],
    omit: tuple[str, ...] = (),
) -> Plan:
    """``INSERT ... ON CONFLICT`` of ``rows`` rows (None: any number, from ``unnest()``
    arrays), returning the ``returning`` columns and whether each row was inserted.
    ``update`` None: DO NOTHING. The columns in ``omit`` are left to their database
    defaults."""

    def build() -> Plan:
        table = model._meta.table
        assert table is not None
        names = insert_names(model, generated, omit)
        columns = [table.c[a] for a in names]
        stmt: Any
        if rows is None:
            arrays = (array_param(i, c.type) for i, c in enumerate(columns))
            star: sa.ColumnClause[Any] = sa.literal_column("*")
            source: Any = sa.select(star).select_from(sa.func.unnest(*arrays))
            stmt = pg.insert(table).from_select(list(names), source)
        else:
            n = len(names)
            values = [
                {
                    a: param(r * n + i, c.type)
                    for i, (a, c) in enumerate(zip(names, columns, strict=True))
                }
                for r in range(rows)
            ]
            stmt = pg.insert(table).values(values)
        index = [table.c[a] for a in target] or None
        where = partial_target(model, target) if target else None
        if update is None:
            stmt = stmt.on_conflict_do_nothing(index_elements=index, index_where=where)
        else:
            assignments: dict[str, Any] = {a: stmt.excluded[a] for a in update}
            version = model._meta.version
            if version is not None:  # an update of a versioned row bumps its version
                assignments[version.attname] = table.c[version.attname] + 1
            stmt = stmt.on_conflict_do_update(
                index_elements=index, index_where=where, set_=assignments
            )
        return Plan(stmt.returning(*(table.c[a] for a in returning), _INSERTED))

    key = ("upsert", generated, target, update, rows, returning)
    return cached_plan(model, key, build)  # type: ignore[no-any-return]


def _returned_rows(model: type[Model], returning: tuple[str, ...]) -> RowPlan:
    table = model._meta.table
    assert table is not None
    types = [table.c[a].type for a in returning]
    return RowPlan((*returning, "aksara_inserted"), [*types, sa.Boolean()])


async def bulk_upsert(
    model: type[Model],
    objs: list[Model],
    batch_size: int | None,
    on_conflict: str,
    unique_fields: Sequence[str] | None,
    update_fields: Sequence[str] | None,
) -> list[Model]:
    """``bulk_create(objs, on_conflict="ignore" | "update", unique_fields=, update_fields=)``."""
    method = "bulk_create()"
    meta = model._meta
    target, update = _conflict(model, on_conflict, unique_fields, update_fields, method)
    if not objs:
        return objs
    clean_all(model, objs)
    pk = meta.pk_attname
    generated = _database_keys(model, objs, target, method)
    match = target or meta.pk_attnames
    if update is not None and not meta.async_save_fields:
        _refuse_duplicates(model, objs, match, method)  # before any hook runs, when none does
    # The key, the conflict target, and what the database computes (generated columns).
    returning = tuple(
        dict.fromkeys((*meta.pk_attnames, *match, *(f.attname for f in meta.generated_fields)))
    )
    names = insert_names(model, generated)
    table = meta.table
    assert table is not None
    unnest = all(unnest_safe(table.c[a].type) for a in names)
    size = batch_size or (10_000 if unnest else max(_MAX_PARAMS // len(names), 1))
    database = get_database()

    # A key of the target from an instance dict and from a returned row (one value for a
    # one-column target, a tuple for more).
    obj_key = cast("Callable[..., Any]", operator.itemgetter(*match))
    row_key = operator.itemgetter(*(returning.index(a) for a in match))
    saved: list[Model] = []

    async def run() -> None:
        if update is not None and meta.async_save_fields:
            _refuse_duplicates(model, objs, match, method)  # the hooks may change keys
        for omit, members in by_database_defaults(model, objs).items():
            await write(omit, members)

    async def write(omit: tuple[str, ...], members: list[Model]) -> None:
        """The upserts of ``members``, which leave the columns ``omit`` to the database: a
        new row gets their defaults, an existing one keeps its values."""
        # The keys as the save hooks left them (a unique slug gets its suffix there).
        keys = [obj_key(o.__dict__) for o in members]
        fields = [meta.by_attname[a] for a in insert_names(model, generated, omit)]
        changed = update
        if update is not None and omit:
            changed = tuple(a for a in update if a not in omit) or target[:1]
        returned = tuple(dict.fromkeys((*returning, *omit)))
        rows = _returned_rows(model, returned)
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            if unnest:
                plan = upsert_plan(model, generated, target, changed, None, returned, omit)
                values: list[Any] = column_values(fields, chunk)
            else:
                shape = (model, generated, target, changed, len(chunk), returned, omit)
                plan = upsert_plan(*shape)
                values = [v for o in chunk for v in insert_values(o, generated, omit)]
            records = await database.fetch(plan.sql, plan.args(values))
            matched = _matched(chunk, keys[start : start + size], rows.tuples(records), row_key)
            for obj, row in matched:
                vars(obj).update(zip(returned, row, strict=False))
                saved.append(obj)

    await _in_one_transaction(model, objs, run, several=len(objs) > size)
    snapshot_all(model, saved)
    if len(saved) < len(objs) and (meta.pk.db_generated or meta.pk.has_default()):
        written = {id(o) for o in saved}
        for obj in objs:
            if id(obj) not in written:
                vars(obj)[pk] = None
    return objs


def _database_keys(
    model: type[Model], objs: list[Model], target: tuple[str, ...], method: str
) -> bool:
    """True when the database makes the instances' keys (an identity column, none given)."""
    meta = model._meta
    pk = meta.pk_attname
    generated = meta.pk.db_generated and any(o.__dict__[pk] is None for o in objs)
    if generated and any(o.__dict__[pk] is not None for o in objs):
        raise QueryError(f"{method}: give every {meta.model_name} a {meta.pk.name} or none of them")
    if generated and not target:
        raise QueryError(
            f"{method}: the database makes {meta.model_name}'s keys, so on_conflict needs "
            f"unique_fields=[...] to tell the inserted rows from the ignored ones"
        )
    return bool(generated)


def _matched(
    chunk: list[Model], keys: list[Any], rows: list[tuple[Any, ...]], row_key: Any
) -> list[tuple[Model, tuple[Any, ...]]]:
    """Each instance of ``chunk`` (whose keys are ``keys``) with the returned row of its
    key; an ignored one has none, and of two instances with one key the first gets it."""
    found: dict[Any, Any] = {}
    again: dict[Any, list[Any]] = {}  # rows whose key came back twice (NULLs in it)
    for row in rows:
        key = row_key(row)
        if key in found:
            again.setdefault(key, []).append(row)
        else:
            found[key] = row
    matched: list[tuple[Model, tuple[Any, ...]]] = []
    for obj, key in zip(chunk, keys, strict=True):
        row = found.pop(key, None)
        if row is None and again.get(key):
            row = again[key].pop(0)
        if row is not None:
            matched.append((obj, row))
    return matched


def _refuse_duplicates(
    model: type[Model], objs: list[Model], match: tuple[str, ...], method: str
) -> None:
    """Two items with one key cannot both update its row (NULLs never conflict)."""
    seen: set[Any] = set()
    several = len(match) > 1
    key_of = cast("Callable[..., Any]", operator.itemgetter(*match))
    for obj in objs:
        key = key_of(obj.__dict__)
        if key is None or (several and None in key):
            continue
        if key in seen:
            raise QueryError(
                f"{method}: two {model._meta.model_name} items share {', '.join(match)} = "
                f"{key!r}; one statement cannot update a row twice"
            )
        seen.add(key)


def _conflict(
    model: type[Model],
    on_conflict: str,
    unique_fields: Sequence[str] | None,
    update_fields: Sequence[str] | None,
    method: str,
) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """The conflict target's columns and the columns DO UPDATE sets (None: DO NOTHING)."""
    if on_conflict not in ("ignore", "update"):
        raise QueryError(f'{method}: on_conflict is "ignore" or "update", got {on_conflict!r}')
    target = conflict_target(model, unique_fields, method) if unique_fields else ()
    if on_conflict == "ignore":
        if update_fields is not None:
            raise QueryError(f'{method}: update_fields goes with on_conflict="update"')
        return target, None
    if not target:
        raise QueryError(f'{method}: on_conflict="update" needs unique_fields=[...]')
    return target, update_columns(model, target, update_fields, method)


async def _in_one_transaction(
    model: type[Model], objs: list[Model], run: Any, *, several: bool
) -> None:
    """``run()`` in one transaction when it takes several statements or fields have async
    save hooks (all or nothing), else as it is."""
    hooked = model._meta.async_save_fields
    for obj in objs:
        for field in hooked:
            await field.validate_async(obj)
    if not (several or hooked):
        await run()
        return
    async with transaction():
        for obj in objs:
            context = SaveContext(obj, True)
            for field in hooked:
                await field.pre_save_async(obj, True, context)
        await run()


async def upsert(
    model: type[M],
    defaults: dict[str, Any] | None,
    update_fields: Sequence[str] | None,
    unique_keys: dict[str, Any],
) -> tuple[M, bool]:
    """``Model.objects.upsert(defaults=..., **unique_keys)`` → ``(instance, created)``."""
    method = "upsert()"
    if not unique_keys:
        raise QueryError(f"{method} needs the unique fields to match on: upsert(email=..., ...)")
    meta = model._meta
    target = conflict_target(model, list(unique_keys), method)
    defaults = dict(defaults or {})
    overlap = set(defaults) & set(unique_keys)
    if overlap:
        raise QueryError(f"{method}: {', '.join(sorted(overlap))} is both a key and a default")
    if update_fields is None:
        named = [meta.get_field(n).name for n in defaults]
        update = update_columns(model, target, named, method) if named else (target[0],)
    else:
        update = update_columns(model, target, update_fields, method)
    obj = model(**unique_keys, **defaults)
    clean_all(model, [obj])
    generated = meta.pk.db_generated and obj.__dict__[meta.pk_attname] is None
    returning = meta.attnames
    (omit,) = by_database_defaults(model, [obj])
    update = tuple(a for a in update if a not in omit) or target[:1]
    plan = upsert_plan(model, generated, target, update, 1, returning, omit)
    values = insert_values(obj, generated, omit)

    async def run() -> list[Any]:
        return await get_database().fetch(plan.sql, plan.args(values))

    result: list[Any] = []

    async def collect() -> None:
        result.extend(await run())

    await _in_one_transaction(model, [obj], collect, several=False)
    (row,) = _returned_rows(model, returning).tuples(result)
    instance = builder_for(model, returning)(row[:-1])
    return instance, bool(row[-1])


def _is_range(field: Field[Any, Any]) -> bool:
    """Whether ``field`` is a range field (a check that leaves ``field``'s type as it is)."""
    return isinstance(field, RangeField)
