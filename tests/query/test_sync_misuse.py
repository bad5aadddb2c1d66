"""Forgetting ``async`` with a queryset or a manager is a clear ``TypeError``, never a hang.

Without ``__iter__``, ``for p in Post.objects.all():`` fell back on ``__getitem__`` and made
coroutines ``qs[0]``, ``qs[1]``, ... until the process ran out of memory.
"""

import pytest

from aksara.exceptions import QueryError
from tests.query.models import Note
from tests.relations.models import RlAuthor


@pytest.mark.parametrize(
    "misuse, advice",
    [
        (lambda qs: [n for n in qs], "async for"),
        (lambda qs: list(qs), "async for"),
        (lambda qs: len(qs), "count()"),
        (lambda qs: bool(qs), "exists()"),
        (lambda qs: Note() in qs, "exists()"),
    ],
)
def test_a_queryset_used_synchronously_says_what_to_write(misuse, advice):
    for queryset in (Note.objects.all(), Note.objects.filter(title="x")[:3]):
        with pytest.raises(TypeError, match="asynchronously") as info:
            misuse(queryset)
        assert advice in str(info.value)


def test_a_manager_used_synchronously_says_what_to_write():
    with pytest.raises(TypeError, match="async for"):
        for _ in Note.objects:
            pass
    with pytest.raises(TypeError, match="count()"):
        len(Note.objects)
    with pytest.raises(TypeError, match="exists()"):
        Note() in Note.objects  # noqa: B015
    assert Note.objects  # always there


async def test_prefetched_related_managers_still_iterate(db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    await ada.posts.create(title="One")
    (loaded,) = await RlAuthor.objects.prefetch_related("posts")
    assert [p.title for p in loaded.posts] == ["One"]
    async for post in loaded.posts.all():
        assert post.title == "One"


async def test_a_related_manager_not_prefetched_says_what_to_write(db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    with pytest.raises(QueryError, match="not prefetched: use `await obj.posts.all"):
        for _ in ada.posts:
            pass
    with pytest.raises((TypeError, QueryError)):
        len(ada.posts)
