"""Streaming: ``async for`` and ``iterator(chunk_size=)`` inside and outside transactions."""

import asyncio
import contextlib
import gc

import pytest

import aksara
from aksara import F
from aksara.exceptions import QueryError
from aksara.testing import capture_queries
from tests.query.models import Note
from tests.relations.models import RlAuthor, RlPost, RlTag


async def make_notes(n):
    await Note.objects.bulk_create([Note(title=f"t{i:04}", rank=i) for i in range(n)])


async def test_iterator_fetches_in_chunks_inside_a_transaction(db):
    await make_notes(25)
    async with aksara.transaction():
        got = []
        async for note in Note.objects.order_by("title").iterator(chunk_size=10):
            got.append(note.rank)
    assert got == list(range(25))


async def test_iterator_outside_a_transaction_holds_one_connection(transactional_db):
    await make_notes(25)
    before = transactional_db.pool_status().checked_out
    seen_during = []
    got = []
    async for note in Note.objects.order_by("rank").iterator(chunk_size=7):
        got.append(note.rank)
        seen_during.append(transactional_db.pool_status().checked_out)
    assert got == list(range(25))
    # The cursor's connection is checked out while the loop runs, and given back after it.
    assert set(seen_during) == {before + 1}
    assert transactional_db.pool_status().checked_out == before


async def test_queries_inside_the_loop_run_on_other_connections(transactional_db):
    await make_notes(5)
    async for note in Note.objects.order_by("rank").iterator(chunk_size=2):
        # A statement while the cursor is open: another pooled connection answers it.
        assert (await Note.objects.get(pk=note.pk)).rank == note.rank
        await Note.objects.filter(pk=note.pk).update(body="seen")
    assert await Note.objects.filter(body="seen").count() == 5


async def test_breaking_out_gives_the_connection_back(transactional_db):
    await make_notes(30)
    before = transactional_db.pool_status().checked_out
    async with contextlib.aclosing(Note.objects.iterator(chunk_size=5)) as notes:
        async for _note in notes:
            break
    assert transactional_db.pool_status().checked_out == before
    # Without aclosing() the generator is closed once nothing refers to it.
    async for _note in Note.objects.iterator(chunk_size=5):
        break
    gc.collect()
    for _ in range(100):  # the loop's finaliser closes it (a ROLLBACK) in a task of its own
        if transactional_db.pool_status().checked_out == before:
            break
        await asyncio.sleep(0.01)
    assert transactional_db.pool_status().checked_out == before


async def test_async_for_streams_without_a_transaction(transactional_db):
    await make_notes(2100)
    with capture_queries() as queries:
        ranks = [note.rank async for note in Note.objects.order_by("rank")]
    assert ranks == list(range(2100))
    # One cursor statement (the chunks are FETCHes of its portal).
    assert len(queries) == 1


async def test_prefetch_related_runs_per_chunk(transactional_db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    bo = await RlAuthor.objects.create(name="Bo", email="bo@example.com")
    red = await RlTag.objects.create(name="red")
    blue = await RlTag.objects.create(name="blue")
    for i in range(5):
        post = await RlPost.objects.create(title=f"p{i}", author=ada if i % 2 else bo, rank=i)
        await post.tags.add(red if i % 2 else blue)
    qs = RlPost.objects.order_by("rank").select_related("author").prefetch_related("tags")
    with capture_queries() as queries:
        got = []
        async for post in qs.iterator(chunk_size=2):
            got.append((post.title, post.author.name, [t.name for t in post.tags]))
    assert got == [
        ("p0", "Bo", ["blue"]),
        ("p1", "Ada", ["red"]),
        ("p2", "Bo", ["blue"]),
        ("p3", "Ada", ["red"]),
        ("p4", "Bo", ["blue"]),
    ]
    # The cursor, then one tag query per chunk of two (three chunks).
    assert len(queries) == 1 + 3


async def test_values_and_flat_stream(transactional_db):
    await make_notes(12)
    rows = [r async for r in Note.objects.order_by("rank").values("rank").iterator(chunk_size=5)]
    assert rows == [{"rank": i} for i in range(12)]
    flat = Note.objects.order_by("-rank").values_list("rank", flat=True).iterator(chunk_size=5)
    assert [r async for r in flat] == list(range(11, -1, -1))


async def test_a_slice_within_one_chunk_is_a_plain_query(transactional_db):
    await make_notes(10)
    with capture_queries() as queries:
        ranks = [n.rank async for n in Note.objects.order_by("rank")[2:5]]
    assert ranks == [2, 3, 4]
    assert len(queries) == 1 and "LIMIT" in queries.sql[0]
    sliced = Note.objects.order_by("rank")[1:9].iterator(chunk_size=3)
    assert [n.rank async for n in sliced] == list(range(1, 9))


async def test_an_error_in_the_query_gives_the_connection_back(transactional_db):
    await make_notes(3)
    before = transactional_db.pool_status().checked_out
    failing = Note.objects.annotate(x=F("rank") / 0)  # division by zero, found by the server
    with pytest.raises(aksara.exceptions.DatabaseError, match="division by zero"):
        async for _note in failing.iterator(chunk_size=2):
            pass
    assert transactional_db.pool_status().checked_out == before
    assert await Note.objects.count() == 3


@pytest.mark.parametrize("size", [0, -1, 1.5, True, "10"])
def test_chunk_size_must_be_a_positive_integer(size):
    with pytest.raises(QueryError, match="positive integer chunk_size"):
        Note.objects.iterator(chunk_size=size)
