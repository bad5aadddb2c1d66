"""Row locks: ``select_for_update(of=, no_key=, nowait=, skip_locked=)`` and ``select_for_share()``,
on querysets and managers, compiled and on the real database."""

import asyncio

import pytest

import aksara
from aksara.exceptions import QueryError
from tests.relations.models import RlAuthor, RlPost


def test_lock_clauses_compile_as_asked():
    sql, _ = RlPost.objects.select_for_update().sql()
    assert sql.endswith("FOR UPDATE")
    sql, _ = RlPost.objects.select_for_update(no_key=True, nowait=True).sql()
    assert sql.endswith("FOR NO KEY UPDATE NOWAIT")
    sql, _ = RlPost.objects.select_for_share(skip_locked=True).sql()
    assert sql.endswith("FOR SHARE SKIP LOCKED")


def test_of_names_this_model_and_joined_relations():
    qs = RlPost.objects.select_related("author").select_for_update(of=("self", "author"))
    sql, _ = qs.sql()
    # author cannot be NULL, so its rows come from an INNER JOIN and can be locked.
    assert "JOIN rl_author AS rl_author_1 ON" in sql and "LEFT OUTER" not in sql
    assert sql.endswith("FOR UPDATE OF rl_post, rl_author_1")
    only_author = RlPost.objects.select_related("author").select_for_update(of=("author",))
    assert only_author.sql()[0].endswith("FOR UPDATE OF rl_author_1")
    # Without of=, a query with joins locks this model's rows only.
    default = RlPost.objects.select_related("editor").select_for_update()
    assert default.sql()[0].endswith("FOR UPDATE OF rl_post")


def test_of_is_checked_never_ignored():
    with pytest.raises(QueryError, match="has no relation 'nope'"):
        RlPost.objects.select_for_update(of=("nope",))
    with pytest.raises(QueryError, match="takes a tuple of names"):
        RlPost.objects.select_for_update(of="self")
    with pytest.raises(QueryError, match="not loaded with select_related"):
        RlPost.objects.select_for_update(of=("author",)).sql()
    nullable = RlPost.objects.select_related("editor").select_for_update(of=("editor",))
    with pytest.raises(QueryError, match="may be NULL"):
        nullable.sql()
    with pytest.raises(QueryError, match="exclude each other"):
        RlPost.objects.select_for_share(nowait=True, skip_locked=True)


def test_managers_take_the_same_lock_options():
    manager = RlPost.objects.select_related("author")
    assert (
        RlPost.objects.select_for_update(of=("self",), no_key=True).sql()
        == RlPost.objects.all().select_for_update(of=("self",), no_key=True).sql()
    )
    assert manager.select_for_share(of=("author",)).sql()[0].endswith("FOR SHARE OF rl_author_1")


async def test_locked_author_rows_are_skipped_by_another_transaction(transactional_db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    await RlAuthor.objects.create(name="Grace", email="grace@example.com")
    await RlPost.objects.create(title="Notes", author=ada)
    locked = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with aksara.transaction():
            qs = RlPost.objects.select_related("author").select_for_update(of=("author",))
            posts = await qs
            assert [p.author.name for p in posts] == ["Ada"]
            locked.set()
            await release.wait()

    task = asyncio.ensure_future(holder())
    await locked.wait()
    try:
        async with aksara.transaction():
            free = await RlAuthor.objects.select_for_update(skip_locked=True)
            assert [a.name for a in free] == ["Grace"]
            # The post itself was not locked (of= named only the author).
            posts = await RlPost.objects.select_for_update(nowait=True)
            assert [p.title for p in posts] == ["Notes"]
    finally:
        release.set()
        await task


async def test_share_locks_let_readers_share_and_keep_writers_out(transactional_db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    shared = asyncio.Event()
    release = asyncio.Event()

    async def reader() -> None:
        async with aksara.transaction():
            await RlAuthor.objects.filter(id=ada.id).select_for_share()
            shared.set()
            await release.wait()

    task = asyncio.ensure_future(reader())
    await shared.wait()
    try:
        async with aksara.transaction():
            assert len(await RlAuthor.objects.select_for_share(nowait=True)) == 1
        with pytest.raises(aksara.exceptions.DatabaseError, match="could not obtain lock"):
            async with aksara.transaction():
                await RlAuthor.objects.select_for_update(nowait=True)
    finally:
        release.set()
        await task
