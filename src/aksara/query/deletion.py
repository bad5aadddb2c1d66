"""Deleting rows: an instance's ``delete()``, ``hard_delete()`` and ``restore()`` (soft
deletion), and the deletes that RESTRICT/PROTECT references may refuse (``ProtectedError``
names the model)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara.db import get_database, in_transaction, transaction
from aksara.exceptions import ProtectedError, QueryError
from aksara.fields.relations import CASCADE, PROTECT, RESTRICT, ForeignKey
from aksara.fields.temporal import now
from aksara.query import _plans
from aksara.query._compile import Plan, param
from aksara.query._keys import key_condition, key_params, key_reader
from aksara.query._plans import rowcount
from aksara.query._write_checks import loaded_version, stale
from aksara.query.persist import delete_rows, save
from aksara.registry import registry

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.models.options import Options


async def guard_delete(model: type[Model], run: Callable[[], Awaitable[int]]) -> int:
    """Run a DELETE that RESTRICT/PROTECT references may refuse. Inside a transaction it runs
    in a savepoint, so ``ProtectedError`` leaves the transaction usable, with nothing deleted."""
    try:
        if delete_may_be_blocked(model) and in_transaction():
            async with transaction():
                return await run()
        return await run()
    except ProtectedError as error:
        name_blocking_model(error)
        raise


def name_blocking_model(error: ProtectedError) -> None:
    """The database layer reports the table whose rows still refer; name its model."""
    table = error.details.get("table")
    blocking = registry.model_for_table(table) if table else None
    if blocking is not None:
        error.blocking_model = blocking.__name__
        error.args = (
            f"Cannot delete: rows of {blocking.__name__} still reference it "
            f"(constraint {error.details.get('constraint')})",
        )


_blocked_cache: dict[type[Any], tuple[int, bool]] = {}


def delete_may_be_blocked(model: type[Model]) -> bool:
    """True when a RESTRICT/PROTECT reference, directly or through cascades, can refuse
    deleting rows of ``model``."""
    cached = _blocked_cache.get(model)
    if cached is not None and cached[0] == registry.version:
        return cached[1]
    result = _blocked(model, set())
    _blocked_cache[model] = (registry.version, result)
    return result


def _blocked(model: type[Model], seen: set[type[Model]]) -> bool:
    seen.add(model)
    for reverse in model._meta.reverse.values():
        field = reverse.field
        if not isinstance(field, ForeignKey):
            continue  # junction rows always cascade
        if field.on_delete in (RESTRICT, PROTECT):
            return True
        if field.on_delete == CASCADE and field.model not in seen and _blocked(field.model, seen):
            return True
    return False


async def delete(obj: Model, *, hard: bool = False) -> int:
    """``obj.delete()`` (``obj.hard_delete()`` with ``hard``); the number of rows deleted. A
    RESTRICT/PROTECT reference raises ``ProtectedError`` naming its model, and inside a
    transaction such a delete runs in a savepoint (``deletion.guard_delete``)."""
    model = type(obj)
    meta = model._meta
    if (
        (meta.soft_delete and not hard)
        or meta.version is not None
        or meta.delete_hook_fields
        or (delete_may_be_blocked(model) and in_transaction())
    ):
        return await guard_delete(model, lambda: _delete(obj, hard))
    # The usual case, one DELETE by key, without the layers the others need.
    plan, read = _plans.generated(model, ("delete_pk",), _build_delete_pk)
    d = vars(obj)
    args = read(d) if read is not None else None
    try:
        status = await get_database().execute(
            plan.sql, plan.args(key_params(obj)) if args is None else args
        )
    except ProtectedError as error:
        name_blocking_model(error)
        raise
    d["_loaded"] = None
    return rowcount(status)


def _delete_by_key(meta: Options) -> sa.Delete:
    """``DELETE FROM <table> WHERE <key> = $1``."""
    table = meta.table
    assert table is not None
    return sa.delete(table).where(key_condition(meta, table, 0))


def _build_delete_pk(model: type[Model], key: tuple[Any, ...]) -> tuple[Plan, Any]:
    """The DELETE by key, and its arguments' reader (``key_reader``) where it applies."""
    plan = Plan(_delete_by_key(model._meta))
    processors = plan.processors()
    return plan, None if processors is None else key_reader(model._meta, processors)


async def _delete(obj: Model, hard: bool) -> int:
    meta = obj._meta
    model = type(obj)
    if meta.soft_delete and not hard:
        return await _mark_deleted(obj, now())

    def build() -> sa.Delete:
        return _delete_by_key(meta)

    version = meta.version
    if version is None:
        count = await delete_rows(model, ("delete_pk",), build, key_params(obj))
    else:

        def build_versioned() -> sa.Delete:
            table = meta.table
            assert table is not None
            column = table.c[version.attname]
            return build().where(column == param(len(meta.pk_fields), column.type))

        values = [*key_params(obj), loaded_version(obj)]
        count = await delete_rows(model, ("delete_pk_version",), build_versioned, values)
        if count == 0:
            raise stale(obj, "deleted")
    vars(obj)["_loaded"] = None
    return count


async def _mark_deleted(obj: Model, when: Any) -> int:
    """Soft deletion (and restoring, ``when`` None): ``deleted_at`` set on the row and the
    instance, through a save of that field alone (versioned models check their version).
    An instance that was not loaded but has a key marks the row of that key."""
    d = vars(obj)
    if d.get("_loaded") is None:
        if obj.pk is None:
            raise QueryError(
                f"{obj._meta.model_name} has no primary key value: an unsaved instance "
                f"cannot be deleted or restored"
            )
        rows = type(obj).objects.with_deleted().filter(pk=obj.pk)
        count = int(await rows.update(deleted_at=when))
        if count:
            d["deleted_at"] = when
        return count
    previous = d.get("deleted_at")
    d["deleted_at"] = when
    try:
        await save(obj, update_fields=["deleted_at"], force_insert=False)
    except BaseException:
        d["deleted_at"] = previous
        raise
    return 1


async def restore(obj: Model) -> None:
    """``obj.restore()``: ``deleted_at`` back to NULL."""
    if not obj._meta.soft_delete:
        raise QueryError(f"{obj._meta.model_name} has no Meta.soft_delete")
    await _mark_deleted(obj, None)
