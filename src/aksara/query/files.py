"""Stored files and the rows that refer to them.

A file is deleted with a row (or replaced in it) only when no row of any model still refers
to it, in any file field whose storage reaches that file: rows may share a file
(``StoredFile``), and one of them going must not take it from the others. The check runs
after the commit: a transaction still open that adopts the file meanwhile is not seen
(sharing is for trusted code; keep such adoptions in the transaction that deletes). Importing this module installs the check
as ``FileField.referenced``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara.db import get_database
from aksara.fields.files import FileField
from aksara.query._compile import Plan, param
from aksara.query._keys import key_condition, key_params
from aksara.query._plans import cached_plan
from aksara.registry import registry

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.storage import Storage


async def file_referenced(storage: Storage, name: str, besides: Model | None = None) -> bool:
    """True when a row of some model (other than the row of ``besides``) holds the file
    ``name`` of ``storage``, under whatever name another field's storage gives that file (the
    same folder or bucket, or one inside the other)."""
    where = storage.location(name)
    for model in list(registry.models.values()):
        for field in model._meta.concrete_fields:
            if not isinstance(field, FileField):
                continue
            there = field.get_storage()
            held_as = name if there is storage else there.name_at(where)
            if held_as is None:
                continue
            other = besides if besides is not None and type(besides) is model else None
            if other is not None and other.pk is None:
                other = None
            plan = _referenced_plan(model, field, other is not None)
            values = [held_as] if other is None else [held_as, *key_params(other)]
            if await get_database().fetchval(plan.sql, plan.args(values)) is not None:
                return True
    return False


def _referenced_plan(model: type[Model], field: FileField, besides: bool) -> Plan:
    def build() -> Plan:
        table = model._meta.table
        assert table is not None
        column = table.c[field.attname]
        one: sa.ColumnClause[Any] = sa.literal_column("1")
        stmt: Any = sa.select(one).where(column == param(0, column.type))
        if besides:
            stmt = stmt.where(sa.not_(key_condition(model._meta, table, 1)))
        return Plan(stmt.limit(sa.literal_column("1", sa.BigInteger())))

    key = ("file_referenced", field.attname, besides)
    return cached_plan(model, key, build)  # type: ignore[no-any-return]


FileField.referenced = file_referenced
