"""A COMMIT whose outcome is in doubt (cancelled or cut off while in flight) runs the hooks of
what really happened, and the error that ended a block is the one raised.

Issue items: a cancellation during COMMIT was treated as a rollback (2); a failing hook
replaced the original exception or failed a committed block (15).
"""

import asyncio
import logging

import pytest

import aksara
from aksara.db import get_database
from aksara.exceptions import (
    CommitOutcomeUnknownError,
    DatabaseConnectionError,
    IntegrityError,
)
from tests.security.models import SecNote

SLOW_COMMIT = """
CREATE OR REPLACE FUNCTION sec_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.6); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER sec_slow_commit AFTER INSERT ON sec_note
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sec_slow_commit();
"""


@pytest.fixture
async def slow_commit(transactional_db):
    """Every COMMIT that inserted a note takes 0.6 s (a deferred trigger sleeps in it)."""
    await transactional_db.execute(SLOW_COMMIT)
    yield
    await transactional_db.execute("DROP TRIGGER sec_slow_commit ON sec_note")


async def _commit_in_flight() -> None:
    """Return once some backend is running COMMIT."""
    for _ in range(500):
        busy = await get_database().fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query ILIKE 'COMMIT%' AND pid <> pg_backend_pid()"
        )
        if busy:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("COMMIT never started")


async def test_a_task_cancelled_during_commit_runs_the_commit_hooks(slow_commit):
    events: list[str] = []

    async def work() -> None:
        async with aksara.transaction():
            await SecNote.objects.create(title="kept")
            await aksara.on_commit(lambda: events.append("commit"))
            await aksara.on_rollback(lambda: events.append("rollback"))

    task = asyncio.ensure_future(work())
    await _commit_in_flight()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # PostgreSQL committed: the commit hooks ran, the rollback hooks did not.
    assert await SecNote.objects.filter(title="kept").count() == 1
    assert events == ["commit"]
    assert get_database().pool_status().checked_out == 0


async def test_a_commit_cut_off_after_the_server_committed_is_found_committed(slow_commit):
    events: list[str] = []
    inside: list[aksara.Transaction] = []

    async def work() -> None:
        async with aksara.transaction() as tx:
            inside.append(tx)
            await SecNote.objects.create(title="committed")
            await aksara.on_commit(lambda: events.append("commit"))
            await aksara.on_rollback(lambda: events.append("rollback"))

    task = asyncio.ensure_future(work())
    await _commit_in_flight()
    inside[0].conn.raw.terminate()  # the client loses the connection; the server goes on
    await task  # the outcome is looked up: committed, so the block succeeded
    assert events == ["commit"]
    assert await SecNote.objects.filter(title="committed").count() == 1


async def test_a_commit_whose_backend_dies_is_found_rolled_back(slow_commit):
    events: list[str] = []
    pids: list[int] = []

    async def work() -> None:
        async with aksara.transaction():
            pids.append(await get_database().fetchval("SELECT pg_backend_pid()"))
            await SecNote.objects.create(title="lost")
            await aksara.on_commit(lambda: events.append("commit"))
            await aksara.on_rollback(lambda: events.append("rollback"))

    task = asyncio.ensure_future(work())
    await _commit_in_flight()
    await get_database().fetchval("SELECT pg_terminate_backend($1)", [pids[0]])
    with pytest.raises(DatabaseConnectionError) as info:
        await task
    assert not isinstance(info.value, CommitOutcomeUnknownError)
    assert events == ["rollback"]
    assert await SecNote.objects.filter(title="lost").count() == 0


async def test_without_hooks_a_cut_off_commit_says_its_outcome_is_unknown(slow_commit):
    inside: list[aksara.Transaction] = []

    async def work() -> None:
        async with aksara.transaction() as tx:
            inside.append(tx)
            await SecNote.objects.create(title="who knows")

    task = asyncio.ensure_future(work())
    await _commit_in_flight()
    inside[0].conn.raw.terminate()
    with pytest.raises(CommitOutcomeUnknownError, match="whether it committed is unknown"):
        await task


async def test_a_failing_rollback_hook_keeps_the_original_error(transactional_db, caplog):
    def broken_cleanup() -> None:
        raise RuntimeError("cleanup failed")

    await SecNote.objects.create(title="taken")
    with pytest.raises(ZeroDivisionError):
        async with aksara.transaction():
            await aksara.on_rollback(broken_cleanup)
            1 / 0  # noqa: B018
    assert "on_rollback hook" in caplog.text and "cleanup failed" in caplog.text


async def test_a_failing_commit_hook_does_not_fail_the_committed_block(transactional_db, caplog):
    caplog.set_level(logging.ERROR, logger="aksara.db")
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("hook failed")

    async with aksara.transaction():
        await SecNote.objects.create(title="committed")
        await aksara.on_commit(broken)
        await aksara.on_commit(lambda: ran.append("second"))
    assert ran == ["second"]  # the other hooks still ran
    assert await SecNote.objects.filter(title="committed").count() == 1
    assert "on_commit hook" in caplog.text and "hook failed" in caplog.text


async def test_an_integrity_error_stays_the_error_of_its_block(transactional_db):
    await SecNote.objects.create(title="x")

    def broken() -> None:
        raise RuntimeError("cleanup failed")

    with pytest.raises(IntegrityError):
        async with aksara.transaction():
            await aksara.on_rollback(broken)
            await get_database().execute(
                "INSERT INTO sec_note (id, title) SELECT id, 'dup' FROM sec_note"
            )
