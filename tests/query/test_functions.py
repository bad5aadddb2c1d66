"""Database functions: text, math, time, Cast, Coalesce, Func subclasses, ordering by
expressions; checked against hand-computed values and plain SQL."""

import pytest

from aksara import Count, F, Q, Value
from aksara.exceptions import QueryError
from aksara.query import Case, When
from tests.query.blog import blog, plain
from tests.relations.models import RlAuthor, RlPost


async def test_database_functions(db):
    from aksara import fields
    from aksara.query.functions import (
        Abs,
        Cast,
        Coalesce,
        Concat,
        Extract,
        Func,
        Greatest,
        Left,
        Length,
        Lower,
        NullIf,
        Replace,
        Round,
        StrIndex,
        Substr,
        TruncMonth,
        Upper,
    )

    await blog()
    rows = await RlAuthor.objects.annotate(
        low=Lower("name"),
        up=Upper("email"),
        size=Length("name"),
        label=Concat("name", Value(" <"), "email", Value(">")),
        first=Left("name", 2),
        middle=Substr("email", 2, 3),
        swapped=Replace("email", Value("example"), Value("test")),
        at=StrIndex("email", Value("@")),
        n=Coalesce(Count("posts", filter=Q(posts__rank__gt=100)), 0),
    ).order_by("name")
    ada = rows[0]
    assert (ada.low, ada.up, ada.size) == ("ada", "ADA@EXAMPLE.COM", 3)
    assert ada.label == "Ada <ada@example.com>"
    assert (ada.first, ada.middle, ada.swapped, ada.at) == ("Ad", "da@", "ada@test.com", 4)
    assert [r.n for r in rows] == [0, 0, 0]
    expected = await plain(
        "SELECT lower(name), upper(email), length(name), left(name, 2), strpos(email, '@')"
        " FROM rl_author ORDER BY name"
    )
    assert [(r.low, r.up, r.size, r.first, r.at) for r in rows] == expected
    # Lookups apply to annotations; functions nest and mix with arithmetic.
    starts = RlAuthor.objects.annotate(low=Lower("name")).filter(low__startswith="b")
    assert [a.name for a in await starts] == ["Bo"]
    posts = await RlPost.objects.annotate(
        score=Abs(F("rank") - 5),
        big=Greatest("rank", 5),
        none=NullIf("rank", 5),
        text=Cast("rank", fields.Text()),
        month=TruncMonth(Func(function="now", output_field=fields.DateTime())),
        year=Extract(Func(function="now", output_field=fields.DateTime()), "year"),
        half=Round(Cast("rank", fields.Decimal(precision=6, scale=2)) / 2, 1),
        sim=Func("rank", Value(2), function="mod", output_field=fields.Integer()),
    ).order_by("title")
    assert [(p.score, p.big, p.none, p.text, p.sim) for p in posts] == [
        (0, 5, None, "5", 1),
        (2, 7, 7, "7", 1),
        (4, 5, 1, "1", 1),
        (1, 5, 4, "4", 0),
    ]
    assert posts[0].month.day == 1 and posts[0].year >= 2024
    assert [str(p.half) for p in posts] == ["2.5", "3.5", "0.5", "2.0"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: __import__("aksara.query.functions").query.functions.Func(
            "name", function="lower(name); DROP TABLE x; --"
        ),
        lambda: __import__("aksara.query.functions").query.functions.Extract("name", "year'"),
        lambda: __import__("aksara.query.functions").query.functions.Trunc("name", "'; --"),
    ],
)
def test_function_names_and_units_come_from_code(make):
    with pytest.raises(QueryError):
        make()


async def test_order_by_expressions(db):
    from aksara.query.functions import Length, Lower

    await blog()
    by_case = RlPost.objects.order_by(
        Case(When(rank__gte=5, then=Value(0)), default=Value(1)), "-rank"
    )
    assert [p.title for p in await by_case] == ["a2", "a1", "b1", "a3"]
    assert (await by_case.last()).title == "a3"  # through the reversed expression
    by_length = RlAuthor.objects.order_by(Length("email").desc(), Lower("name"))
    assert [a.name for a in await by_length] == ["Ada", "Bo", "Cy"]
    counted = RlAuthor.objects.annotate(n=Count("posts")).order_by((F("n") * -1).asc(), "name")
    assert [a.name for a in await counted] == ["Ada", "Bo", "Cy"]
    sql, args = RlPost.objects.order_by(
        Case(When(rank__gte=5, then=Value(0)), default=Value(1))
    ).sql()
    assert args == [5, 0, 1]
    with pytest.raises(QueryError):
        RlPost.objects.order_by(Lower("nope"))


async def test_nulls_first_and_last(db):
    from aksara.query import Case, When

    await blog()
    boosted = RlPost.objects.annotate(boost=Case(When(title__startswith="a", then=F("rank"))))
    last = await boosted.order_by(F("boost").desc(nulls_last=True), "title")
    assert [(p.title, p.boost) for p in last] == [("a2", 7), ("a1", 5), ("a3", 1), ("b1", None)]
    first = await boosted.order_by(F("boost").asc(nulls_first=True))
    assert [p.title for p in first] == ["b1", "a3", "a1", "a2"]
    plain = await RlPost.objects.order_by(F("editor").asc(nulls_last=True), "title").values_list(
        "title", flat=True
    )
    assert plain[-1] == "a3"  # no editor: last
    newest = await boosted.order_by(F("boost").desc(nulls_last=True)).last()
    assert newest is not None and newest.title == "b1"
    # The placement of NULLs is part of the plan's shape.
    sql_last = boosted.order_by(F("boost").desc(nulls_last=True)).sql()[0]
    sql_first = boosted.order_by(F("boost").desc(nulls_first=True)).sql()[0]
    assert "NULLS LAST" in sql_last and "NULLS FIRST" in sql_first
    with pytest.raises(TypeError, match="exclude each other"):
        F("rank").asc(nulls_first=True, nulls_last=True)
