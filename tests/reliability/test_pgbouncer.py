"""aksara through PgBouncer in transaction-pooling mode (``statement_cache_size=0``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

import aksara
from aksara import Model, fields
from aksara.conf import configure, get_settings
from aksara.db import Database, set_database

TASKS = 20
OPERATIONS = 50


class BouncedItem(Model):
    owner = fields.Integer(db_index=True)
    name = fields.String(max_length=50)
    counter = fields.Integer(default=0)


def _through(pgbouncer: Any, aksara_database: Database, cache_size: int) -> Database:
    engine_url = aksara_database.engine.url
    url = pgbouncer.url(engine_url.username or "postgres", engine_url.database or "postgres")
    previous = get_settings()
    configure(statement_cache_size=cache_size)
    try:
        return Database(url)
    finally:
        configure(previous)


@pytest_asyncio.fixture(loop_scope="session")
async def bounced_db(transactional_db: Database, pgbouncer: Any) -> AsyncIterator[Database]:
    """The process-wide database reached through PgBouncer with the transaction-pooler setting."""
    database = _through(pgbouncer, transactional_db, cache_size=0)
    set_database(database)
    try:
        yield database
    finally:
        set_database(transactional_db)
        await database.close()


async def _worker(owner: int, expected: dict[int, tuple[str, int]]) -> None:
    """Mix create, get, filter, update, delete and short transactions; record what must remain."""
    mine: list[int] = []
    for step in range(OPERATIONS):
        kind = step % 6
        if kind == 0 or not mine:
            item = await BouncedItem.objects.create(owner=owner, name=f"{owner}-{step}")
            mine.append(item.pk)
            expected[item.pk] = (item.name, 0)
        elif kind == 1:
            pk = mine[step % len(mine)]
            item = await BouncedItem.objects.get(pk=pk)
            assert (item.owner, item.name) == (owner, expected[pk][0])
        elif kind == 2:
            names = await BouncedItem.objects.filter(owner=owner).values_list("name", flat=True)
            assert sorted(names) == sorted(expected[pk][0] for pk in mine)
        elif kind == 3:
            pk = mine[-1]
            name, counter = expected[pk]
            await BouncedItem.objects.filter(pk=pk).update(counter=counter + 1)
            expected[pk] = (name, counter + 1)
        elif kind == 4:
            pk = mine.pop(0)
            await BouncedItem.objects.filter(pk=pk).delete()
            del expected[pk]
        else:
            async with aksara.transaction():
                item = await BouncedItem.objects.create(owner=owner, name=f"{owner}-{step}-tx")
                item.counter = await BouncedItem.objects.filter(owner=owner).count()
                await item.save()
            mine.append(item.pk)
            expected[item.pk] = (item.name, item.counter)


async def test_concurrent_workload_through_transaction_pooling_has_no_errors(
    transactional_db, bounced_db, pgbouncer
):
    expected: dict[int, tuple[str, int]] = {}
    results = await asyncio.gather(
        *(_worker(owner, expected) for owner in range(TASKS)), return_exceptions=True
    )
    errors = [result for result in results if isinstance(result, BaseException)]
    assert errors == []
    # Read back straight from PostgreSQL, not through PgBouncer.
    table = BouncedItem._meta.table.name
    rows = await transactional_db.fetch(f'SELECT id, name, counter FROM "{table}"')
    assert {row["id"]: (row["name"], row["counter"]) for row in rows} == expected
    # aksara opened more connections than PgBouncer has server connections: they were shared.
    assert bounced_db.pool_status().idle > pgbouncer.pool_size


async def test_named_prepared_statements_fail_through_transaction_pooling(
    transactional_db, pgbouncer
):
    """The control: with asyncpg's statement cache on, PgBouncer mixes up prepared statements."""
    database = _through(pgbouncer, transactional_db, cache_size=100)
    set_database(database)
    try:
        results = await asyncio.gather(
            *(_worker(owner, {}) for owner in range(TASKS)), return_exceptions=True
        )
    finally:
        set_database(transactional_db)
        await database.close()
    errors = [str(result) for result in results if isinstance(result, BaseException)]
    assert any("prepared statement" in error for error in errors), errors
