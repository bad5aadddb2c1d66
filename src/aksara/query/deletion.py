"""Deletes that RESTRICT/PROTECT references may refuse: ``ProtectedError`` names the model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aksara.db import in_transaction, transaction
from aksara.exceptions import ProtectedError
from aksara.fields.relations import CASCADE, PROTECT, RESTRICT, ForeignKey
from aksara.registry import registry

if TYPE_CHECKING:
    from aksara.models.base import Model


async def guard_delete(model: type[Model], run: Callable[[], Awaitable[int]]) -> int:
    """Run a DELETE that RESTRICT/PROTECT references may refuse. Inside a transaction it runs
    in a savepoint, so ``ProtectedError`` leaves the transaction usable, with nothing deleted."""
    try:
        if delete_may_be_blocked(model) and in_transaction():
            async with transaction():
                return await run()
        return await run()
    except ProtectedError as error:
        _name_blocking_model(error)
        raise


def _name_blocking_model(error: ProtectedError) -> None:
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
