"""Statement timeouts, cancellation at random points, and concurrent writers (real commits)."""

import asyncio
import random

import pytest

import aksara
from aksara import F, Model, fields
from aksara.db import get_database
from aksara.exceptions import StatementTimeoutError


class RlCounter(Model):
    code = fields.String(max_length=20, unique=True)
    value = fields.Integer(default=0)


class RlRow(Model):
    group = fields.Integer(db_index=True)
    step = fields.Integer()
    payload = fields.JSON(default=dict)


async def test_statement_timeout_cancels_the_query_and_the_connection_stays_usable(
    transactional_db,
):
    database = get_database()
    started = asyncio.get_running_loop().time()
    with pytest.raises(StatementTimeoutError), aksara.statement_timeout(0.1):
        await database.fetchval("SELECT pg_sleep(2)")
    assert asyncio.get_running_loop().time() - started < 1.5
    assert await database.fetchval("SELECT 1") == 1
    with aksara.statement_timeout(5):
        assert await RlCounter.objects.count() == 0


async def test_transaction_timeout_raises_and_rolls_back(transactional_db):
    database = get_database()
    with pytest.raises(StatementTimeoutError):
        async with aksara.transaction(timeout=0.1):
            await RlCounter.objects.create(code="lost")
            await database.fetchval("SELECT pg_sleep(2)")
    assert await RlCounter.objects.count() == 0
    # The limit was local to that transaction.
    async with aksara.transaction():
        assert await database.fetchval("SHOW statement_timeout") == "0"


async def test_nested_timeout_is_restored_when_the_savepoint_ends(db):
    async with aksara.transaction(timeout=3):
        assert await db.fetchval("SHOW statement_timeout") == "3s"
    assert await db.fetchval("SHOW statement_timeout") == "0"


async def test_concurrent_increments_with_f_lose_no_update(transactional_db):
    counter = await RlCounter.objects.create(code="hits")

    async def bump():
        for _ in range(10):
            await RlCounter.objects.filter(id=counter.id).update(value=F("value") + 1)

    await asyncio.gather(*(bump() for _ in range(50)))
    await counter.refresh_from_db()
    assert counter.value == 500


async def test_select_for_update_serialises_read_modify_write(transactional_db):
    counter = await RlCounter.objects.create(code="locked")

    async def bump():
        async with aksara.transaction():
            row = await RlCounter.objects.select_for_update().get(id=counter.id)
            row.value += 1
            await row.save()

    await asyncio.gather(*(bump() for _ in range(50)))
    await counter.refresh_from_db()
    assert counter.value == 50


async def test_get_or_create_under_concurrency_creates_one_row(transactional_db):
    results = await asyncio.gather(
        *(RlCounter.objects.get_or_create(code="once", defaults={"value": 1}) for _ in range(20))
    )
    assert await RlCounter.objects.filter(code="once").count() == 1
    assert len({obj.id for obj, _ in results}) == 1
    assert sum(created for _, created in results) == 1


async def _idle_in_transaction() -> int:
    return int(
        await get_database().fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND state LIKE 'idle in transaction%' "
            "AND pid <> pg_backend_pid()"
        )
    )


async def test_cancelled_work_leaves_clean_connections_and_whole_transactions(transactional_db):
    rng = random.Random(7)

    async def unit(group: int) -> None:
        async with aksara.transaction():
            await RlRow.objects.create(group=group, step=1)
            await RlRow.objects.bulk_create(
                [RlRow(group=group, step=2), RlRow(group=group, step=3, payload={"g": group})]
            )
            await RlRow.objects.filter(group=group).update(step=F("step") + 10)

    async def plain(group: int) -> None:
        await RlRow.objects.filter(group=group).count()
        await RlRow.objects.filter(group__lt=group).order_by("-group")[:5]

    cancelled = 0
    for group in range(300):
        work = unit(group) if group % 3 else plain(group)
        task = asyncio.ensure_future(work)
        await asyncio.sleep(rng.uniform(0, 0.004))
        if not task.done():
            task.cancel()
            cancelled += 1
        try:
            await task
        except asyncio.CancelledError:
            pass
    assert cancelled > 50

    assert get_database().pool_status().checked_out == 0
    assert await _idle_in_transaction() == 0
    # Every transaction happened entirely or not at all.
    rows = await RlRow.objects.values_list("group", "step")
    by_group: dict[int, list[int]] = {}
    for group, step in rows:
        by_group.setdefault(group, []).append(step)
    assert all(sorted(steps) == [11, 12, 13] for steps in by_group.values()), by_group
    # And the pool still works.
    await unit(1000)
    assert await RlRow.objects.filter(group=1000).count() == 3


async def test_rollback_hooks_finish_when_the_task_is_cancelled(transactional_db):
    events = []
    started = asyncio.Event()
    release = asyncio.Event()
    done = asyncio.Event()

    async def slow_cleanup():
        started.set()
        await release.wait()
        events.append("cleaned up")
        done.set()

    async def work():
        async with aksara.transaction():
            await aksara.on_rollback(slow_cleanup)
            raise LookupError

    task = asyncio.ensure_future(work())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()  # the cleanup goes on after the task was cancelled
    await asyncio.wait_for(done.wait(), 5)
    assert events == ["cleaned up"]


async def test_a_cancelled_upload_leaves_no_file(tmp_path):
    from aksara.storage import FileSystemStorage

    storage = FileSystemStorage(root=tmp_path / "media")

    streaming = asyncio.Event()

    async def slow_content():
        yield b"x" * 100
        streaming.set()
        await asyncio.Event().wait()  # the rest never comes
        yield b"x" * 100

    task = asyncio.ensure_future(storage.save("uploads/big.bin", slow_content()))
    await streaming.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    leftovers = [p for p in (tmp_path / "media").rglob("*") if p.is_file()]
    assert leftovers == []
