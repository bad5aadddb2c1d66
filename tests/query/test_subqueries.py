"""Subquery, OuterRef and Exists in annotate and filter; querysets as __in values."""

import pytest

from aksara.exceptions import QueryError
from aksara.testing import capture_queries
from tests.query.blog import blog, plain
from tests.relations.models import RlAuthor, RlPost


async def test_subquery_outerref_exists_and_in(db):
    from aksara.query.expressions import OuterRef
    from aksara.query.functions import Exists, Subquery

    ada, bo, cy, posts = await blog()
    latest = RlPost.objects.filter(author=OuterRef("pk")).order_by("-rank").values("title")[:1]
    authors = await RlAuthor.objects.annotate(
        best=Subquery(latest),
        has_posts=Exists(RlPost.objects.filter(author=OuterRef("pk"))),
        edits=Exists(RlPost.objects.filter(editor=OuterRef("pk"), rank__gt=4)),
    ).order_by("name")
    got = [(a.name, a.best, a.has_posts, a.edits) for a in authors]
    assert got == [("Ada", "a2", True, True), ("Bo", "b1", True, True), ("Cy", None, False, False)]
    assert got == await plain(
        "SELECT a.name,"
        " (SELECT title FROM rl_post p WHERE p.author_id = a.id ORDER BY rank DESC LIMIT 1),"
        " EXISTS (SELECT 1 FROM rl_post p WHERE p.author_id = a.id),"
        " EXISTS (SELECT 1 FROM rl_post p WHERE p.editor_id = a.id AND p.rank > $1)"
        " FROM rl_author a ORDER BY a.name",
        4,
    )
    # Filter on them, and __in with a queryset: one statement each.
    with capture_queries() as queries:
        active = await RlAuthor.objects.annotate(
            has_posts=Exists(RlPost.objects.filter(author=OuterRef("pk")))
        ).filter(has_posts=False)
        in_sub = await RlPost.objects.filter(
            author__in=RlAuthor.objects.filter(name__startswith="B")
        ).values_list("title", flat=True)
        same_model = await RlPost.objects.filter(
            id__in=RlPost.objects.filter(rank__gt=4).values("id")
        ).order_by("title")
    assert len(queries) == 3
    assert [a.name for a in active] == ["Cy"]
    assert in_sub == ["b1"]
    assert [p.title for p in same_model] == ["a1", "a2"]


def test_bad_subqueries_are_refused():
    from aksara.query.expressions import OuterRef
    from aksara.query.functions import Subquery

    with pytest.raises(QueryError, match="takes a queryset"):
        Subquery([1, 2])
    with pytest.raises(QueryError, match="selects one column"):
        RlAuthor.objects.annotate(x=Subquery(RlPost.objects.values("title", "rank"))).sql()
    with pytest.raises(QueryError, match="only valid inside"):
        RlPost.objects.filter(author=OuterRef("pk")).sql()
    with pytest.raises(QueryError, match="__in lookup only"):
        RlPost.objects.filter(author=RlAuthor.objects.all()).sql()


async def test_subqueries_on_the_model_of_their_enclosing_query(db):
    from aksara.query import Exists, OuterRef, Subquery

    await blog()
    top = RlPost.objects.filter(author=OuterRef("author")).order_by("-rank").values("title")[:1]
    outranked = Exists(RlPost.objects.filter(author=OuterRef("author"), rank__gt=OuterRef("rank")))
    rows = await RlPost.objects.annotate(top=Subquery(top), outranked=outranked).values_list(
        "title", "top", "outranked"
    )
    assert rows == [
        ("a1", "a2", True),
        ("a2", "a2", False),
        ("a3", "a2", True),
        ("b1", "b1", False),
    ]
    expected = await plain(
        "SELECT p.title, (SELECT q.title FROM rl_post q WHERE q.author_id = p.author_id"
        " ORDER BY q.rank DESC LIMIT 1),"
        " EXISTS (SELECT 1 FROM rl_post q WHERE q.author_id = p.author_id AND q.rank > p.rank)"
        " FROM rl_post p ORDER BY p.title"
    )
    assert rows == expected
    best = await RlPost.objects.filter(~outranked).values_list("title", flat=True)
    assert best == ["a2", "b1"]
