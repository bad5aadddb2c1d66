"""Case/When in annotate, filter, order_by and update()."""

import pytest

from aksara import Count, F, Q, Value
from aksara.exceptions import QueryError
from aksara.query import Case, When
from tests.query.blog import blog, plain
from tests.relations.models import RlAuthor, RlPost


async def test_case_when(db):
    from aksara.query.functions import Case, When

    await blog()
    level = Case(
        When(rank__gte=6, then=Value("high")),
        When(Q(rank__gte=4) & ~Q(title="b1"), then=Value("mid")),
        default=Value("low"),
    )
    rows = (
        await RlPost.objects.annotate(level=level).order_by("title").values_list("title", "level")
    )
    assert rows == [("a1", "mid"), ("a2", "high"), ("a3", "low"), ("b1", "low")]
    assert rows == await plain(
        "SELECT title, CASE WHEN rank >= 6 THEN 'high' WHEN rank >= 4 AND NOT title = 'b1'"
        " THEN 'mid' ELSE 'low' END FROM rl_post ORDER BY title"
    )
    # In filters and ordering, with field values and no default (NULL).
    boosted = RlPost.objects.annotate(
        boost=Case(When(title__startswith="a", then=F("rank") * 10))
    ).order_by("-boost", "title")
    assert [(p.title, p.boost) for p in await boosted] == [
        ("b1", None),  # PostgreSQL puts NULLs first in descending order
        ("a2", 70),
        ("a1", 50),
        ("a3", 10),
    ]
    # An annotation that is neither selected, filtered on nor ordered by costs nothing.
    titles = await RlPost.objects.annotate(unused=Value("x")).order_by("title").values("title")
    assert [r["title"] for r in titles] == ["a1", "a2", "a3", "b1"]
    assert [p.title for p in await boosted.filter(boost__gt=20)] == ["a2", "a1"]
    with pytest.raises(QueryError, match="has no field"):
        RlPost.objects.annotate(x=Case(When(nope=1, then=Value(1))))
    with pytest.raises(QueryError, match="takes one or more When"):
        Case(Value(1))


async def test_update_with_computed_values(db):
    from aksara.query import OuterRef, Subquery
    from aksara.query.functions import Upper

    ada, bo, cy, _ = await blog()
    changed = await RlPost.objects.update(
        title=Case(When(rank__gte=5, then=Upper("title")), default=F("title")),
        rank=F("rank") + Count("tags"),
    )
    assert changed == 4
    rows = await RlPost.objects.order_by("title").values_list("title", "rank")
    assert rows == [("A1", 7), ("A2", 8), ("a3", 1), ("b1", 4)]
    # A value from a related row, per row, in one UPDATE.
    from aksara.query.functions import Coalesce

    latest = RlPost.objects.filter(author=OuterRef("pk")).order_by("-rank").values("title")[:1]
    await RlAuthor.objects.update(name=Coalesce(Subquery(latest), "name"))
    names = await RlAuthor.objects.order_by("email").values_list("name", flat=True)
    assert names == ["A2", "b1", "Cy"]
    hostile = "x'); DROP TABLE rl_post; --"
    await RlPost.objects.filter(title="a3").update(title=Upper(Value(hostile)))
    assert await RlPost.objects.filter(title=hostile.upper()).count() == 1
    from aksara.query.functions import RowNumber, Window

    with pytest.raises(QueryError, match="no window in an UPDATE"):
        await RlPost.objects.update(rank=Window(RowNumber()))
