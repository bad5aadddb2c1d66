"""Filtering, ordering and selecting across relations."""

import pytest

from aksara import Count, F, Q
from aksara.exceptions import QueryError
from tests.relations.models import RlAuthor, RlPost, RlProfile, RlTag


@pytest.fixture
async def world(db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    grace = await RlAuthor.objects.create(name="Grace", email="grace@example.com")
    linus = await RlAuthor.objects.create(name="Linus", email="linus@example.com")
    await RlProfile.objects.create(author=ada, bio="Mathematician and writer")
    python, sql, web = [await RlTag.objects.create(name=n) for n in ("python", "sql", "web")]
    engines = await RlPost.objects.create(title="Engines", author=ada, rank=3)
    notes = await RlPost.objects.create(title="Notes", author=ada, editor=grace, rank=1)
    cobol = await RlPost.objects.create(title="Cobol", author=grace, rank=2)
    await engines.tags.add(python, sql)
    await notes.tags.add(python)
    await cobol.tags.add(sql, web)
    return {"ada": ada, "grace": grace, "linus": linus, "python": python, "sql": sql, "web": web}


async def titles(qs) -> list[str]:
    return [p.title for p in await qs]


async def test_forward_relations(world):
    assert await titles(RlPost.objects.filter(author__email="ada@example.com")) == [
        "Engines",
        "Notes",
    ]
    assert await titles(RlPost.objects.filter(author__name__in=["Grace", "Linus"])) == ["Cobol"]
    assert await titles(RlPost.objects.filter(author__profile__bio__icontains="writer")) == [
        "Engines",
        "Notes",
    ]
    assert await titles(RlPost.objects.filter(editor__name="Grace")) == ["Notes"]
    # A NULL editor has no name that could equal "Grace": exclude() keeps those posts.
    assert await titles(RlPost.objects.exclude(editor__name="Grace")) == ["Cobol", "Engines"]


async def test_reverse_relations_never_duplicate_rows(world):
    # Ada has two posts tagged python; she is listed once.
    authors = RlAuthor.objects.filter(posts__tags__name="python")
    assert [a.name for a in await authors] == ["Ada"]
    assert await authors.count() == 1
    assert [a.name for a in await RlAuthor.objects.filter(posts__rank__gte=1)] == ["Ada", "Grace"]
    assert [a.name for a in await RlAuthor.objects.filter(posts__isnull=True)] == ["Linus"]
    assert [a.name for a in await RlAuthor.objects.filter(profile__isnull=False)] == ["Ada"]
    assert [a.name for a in await RlAuthor.objects.filter(edited_posts__title="Notes")] == ["Grace"]
    profile = await RlProfile.objects.get()
    assert [a.name for a in await RlAuthor.objects.filter(profile=profile)] == ["Ada"]


async def test_many_to_many_both_ways(world):
    python, sql = world["python"], world["sql"]
    assert await titles(RlPost.objects.filter(tags__name="sql")) == ["Cobol", "Engines"]
    assert await titles(RlPost.objects.filter(tags=python)) == ["Engines", "Notes"]
    assert await titles(RlPost.objects.filter(tags__in=[python, sql.id])) == [
        "Cobol",
        "Engines",
        "Notes",
    ]
    assert await titles(RlPost.objects.filter(tags__name__in=["python", "sql"])) == [
        "Cobol",
        "Engines",
        "Notes",
    ]
    assert await titles(RlPost.objects.exclude(tags__name="python")) == ["Cobol"]
    assert [t.name for t in await RlTag.objects.filter(posts__author__name="Grace")] == [
        "sql",
        "web",
    ]
    assert [t.name for t in await RlTag.objects.filter(posts__isnull=True)] == []


async def test_conditions_in_one_filter_apply_to_the_same_related_row(world):
    python = world["python"]
    # One filter() call: a single tag must be named "python" AND have id of sql -> none.
    assert await titles(RlPost.objects.filter(tags__name="python", tags__id=world["sql"].id)) == []
    # Chained filter() calls may match different tags, as in Django.
    both = RlPost.objects.filter(tags__name="python").filter(tags__name="sql")
    assert await titles(both) == ["Engines"]
    assert await titles(RlPost.objects.filter(tags__name="python", tags__id=python.id)) == [
        "Engines",
        "Notes",
    ]
    either = RlPost.objects.filter(Q(tags__name="web") | Q(author__name="Ada"))
    assert await titles(either) == ["Cobol", "Engines", "Notes"]


async def test_writes_and_aggregates_with_relation_filters(world):
    qs = RlPost.objects.filter(tags__name="sql")
    assert await qs.count() == 2 and await qs.exists()
    assert await qs.update(rank=F("rank") + 10) == 2
    assert sorted(p.rank for p in await qs) == [12, 13]
    assert await RlPost.objects.filter(author__name="Grace").delete() == 1
    assert await titles(RlPost.objects.all()) == ["Engines", "Notes"]


async def test_ordering_by_a_related_field(world):
    qs = RlPost.objects.order_by("author__name", "-title")
    assert await titles(qs) == ["Notes", "Engines", "Cobol"]
    assert await titles(RlPost.objects.order_by("-author__name", "title")) == [
        "Cobol",
        "Engines",
        "Notes",
    ]
    with pytest.raises(QueryError, match="multi-valued"):
        await RlPost.objects.order_by("tags__name")


async def test_values_across_single_valued_relations(world):
    rows = await RlPost.objects.filter(author__name="Ada").values("title", "author__email")
    assert rows == [
        {"title": "Engines", "author__email": "ada@example.com"},
        {"title": "Notes", "author__email": "ada@example.com"},
    ]
    editors = await RlPost.objects.order_by("title").values_list("editor__name", flat=True)
    assert editors == [None, None, "Grace"]
    bios = await RlPost.objects.values_list("title", "author__profile__bio")
    assert ("Cobol", None) in bios
    with pytest.raises(QueryError, match="multi-valued"):
        RlPost.objects.values("tags__name")


async def test_bad_keys_are_query_errors(world):
    with pytest.raises(QueryError, match="RlAuthor has no field 'nope'"):
        RlPost.objects.filter(author__nope=1).sql()
    with pytest.raises(QueryError, match="F\\(\\) expressions cannot be compared across"):
        RlPost.objects.filter(author__name=F("title")).sql()
    with pytest.raises(QueryError, match="expected a RlTag"):
        await RlPost.objects.filter(tags=world["ada"])
    with pytest.raises(QueryError, match="isnull lookup needs True or False"):
        await RlPost.objects.filter(tags__isnull="yes")


def test_relation_filters_keep_values_out_of_the_sql_and_share_a_plan():
    sql, args = RlPost.objects.filter(author__email="a@b.c", tags__name="x").sql()
    assert "a@b.c" not in sql and "$1" in sql and "$2" in sql
    assert args == ["a@b.c", "x"]
    plans = len(RlPost._meta.plans)
    other_sql, other_args = RlPost.objects.filter(author__email="z@z.z", tags__name="zz").sql()
    assert other_sql == sql and other_args == ["z@z.z", "zz"]
    assert len(RlPost._meta.plans) == plans


async def test_relations_without_columns_cannot_be_selected(db):
    with pytest.raises(QueryError, match="has no column to load"):
        RlPost.objects.only("tags")
    with pytest.raises(QueryError, match="has no column to select"):
        RlPost.objects.values("tags")
    with pytest.raises(QueryError, match="cannot order by 'tags', it has no column"):
        RlPost.objects.order_by("tags").sql()
    with pytest.raises(QueryError, match="has no column to aggregate"):
        await RlAuthor.objects.aggregate(n=Count("posts"))
