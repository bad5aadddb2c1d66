"""union(), intersection() and difference(): instances or values back, ordered, sliced and
counted as a whole, checked against the same query in plain SQL."""

import pytest

import aksara
from aksara import Count
from aksara.exceptions import QueryError
from tests.query.models import Note
from tests.relations.models import RlAuthor


async def notes():
    await Note.objects.bulk_create(
        [Note(title=t, rank=r, body=b) for t, r, b in [("a", 1, "x"), ("b", 5, "x"), ("c", 9, "y")]]
    )


async def test_union_of_instances_ordered_sliced_and_counted(db):
    await notes()
    low = Note.objects.filter(rank__lt=3)
    high = Note.objects.filter(rank__gt=7)
    both = low.union(high).order_by("-rank")
    rows = await both
    assert [type(n) for n in rows] == [Note, Note]
    assert [(n.title, n.rank) for n in rows] == [("c", 9), ("a", 1)]
    assert await both.count() == 2 and await both.exists()
    assert [n.title for n in await both[1:]] == ["a"]
    first = await both.first()
    assert first is not None and first.title == "c"
    rows[0].rank = 10
    await rows[0].save()
    assert await Note.objects.filter(rank=10).count() == 1


async def test_union_all_intersection_and_difference_of_values(db):
    await notes()
    x = Note.objects.filter(body="x").values_list("title", flat=True)
    big = Note.objects.filter(rank__gt=3).values_list("title", flat=True)
    assert sorted(await x.union(big)) == ["a", "b", "c"]
    assert sorted(await x.union(big, all=True)) == ["a", "b", "b", "c"]
    assert await x.intersection(big) == ["b"]
    assert await x.difference(big) == ["a"]
    ordered = x.union(big).order_by("-title")
    assert await ordered == ["c", "b", "a"]
    plain = await aksara.get_database().fetch(
        "SELECT title FROM note WHERE body = $1 UNION SELECT title FROM note WHERE rank > $2"
        " ORDER BY title DESC",
        ["x", 3],
    )
    assert await ordered == [r[0] for r in plain]
    dicts = (
        await Note.objects.filter(rank=1)
        .values("title", "rank")
        .union(Note.objects.filter(rank=9).values("title", "rank"))
        .order_by("rank")
    )
    assert dicts == [{"title": "a", "rank": 1}, {"title": "c", "rank": 9}]


async def test_annotated_parts(db):
    await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    await RlAuthor.objects.create(name="Bo", email="bo@example.com")
    a = RlAuthor.objects.filter(name="Ada").annotate(n=Count("posts"))
    b = RlAuthor.objects.filter(name="Bo").annotate(n=Count("posts"))
    rows = await a.union(b).order_by("name")
    assert [(r.name, r.n) for r in rows] == [("Ada", 0), ("Bo", 0)]


def test_combinations_refuse_what_they_cannot_do():
    a = Note.objects.filter(rank=1)
    with pytest.raises(QueryError, match="same columns"):
        a.union(Note.objects.values("title"))
    with pytest.raises(QueryError, match="cannot be combined"):
        a.union(RlAuthor.objects.all())
    with pytest.raises(QueryError, match="not sliced"):
        a.union(Note.objects.all()[:2])
    with pytest.raises(QueryError, match="cannot follow union"):
        a.union(Note.objects.all()).filter(rank=2)
    with pytest.raises(QueryError, match="cannot be locked"):
        a.union(Note.objects.all()).select_for_update()
    with pytest.raises(QueryError, match="takes querysets"):
        a.union([1])
    with pytest.raises(QueryError, match="orders by what it selects"):
        Note.objects.values("title").union(Note.objects.values("title")).order_by("rank").sql()
