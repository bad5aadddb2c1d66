"""Streaming a queryset: ``async for obj in qs`` and ``qs.iterator(chunk_size=)``.

Rows come from a server-side cursor, ``chunk_size`` at a time, so memory holds one chunk
whatever the result's size. A cursor lives in a transaction: inside ``transaction()`` it
runs on that transaction's connection; outside one it takes a connection of its own from
the pool and a transaction of its own (rolled back at the end: it only reads), and gives
both back when the loop ends or the iterator is closed. Nothing here sets the task's
current transaction: an async generator's context changes would outlive its ``yield``.

``prefetch_related`` is applied to each chunk before its objects are yielded, with one
query per relation per chunk on another pooled connection (or the transaction's).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import asyncpg

from aksara.db import current_transaction, get_database, vector_codec
from aksara.db._context import statement_timeout_var
from aksara.db.errors import is_disconnect, translate
from aksara.db.transaction import TransactionError
from aksara.exceptions import QueryError
from aksara.query import _select
from aksara.query.prefetch import prefetch_related_objects

if TYPE_CHECKING:
    from aksara.query.queryset import QuerySet

#: Rows per round trip when the caller does not say (``async for obj in qs``).
DEFAULT_CHUNK_SIZE = 2000


def check_chunk_size(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise QueryError(f"iterator() takes a positive integer chunk_size, got {chunk_size!r}")
    return chunk_size


async def stream(qs: QuerySet[Any], chunk_size: int) -> AsyncIterator[Any]:
    """The results of ``qs``, ``chunk_size`` rows per round trip."""
    if qs._cache is not None:
        for item in list(qs._cache):
            yield item
        return
    if qs._limit == 0:
        return
    if qs._limit is not None and qs._limit <= chunk_size:
        # One chunk holds the whole result: a plain query, no cursor.
        for item in await qs._fetch():
            yield item
        return
    plan, rows, values, layout = _select.select_plan(qs)
    args = plan.args(values)
    database = get_database()
    for listener in database.listeners:
        listener(plan.sql, args)
    tx = current_transaction()
    if tx is not None:
        if not tx.active or tx.conn is None:
            raise TransactionError("This transaction has already ended")
        try:
            async for chunk in _chunks(tx.conn.raw, plan.sql, args, chunk_size):
                for item in await _convert(qs, chunk, rows, layout):
                    yield item
        except Exception as error:
            raise translate(error) from error
        return
    conn = database._acquire_idle() or await database.acquire()
    broken = False
    try:
        async with conn.raw.transaction(readonly=qs._for_update is None):
            async for chunk in _chunks(conn.raw, plan.sql, args, chunk_size):
                for item in await _convert(qs, chunk, rows, layout):
                    yield item
    except Exception as error:
        broken = is_disconnect(error)
        raise translate(error) from error
    finally:
        if broken or conn.raw.is_closed():
            database.discard(conn)
        else:
            database.release(conn)


async def _chunks(
    raw: asyncpg.Connection, sql: str, args: Sequence[Any], size: int
) -> AsyncIterator[list[Any]]:
    timeout = statement_timeout_var.get()
    try:
        cursor = await raw.cursor(sql, *args, timeout=timeout)
    except asyncpg.DataError as error:
        if not vector_codec.wants_codec(error) or not await vector_codec.register(raw):
            raise
        cursor = await raw.cursor(sql, *args, timeout=timeout)
    while True:
        records = await cursor.fetch(size, timeout=timeout)
        if records:
            yield records
        if len(records) < size:
            return


async def _convert(qs: QuerySet[Any], records: list[Any], rows: Any, layout: Any) -> list[Any]:
    result = qs._convert(records, rows, layout)
    if qs._mode == "instances" and qs._prefetch:
        await prefetch_related_objects(result, *qs._prefetch)
    return result
