"""Transactions, savepoints and hooks (real commits: transactional_db)."""

import asyncio

import pytest

import aksara
from aksara.db import in_transaction, on_commit, on_rollback
from tests.query.models import Note


class Boom(Exception):
    pass


async def test_commit_and_rollback(transactional_db):
    async with aksara.transaction():
        await Note.objects.create(title="kept")
    with pytest.raises(Boom):
        async with aksara.transaction():
            await Note.objects.create(title="lost")
            assert await Note.objects.count() == 2
            raise Boom
    assert await Note.objects.values_list("title", flat=True) == ["kept"]


async def test_nested_savepoint_rollback_keeps_outer_work(transactional_db):
    async with aksara.transaction():
        await Note.objects.create(title="outer")
        with pytest.raises(Boom):
            async with aksara.transaction():
                await Note.objects.create(title="inner")
                raise Boom
        await Note.objects.create(title="after")
    assert sorted(await Note.objects.values_list("title", flat=True)) == ["after", "outer"]


async def test_statements_in_a_transaction_share_its_connection(transactional_db):
    async with aksara.transaction() as tx:
        pid = await transactional_db.fetchval("SELECT pg_backend_pid()")
        assert pid == await tx.conn.raw.fetchval("SELECT pg_backend_pid()")
        assert await transactional_db.fetchval("SELECT now() = statement_timestamp()") is False


async def test_begin_is_real_and_uncommitted_work_is_invisible_outside(transactional_db):
    async with aksara.transaction():
        await Note.objects.create(title="pending")
        seen = await asyncio.create_task(_count_outside())
        assert seen == 0
    assert await Note.objects.count() == 1


async def _count_outside():
    # A new task started here inherits the context: step out of the transaction explicitly.
    from aksara.db._context import current

    current.set(None)
    return await Note.objects.count()


async def test_hooks_run_after_outermost_commit(transactional_db):
    events = []
    async with aksara.transaction():
        await on_commit(lambda: events.append("commit-1"))
        async with aksara.transaction():

            async def hook():
                events.append("commit-2")

            await on_commit(hook)
            await on_rollback(lambda: events.append("never"))
        assert events == []
    assert events == ["commit-1", "commit-2"]


async def test_rollback_hooks_of_a_savepoint(transactional_db):
    events = []
    async with aksara.transaction():
        with pytest.raises(Boom):
            async with aksara.transaction():
                await on_commit(lambda: events.append("discarded"))
                await on_rollback(lambda: events.append("inner rolled back"))
                raise Boom
        await on_rollback(lambda: events.append("outer rollback"))
    assert events == ["inner rolled back"]


async def test_on_commit_outside_a_transaction_runs_now(transactional_db):
    events = []
    assert not in_transaction()
    await on_commit(lambda: events.append("now"))
    await on_rollback(lambda: events.append("never"))
    assert events == ["now"]


async def test_connection_goes_back_to_pool_clean_after_error(transactional_db):
    with pytest.raises(aksara.exceptions.DatabaseError):
        async with aksara.transaction():
            await transactional_db.execute("SELECT 1/0")
    assert await transactional_db.fetchval("SELECT 1") == 1
    async with aksara.transaction():
        assert await Note.objects.count() == 0


async def test_db_fixture_isolates_and_runs_block_hooks(db):
    events = []
    async with aksara.transaction():
        await Note.objects.create(title="x")
        await on_commit(lambda: events.append("committed"))
    assert events == ["committed"]
    assert await Note.objects.count() == 1


async def test_db_fixture_leaves_nothing_behind(db):
    assert await Note.objects.count() == 0


async def test_create_all_refuses_references_to_undefined_models(db):
    from aksara import Model, fields
    from aksara.exceptions import ConfigurationError
    from aksara.registry import registry

    class DbDangling(Model):
        target = fields.ForeignKey("DbNeverDefined", on_delete=aksara.CASCADE)

    try:
        assert registry.unresolved() == ["DbNeverDefined"]
        with pytest.raises(ConfigurationError, match="DbNeverDefined"):
            await aksara.create_all()
    finally:
        registry.unregister(DbDangling)
    assert registry.unresolved() == []


async def test_one_block_entered_again_nests_a_savepoint(transactional_db):
    block = aksara.transaction()
    async with block as outer:
        await Note.objects.create(title="outer")
        with pytest.raises(Boom):
            async with block as inner:
                assert inner.parent is outer
                await Note.objects.create(title="inner")
                raise Boom
        assert in_transaction()
    assert not in_transaction()
    assert await Note.objects.values_list("title", flat=True) == ["outer"]
    # And it is reusable afterwards.
    async with block:
        await Note.objects.create(title="again")
    assert await Note.objects.count() == 2


async def test_one_block_shared_by_tasks_keeps_each_entry_apart(transactional_db):
    block = aksara.transaction()
    entered = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with block:
            await Note.objects.create(title="first")
            entered.set()
            await release.wait()

    task = asyncio.ensure_future(first())
    await entered.wait()
    with pytest.raises(Boom):
        async with block:  # a transaction of this task's own, on another connection
            await Note.objects.create(title="second")
            release.set()
            await task  # the first task's block ends while this one is open
            raise Boom
    assert not in_transaction()
    assert await Note.objects.values_list("title", flat=True) == ["first"]


async def test_transaction_as_a_decorator(transactional_db):
    @aksara.transaction()
    async def create(title: str, fail: bool = False) -> Note:
        """Docstring kept."""
        assert in_transaction()
        note = await Note.objects.create(title=title)
        if fail:
            raise Boom
        return note

    assert create.__doc__ == "Docstring kept."
    assert (await create("kept")).title == "kept"
    with pytest.raises(Boom):
        await create("lost", fail=True)
    await asyncio.gather(create("a"), create("b"), create("c"))
    assert sorted(await Note.objects.values_list("title", flat=True)) == ["a", "b", "c", "kept"]


async def test_exiting_a_block_never_entered_is_an_error(transactional_db):
    with pytest.raises(aksara.db.TransactionError, match="exited more often than entered"):
        await aksara.transaction().__aexit__(None, None, None)


async def test_a_database_is_pinned_once(db):
    with pytest.raises(aksara.db.TransactionError, match="already pinned"):
        async with db.pin():
            pass
