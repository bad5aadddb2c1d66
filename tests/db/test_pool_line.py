"""Tasks that find every pooled connection in use wait in line, first come first served."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import event
from sqlalchemy.util import await_

from aksara.db import Database
from aksara.exceptions import ConfigurationError, DatabaseConnectionError, PoolTimeoutError


@pytest_asyncio.fixture(loop_scope="session")
async def one(transactional_db: Database) -> AsyncIterator[Database]:
    """A database of its own with one connection, no overflow, and a 5 s pool timeout."""
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_timeout=5)
    try:
        yield database
    finally:
        await database.close()


def no_listener(database: Database) -> bool:
    return not database.engine.sync_engine.pool.dispatch.checkin


async def test_a_task_running_statements_back_to_back_lets_a_waiting_task_in(one):
    done: list[int] = []

    async def busy() -> None:
        for i in range(40):
            await one.fetchval("SELECT $1::int", [i])
            done.append(i)

    async def asks_once() -> int:
        await asyncio.sleep(0)  # after busy() has the connection
        assert await one.fetchval("SELECT 1") == 1
        return len(done)

    _, seen = await asyncio.gather(busy(), asks_once())
    # Served after busy()'s statement at hand, not after all forty of them.
    assert seen <= 2
    assert one.pool_status().checked_out == 0
    assert no_listener(one)


async def test_waiting_tasks_are_served_in_the_order_they_asked(one):
    served: list[str] = []
    release = asyncio.Event()

    async def hold() -> None:
        conn = await one.acquire()
        await release.wait()
        one.release(conn)

    async def ask(name: str) -> None:
        await one.fetchval("SELECT 1")
        served.append(name)

    holder = asyncio.ensure_future(hold())
    await asyncio.sleep(0)
    tasks = []
    for name in ("first", "second", "third"):
        tasks.append(asyncio.ensure_future(ask(name)))
        await asyncio.sleep(0.01)  # each in line before the next asks
    release.set()
    await asyncio.gather(holder, *tasks)
    assert served == ["first", "second", "third"]
    assert no_listener(one)


async def test_a_task_that_stops_waiting_leaves_the_line(one):
    conn = await one.acquire()
    gone = asyncio.ensure_future(one.fetchval("SELECT 1"))
    await asyncio.sleep(0.01)
    kept = asyncio.ensure_future(one.fetchval("SELECT 2"))
    await asyncio.sleep(0.01)
    gone.cancel()
    await asyncio.sleep(0)
    one.release(conn)
    assert await kept == 2
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert one.pool_status().checked_out == 0
    assert no_listener(one)


async def test_a_connection_handed_to_a_task_cancelled_before_it_ran_goes_on(one):
    conn = await one.acquire()
    first = asyncio.ensure_future(one.fetchval("SELECT 1"))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(one.fetchval("SELECT 2"))
    await asyncio.sleep(0.01)
    one.release(conn)  # handed to ``first``, which has not run since
    first.cancel()
    assert await second == 2
    with pytest.raises(asyncio.CancelledError):
        await first
    assert one.pool_status().checked_out == 0
    assert await one.fetchval("SELECT 3") == 3


async def test_waiting_ends_with_pool_timeout_error_after_the_pool_timeout(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_timeout=0.3)
    try:
        conn = await database.acquire()
        started = time.monotonic()
        with pytest.raises(PoolTimeoutError, match=r"pool timeout \(QueuePool limit of size 1"):
            await database.fetchval("SELECT 1")
        assert 0.25 < time.monotonic() - started < 5
        database.release(conn)
        assert await database.fetchval("SELECT 1") == 1
        assert no_listener(database)
    finally:
        await database.close()


async def test_closing_the_database_tells_the_waiting_tasks(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_timeout=5)
    conn = await database.acquire()
    waiting = asyncio.ensure_future(database.fetchval("SELECT 1"))
    await asyncio.sleep(0.01)
    database.release(conn)  # handed to the waiting task...
    again = asyncio.ensure_future(database.fetchval("SELECT 1"))
    await asyncio.sleep(0)
    await database.close()  # ...while this one still waits
    given, refused = await asyncio.gather(waiting, again, return_exceptions=True)
    assert given == 1
    assert isinstance(refused, ConfigurationError) and "database is closed" in str(refused)


async def test_a_connection_given_back_through_sqlalchemy_core_wakes_a_waiting_task(one):
    core = await one.engine.connect()  # the pool's only connection, outside aksara
    waiting = asyncio.ensure_future(one.fetchval("SELECT 1"))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    started = time.monotonic()
    await core.close()
    assert await waiting == 1
    assert time.monotonic() - started < 1  # woken by the checkin, not by the 5 s timeout


async def test_a_connection_the_server_closed_handed_over_is_replaced(one, transactional_db):
    conn = await one.acquire()
    pid = await conn.raw.fetchval("SELECT pg_backend_pid()")
    waiting = asyncio.ensure_future(one.fetchval("SELECT pg_backend_pid()"))
    await asyncio.sleep(0.01)
    assert await transactional_db.fetchval("SELECT pg_terminate_backend($1)", [pid])
    for _ in range(200):
        if conn.raw.is_closed():
            break
        await asyncio.sleep(0.01)
    assert conn.raw.is_closed()
    one.release(conn)
    assert await waiting not in (None, pid)
    assert one.pool_status().checked_out == 0


async def test_a_connect_that_fails_while_tasks_wait_lets_them_in(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_timeout=2)
    failures = [1]

    def refuse_once(dialect, conn_rec, cargs, cparams):
        if failures:
            failures.pop()
            await_(asyncio.sleep(0.05))  # still connecting while the others ask
            raise ConnectionRefusedError("refused")

    event.listen(database.engine.sync_engine, "do_connect", refuse_once)
    try:
        first = asyncio.ensure_future(database.fetchval("SELECT 1"))
        await asyncio.sleep(0.01)
        waiting = asyncio.ensure_future(database.fetchval("SELECT 2"))
        started = time.monotonic()
        with pytest.raises(DatabaseConnectionError):
            await first
        assert await database.fetchval("SELECT 3") == 3
        assert await waiting == 2
        assert time.monotonic() - started < 1  # not the 2 s pool timeout
    finally:
        await database.close()


async def test_an_overflow_connection_given_up_lets_a_waiting_task_in(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=1, pool_timeout=2)
    try:
        held = await database.acquire()
        slow = asyncio.ensure_future(database.fetchval("SELECT 1 FROM pg_sleep(5)"))
        await asyncio.sleep(0.2)  # on the overflow connection
        waiting = asyncio.ensure_future(database.fetchval("SELECT 2"))
        await asyncio.sleep(0.01)
        slow.cancel()  # its connection is thrown away: its place is free
        started = time.monotonic()
        assert await database.fetchval("SELECT 3") == 3
        assert await waiting == 2
        assert time.monotonic() - started < 1
        database.release(held)
        with pytest.raises(asyncio.CancelledError):
            await slow
    finally:
        await database.close()


async def test_closing_the_connections_while_tasks_wait_lets_them_in(one):
    conn = await one.acquire()
    waiting = asyncio.ensure_future(one.fetchval("SELECT 2"))
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await one.close_connections()  # a new pool, with room, that no checkin announces
    assert await one.fetchval("SELECT 3") == 3
    assert await waiting == 2
    assert time.monotonic() - started < 1
    one.release(conn)


async def test_a_task_woken_by_a_checkin_is_not_overtaken(one):
    core = await one.engine.connect()
    order: list[str] = []

    async def ask(name: str) -> None:
        await one.fetchval("SELECT 1")
        order.append(name)

    waiting = asyncio.ensure_future(ask("waiting"))
    await asyncio.sleep(0.01)
    await core.close()  # wakes the waiting task; one asking in the same turn comes after it
    await ask("late")
    await waiting
    assert order == ["waiting", "late"]


async def test_no_pool_timeout_waits_as_long_as_it_takes(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_timeout=None)
    try:
        conn = await database.acquire()
        waiting = asyncio.ensure_future(database.fetchval("SELECT 1"))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        database.release(conn)
        assert await waiting == 1
    finally:
        await database.close()


async def test_room_made_while_a_woken_task_had_not_run_is_not_left_idle(transactional_db):
    database = Database(transactional_db.url, pool_size=2, max_overflow=0, pool_timeout=5)
    try:
        a, b = await database.acquire(), await database.acquire()
        waiting = asyncio.ensure_future(database.fetchval("SELECT 1"))
        await asyncio.sleep(0.01)
        database.release(a)  # to the waiting task, which has not run yet
        database.release(b)  # no task left to hand it to: kept, then back in the pool
        await asyncio.sleep(0)
        started = time.monotonic()
        assert await database.fetchval("SELECT 2") == 2
        assert time.monotonic() - started < 0.03  # not the line's 50 ms recheck
        assert await waiting == 1
    finally:
        await database.close()


def test_a_task_left_waiting_by_a_closed_event_loop_holds_up_nothing(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=0, pool_timeout=5)

    async def leave_one_waiting() -> None:
        conn = await database.acquire()
        asyncio.ensure_future(database.fetchval("SELECT 1"))  # still waiting when the loop ends
        await asyncio.sleep(0.01)
        await database.close_connections()  # as a loop's last step should
        conn.raw.terminate()

    async def next_loop() -> float:
        started = time.monotonic()
        assert await database.fetchval("SELECT 2") == 2
        took = time.monotonic() - started
        await database.close()
        return took

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(leave_one_waiting())
    finally:
        loop.close()
    assert asyncio.run(next_loop()) < 0.04  # no 50 ms wait, no "Event loop is closed"
    assert not database._waiting


async def test_a_connection_of_a_pool_disposed_of_is_closed_when_given_back(transactional_db):
    database = Database(transactional_db.url, pool_size=1, max_overflow=1, pool_timeout=5)
    try:
        old = await database.acquire()
        await database.close_connections()
        new = [await database.acquire(), await database.acquire()]  # the new pool overflows
        database.release(old)
        assert old.raw.is_closed()
        for conn in new:
            database.release(conn)
    finally:
        await database.close()
