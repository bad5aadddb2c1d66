"""``SaveContext``: what a field's ``pre_save_async`` may ask of the save that runs it
(the row's stored value under a lock, values other rows hold, values reserved in the
transaction); the query layer answers, fields run no SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara.db import current_transaction, get_database
from aksara.fields.base import Field
from aksara.query._compile import Plan, array_param
from aksara.query._keys import key_condition, key_params
from aksara.query._plans import cached_plan
from aksara.state import loaded_value

if TYPE_CHECKING:
    from aksara.models.base import Model


class SaveContext:
    """What a field's ``pre_save_async`` may ask of the save that runs it (see
    ``aksara.fields.base.SaveContext``): the query layer answers, fields run no SQL."""

    __slots__ = ("instance", "add")

    def __init__(self, instance: Model, add: bool) -> None:
        self.instance = instance
        self.add = add

    async def stored_value(self, field: Field[Any, Any]) -> Any:
        """The value the row holds now, read under a row lock that the save's transaction
        keeps (not the one loaded with the instance: another request may have changed it
        since); the loaded value when there is no such row."""
        loaded = loaded_value(self.instance, field.attname)
        if self.add:
            return loaded
        model = type(self.instance)

        def build() -> Plan:
            table = model._meta.table
            assert table is not None
            condition = key_condition(model._meta, table, 0)
            stmt = sa.select(table.c[field.attname]).where(condition)
            return Plan(stmt.with_for_update())

        plan = cached_plan(model, ("stored_value", field.attname), build)
        records = await get_database().fetch(plan.sql, plan.args(key_params(self.instance)))
        return records[0][0] if records else loaded

    async def values_taken(self, field: Field[Any, Any], candidates: Sequence[Any]) -> set[Any]:
        """Which of ``candidates`` other rows hold in ``field``'s column."""
        model = type(self.instance)
        exclude = not self.add and self.instance.pk is not None

        def build() -> Plan:
            table = model._meta.table
            assert table is not None
            column = table.c[field.attname]
            stmt = sa.select(column).where(column == sa.any_(array_param(0, column.type)))
            if exclude:
                stmt = stmt.where(sa.not_(key_condition(model._meta, table, 1)))
            return Plan(stmt)

        plan = cached_plan(model, ("values_taken", field.attname, exclude), build)
        values: list[Any] = [[field.to_db(c) for c in candidates]]
        if exclude:
            values.extend(key_params(self.instance))
        return {r[0] for r in await get_database().fetch(plan.sql, plan.args(values))}

    def reserved(self, field: Field[Any, Any]) -> set[Any]:
        """Values of ``field`` picked by saves still in this transaction (the rows of one
        ``bulk_create()`` are inserted together, after every ``pre_save_async``)."""
        tx = current_transaction()
        if tx is None:
            return set()
        reserved: set[Any] = tx.scratch.setdefault(("reserved", field), set())
        return reserved
