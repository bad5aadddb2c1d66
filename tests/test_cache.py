"""``aksara._cache.LRUCache`` and the bounded per-model caches built on it."""

import pytest

from aksara._cache import LRUCache
from aksara.models.options import MAX_PLANS, MAX_RESOLVED
from aksara.query._resolve import resolve
from tests.query.models import Author, Note


def test_least_recently_used_entries_go_first():
    cache: LRUCache[int] = LRUCache(3)
    for key in "abc":
        cache.put(key, ord(key))
    assert cache.get_or_build("a", lambda: 0) == ord("a")  # a is now the most recent
    cache.put("d", 4)
    assert "b" not in cache and list(cache) == ["c", "a", "d"]
    assert cache.lookup("c") == ord("c") and list(cache) == ["a", "d", "c"]
    assert cache.lookup("zz") is None
    built = []
    assert cache.get_or_build("e", lambda: built.append(1) or 5) == 5 and built == [1]
    assert cache.get_or_build("e", lambda: built.append(1) or 6) == 5 and built == [1]
    assert len(cache) == 3
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        LRUCache(0)


def test_a_cached_none_is_a_hit():
    cache: LRUCache[None] = LRUCache(2)
    calls = []
    assert cache.get_or_build("k", lambda: calls.append(1)) is None
    assert cache.get_or_build("k", lambda: calls.append(1)) is None
    assert calls == [1]


def test_pages_of_one_size_share_their_plans():
    meta = Note._meta
    meta.plans.clear()
    for start in range(1, 51):  # OFFSET is a parameter
        Note.objects.filter(title="x")[start : start + 20].sql()
    assert len(meta.plans) == 1
    # LIMIT is written into the statement (PostgreSQL then keeps its generic plan): one
    # statement per page size.
    for size in range(1, 11):
        Note.objects.filter(title="x")[:size].sql()
    assert len(meta.plans) == 11


async def test_count_of_slices_shares_one_plan_per_size(db):
    await Note.objects.bulk_create([Note(title=f"n{i}") for i in range(5)])
    meta = Note._meta
    meta.plans.clear()
    counts = [await Note.objects.order_by("title")[:size].count() for size in range(1, 8)]
    assert counts == [1, 2, 3, 4, 5, 5, 5]
    assert [key[0] for key in meta.plans] == ["count"] * 7
    assert [await Note.objects.order_by("title")[i : i + 2].count() for i in range(1, 6)] == [
        2,
        2,
        2,
        1,
        0,
    ]
    assert len(meta.plans) == 8  # the offsets are parameters: one more plan for them all
    assert await Note.objects.order_by("title")[1:3].exists()
    assert not await Note.objects.order_by("title")[5:].exists()


def test_resolved_filter_keys_stay_bounded():
    # Every JSON key path is a key of its own: an application (or a client) naming ever new
    # keys must not grow the cache without end.
    meta = Author._meta
    for i in range(MAX_RESOLVED + 100):
        resolve(Author, f"profile__k{i}__x")
    assert len(meta.resolved) == MAX_RESOLVED
    assert "profile__k0__x" not in meta.resolved
    assert f"profile__k{MAX_RESOLVED + 99}__x" in meta.resolved


def test_plans_stay_bounded():
    meta = Author._meta
    meta.plans.clear()
    for i in range(MAX_PLANS + 10):
        meta.plans.get_or_build(("synthetic", i), lambda: None)
    assert len(meta.plans) == MAX_PLANS
