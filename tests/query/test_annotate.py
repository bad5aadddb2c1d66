"""annotate(): relation aggregates per row, GROUP BY after values(), conditions on
annotations (WHERE, or HAVING when grouped), ordering, each checked against hand-computed
values and the same query in plain SQL."""

import pytest

from aksara import Avg, Count, F, Max, Q, Sum, Value
from aksara.exceptions import QueryError
from aksara.query import Case, When
from aksara.testing import capture_queries
from tests.query.blog import blog, plain
from tests.query.models import Note
from tests.relations.models import RlAuthor, RlPost


async def test_two_multi_valued_aggregates_do_not_multiply_each_other(db):
    await blog()
    rows = await RlAuthor.objects.annotate(
        n_posts=Count("posts"), n_edited=Count("edited_posts"), total=Sum("posts__rank")
    )
    got = [(a.name, a.n_posts, a.n_edited, a.total) for a in rows]
    assert got == [("Ada", 3, 1 + 1, 13), ("Bo", 1, 1, 4), ("Cy", 0, 0, None)]
    expected = await plain(
        "SELECT name, (SELECT count(*) FROM rl_post p WHERE p.author_id = a.id),"
        " (SELECT count(*) FROM rl_post p WHERE p.editor_id = a.id),"
        " (SELECT sum(rank) FROM rl_post p WHERE p.author_id = a.id)"
        " FROM rl_author a ORDER BY name"
    )
    assert got == expected


async def test_many_to_many_reverse_and_filtered_aggregates(db):
    await blog()
    posts = await RlPost.objects.annotate(
        n_tags=Count("tags"),
        n_comments=Count("comments"),
        red=Count("tags", filter=Q(tags__name="red")),
        top=Max("comments__body", default="-"),
    )
    got = [(p.title, p.n_tags, p.n_comments, p.red, p.top) for p in posts]
    assert got == [
        ("a1", 2, 3, 1, "z"),
        ("a2", 1, 0, 1, "-"),
        ("a3", 0, 0, 0, "-"),
        ("b1", 0, 0, 0, "-"),
    ]
    distinct = await RlAuthor.objects.annotate(
        ranks=Count("posts__rank", distinct=True), avg=Avg("posts__rank")
    ).get(name="Ada")
    assert distinct.ranks == 3 and float(distinct.avg) == pytest.approx(13 / 3)


async def test_conditions_and_ordering_on_annotations(db):
    await blog()
    busy = RlAuthor.objects.annotate(n=Count("posts")).filter(n__gte=1).order_by("-n")
    assert [(a.name, a.n) for a in await busy] == [("Ada", 3), ("Bo", 1)]
    assert await busy.count() == 2
    assert await busy.exists()
    assert [a.name for a in await busy.exclude(n=3)] == ["Bo"]
    assert [a.name for a in await busy[1:]] == ["Bo"]
    either = RlAuthor.objects.annotate(n=Count("posts")).filter(Q(n=0) | Q(n__gt=2))
    assert sorted(a.name for a in await either) == ["Ada", "Cy"]
    # Fields and annotations together: a condition each.
    both = RlAuthor.objects.annotate(n=Count("posts")).filter(n__lt=3).filter(name__startswith="B")
    assert [a.name for a in await both] == ["Bo"]
    with pytest.raises(QueryError, match="mixes annotations and fields"):
        RlAuthor.objects.annotate(n=Count("posts")).filter(Q(n=1) | Q(name="Bo"))


async def test_values_of_annotations_and_expressions(db):
    await blog()
    rows = await RlPost.objects.annotate(double=F("rank") * 2, kind=Value("post")).values(
        "title", "double", "kind"
    )
    assert rows[:2] == [
        {"title": "a1", "double": 10, "kind": "post"},
        {"title": "a2", "double": 14, "kind": "post"},
    ]
    first = await RlPost.objects.annotate(bonus=F("rank") + 10).order_by("-bonus").first()
    assert first is not None and (first.title, first.bonus) == ("a2", 17)
    flat = await RlAuthor.objects.annotate(n=Count("posts")).values_list("n", flat=True)
    assert flat == [3, 1, 0]
    everything = await RlAuthor.objects.annotate(n=Count("posts")).filter(name="Bo").values()
    assert everything[0]["n"] == 1 and everything[0]["email"] == "bo@example.com"


async def test_group_by_after_values(db):
    await Note.objects.bulk_create(
        [Note(title=t, rank=r, body=b) for t, r, b in [("a", 1, "x"), ("a", 2, "x"), ("b", 5, "y")]]
        + [Note(title="c", rank=7, body="y")]
    )
    grouped = (
        Note.objects.values("body").annotate(n=Count("id"), total=Sum("rank")).order_by("body")
    )
    assert await grouped == [
        {"body": "x", "n": 2, "total": 3},
        {"body": "y", "n": 2, "total": 12},
    ]
    assert await grouped == [
        dict(zip(("body", "n", "total"), r, strict=True))
        for r in await plain(
            "SELECT body, count(id), sum(rank) FROM note GROUP BY body ORDER BY body"
        )
    ]
    having = Note.objects.values("title").annotate(total=Sum("rank")).filter(total__gt=3)
    assert sorted(await having.values_list("title", flat=True)) == ["b", "c"]
    assert await having.count() == 2
    tuples = await Note.objects.values_list("body").annotate(top=Max("rank")).order_by("-top")
    assert tuples == [("y", 7), ("x", 2)]
    rows = await Note.objects.filter(rank__gt=1).values("body").annotate(n=Count()).order_by("n")
    assert rows == [{"body": "x", "n": 1}, {"body": "y", "n": 2}]


async def test_grouping_leaves_meta_ordering_out(db):
    ada, bo, _, _ = await blog()
    rows = await RlPost.objects.values("author").annotate(n=Count("id"), top=Max("rank"))
    assert sorted((r["author_id"], r["n"], r["top"]) for r in rows) == sorted(
        [(ada.id, 3, 7), (bo.id, 1, 4)]
    )
    by_count = RlPost.objects.values("author").annotate(n=Count("id")).order_by("n")
    assert [r["n"] for r in await by_count] == [1, 3]


async def test_one_statement_and_plans_shared_by_shape(db):
    await blog()
    qs = RlAuthor.objects.annotate(n=Count("posts", filter=Q(posts__rank__gt=3)))
    with capture_queries() as queries:
        first = await qs.filter(n__gte=1)
    assert len(queries) == 1 and [a.name for a in first] == ["Ada", "Bo"]
    plans = len(RlAuthor._meta.plans)
    again = await RlAuthor.objects.annotate(n=Count("posts", filter=Q(posts__rank__gt=6))).filter(
        n__gte=1
    )
    assert [a.name for a in again] == ["Ada"] and len(RlAuthor._meta.plans) == plans


async def test_annotated_instances_save_as_others(db):
    ada, *_ = await blog()
    author = await RlAuthor.objects.annotate(n=Count("posts")).get(name="Ada")
    author.name = "Ada L."
    await author.save()
    assert (await RlAuthor.objects.get(pk=ada.pk)).name == "Ada L."
    related = (
        await RlPost.objects.select_related("author").annotate(n=Count("tags")).get(title="a1")
    )
    assert related.author.name == "Ada L." and related.n == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: RlAuthor.objects.annotate(name=Count("posts")), "conflicts with a field"),
        (lambda: RlAuthor.objects.annotate(save=Count("posts")), "conflicts with a field"),
        (lambda: RlAuthor.objects.annotate(**{"a b": Count("posts")}), "not a valid annotation"),
        (lambda: RlAuthor.objects.annotate(**{"x__y": Count("posts")}), "not a valid annotation"),
        (lambda: RlAuthor.objects.annotate(n=Count("nope")), "has no field"),
        (lambda: RlAuthor.objects.annotate(n=Sum("posts__nope")), "has no field"),
        (lambda: RlAuthor.objects.annotate(n=Sum("name")), "aggregates nothing per row"),
        (lambda: RlAuthor.objects.annotate(n="SELECT 1"), "takes an aggregate"),
        (
            lambda: RlAuthor.objects.annotate(n=Count("posts", filter=Q(name="x"))),
            "takes conditions on it",
        ),
        (lambda: RlAuthor.objects.annotate(n=Count("posts")).order_by("-m"), "has no field"),
        (lambda: RlAuthor.objects.annotate(n=Count("posts")).filter(n__nope=1), "no lookup"),
    ],
)
def test_bad_annotations_are_refused_before_any_sql(make, message):
    with pytest.raises(QueryError, match=message):
        make()


async def test_annotated_querysets_refuse_writes(db):
    await blog()
    annotated = RlAuthor.objects.annotate(n=Count("posts")).filter(n=0)
    with pytest.raises(QueryError, match="annotated or combined queryset"):
        await annotated.delete()
    with pytest.raises(QueryError, match="annotated or combined queryset"):
        await annotated.update(name="x")
    assert await RlAuthor.objects.count() == 3


async def test_annotation_values_are_parameters(db):
    await blog()
    hostile = "'); DROP TABLE rl_author; --"
    rows = await RlAuthor.objects.annotate(
        tagged=Value(hostile), n=Count("posts", filter=Q(posts__title=hostile))
    ).values_list("tagged", "n")
    assert rows == [(hostile, 0)] * 3
    sql, params = RlAuthor.objects.annotate(tagged=Value(hostile)).sql()
    assert hostile not in sql and hostile in params


async def test_review_findings_grouping_ordering_and_types(db):
    from aksara.query.aggregates import StringAgg

    ada, bo, _, _ = await blog()
    # Re-selecting after a grouped annotate keeps the grouping.
    grouped = RlPost.objects.values("author").annotate(n=Count("id"))
    assert sorted(await grouped.values_list("n", flat=True)) == [1, 3]
    assert await grouped.count() == 2
    first = await grouped.first()
    assert first is not None and first["n"] in (1, 3)
    # Grouped by a join path, ordered by it.
    by_name = RlPost.objects.values("author__name").annotate(n=Count("id")).order_by("author__name")
    assert await by_name == [{"author__name": "Ada", "n": 3}, {"author__name": "Bo", "n": 1}]
    # Counts compared with big numbers: bigints.
    assert await RlAuthor.objects.annotate(n=Count("posts")).filter(n__lt=2**40).count() == 3
    many = Note.objects.values("title").annotate(s=Sum("rank")).filter(s__gt=2**31)
    assert await many == []
    # Ordering by an annotation named like a joined column.
    rows = (
        await RlPost.objects.select_related("author")
        .annotate(email=Count("tags"))
        .order_by("-email", "title")
    )
    assert [(p.title, p.email) for p in rows] == [("a1", 2), ("a2", 1), ("a3", 0), ("b1", 0)]
    # Float arithmetic compares as floats.
    scaled = RlPost.objects.annotate(x=F("rank") * 1.5).filter(x__gt=7.6)
    assert [p.title for p in await scaled] == ["a2"]
    # DISTINCT string aggregates ordered by their own field.
    joined = await RlAuthor.objects.annotate(
        s=StringAgg("posts__title", ",", distinct=True, ordering="-title")
    ).get(name="Ada")
    assert joined.s == "a3,a2,a1"
    with pytest.raises(QueryError, match="ordered by the aggregated field only"):
        StringAgg("posts__title", ",", distinct=True, ordering="rank")
    with pytest.raises(QueryError, match="cannot lock rows"):
        grouped.select_for_update()
    from aksara.query.functions import RowNumber, Window

    with pytest.raises(QueryError, match="cannot lock rows"):
        RlPost.objects.annotate(n=Window(RowNumber())).select_for_update()
    with pytest.raises(QueryError, match="narrowed queryset"):
        await RlAuthor.objects.annotate(n=Count("posts")).raw("SELECT * FROM rl_author")
    assert await RlAuthor.objects.exclude().count() == 3


async def test_review_findings_sliced_values_and_fetch_with_count(db):
    await blog()
    with pytest.raises(QueryError, match="not among the selected fields"):
        await RlPost.objects.values("author__id")[:10].aggregate(n=Count("id", distinct=True))
    rows, total = (
        await RlPost.objects.select_related("author")
        .annotate(n=Count("tags"))
        .order_by("title")
        .fetch_with_count()
    )
    assert total == 4 and [(p.title, p.n, p.author.name) for p in rows][0] == ("a1", 2, "Ada")
    plain_rows, _ = (
        await RlPost.objects.annotate(n=Count("tags")).order_by("title").fetch_with_count()
    )
    from aksara.state import is_whole

    assert is_whole(plain_rows[0]) and plain_rows[0].n == 2


def test_unknown_names_are_field_errors_with_the_choices():
    from aksara.exceptions import FieldError

    with pytest.raises(FieldError) as caught:
        RlAuthor.objects.annotate(n=Count("postz"))
    error = caught.value
    assert (error.model, error.name) == ("RlAuthor", "postz")
    assert "posts" in error.choices and "name" in error.choices
    assert isinstance(error, QueryError)


async def test_grouped_aggregates_over_multi_valued_relations_do_not_multiply(db):
    ada, bo, _, _ = await blog()
    rows = await (
        RlPost.objects.values("author")
        .annotate(
            n_tags=Count("tags"),
            n_comments=Count("comments"),
            red=Count("tags", filter=Q(tags__name="red")),
            posts=Count("id"),
        )
        .order_by("author__name")
    )
    assert rows == [
        {"author_id": ada.id, "n_tags": 3, "n_comments": 3, "red": 2, "posts": 3},
        {"author_id": bo.id, "n_tags": 0, "n_comments": 0, "red": 0, "posts": 1},
    ]
    expected = await plain(
        "SELECT p.author_id,"
        " (SELECT count(*) FROM rl_post_tags j JOIN rl_post q ON q.id = j.rl_post_id"
        "  WHERE q.author_id = p.author_id),"
        " (SELECT count(*) FROM rl_comment c JOIN rl_post q ON q.id = c.post_id"
        "  WHERE q.author_id = p.author_id)"
        " FROM rl_post p GROUP BY p.author_id"
    )
    assert sorted((r["author_id"], r["n_tags"], r["n_comments"]) for r in rows) == sorted(expected)
    # The outer WHERE applies: only the rows of the group that pass it count.
    ranked = await RlPost.objects.filter(rank__gte=5).values("author").annotate(c=Count("comments"))
    assert ranked == [{"author_id": ada.id, "c": 3}]


async def test_grouped_row_aggregates_take_filter_and_ordering(db):
    from aksara.query.aggregates import StringAgg

    ada, bo, _, _ = await blog()
    rows = await (
        RlPost.objects.values("author")
        .annotate(
            high=Count("id", filter=Q(rank__gte=5)),
            titles=StringAgg("title", ",", ordering="-rank"),
        )
        .order_by("author__name")
    )
    assert rows == [
        {"author_id": ada.id, "high": 2, "titles": "a2,a1,a3"},
        {"author_id": bo.id, "high": 0, "titles": "b1"},
    ]


async def test_aggregates_over_one_relation_join_it_once(db):
    from aksara.query.aggregates import ArrayAgg, StringAgg

    ada, bo, cy, _ = await blog()
    qs = RlAuthor.objects.annotate(
        n=Count("posts"),
        high=Count("posts", filter=Q(posts__rank__gte=5)),
        total=Sum("posts__rank"),
        titles=StringAgg("posts__title", ",", ordering="title"),
        ranks=ArrayAgg("posts__rank", ordering="-rank"),
        twice=Count("posts") * 2,
    ).order_by("name")
    sql, _ = qs.sql()
    assert "LEFT OUTER JOIN rl_post" in sql and "GROUP BY rl_author.id" in sql
    assert sql.count("SELECT") == 1
    rows = [(a.name, a.n, a.high, a.total, a.titles, a.ranks, a.twice) for a in await qs]
    assert rows == [
        ("Ada", 3, 2, 13, "a1,a2,a3", [7, 5, 1], 6),
        ("Bo", 1, 0, 4, "b1", [4], 2),
        ("Cy", 0, 0, None, None, None, 0),  # what a subquery over no rows gives
    ]
    # Conditions on the aggregates are HAVING; counting, paging and values() agree.
    busy = qs.filter(n__gte=1)
    assert [a.name for a in await busy] == ["Ada", "Bo"]
    assert await busy.count() == 2 and await busy.exists()
    assert await qs.filter(n__gte=1).values_list("name", "n") == [("Ada", 3), ("Bo", 1)]
    assert [a.name for a in await qs.order_by("-total")[:1]] == ["Cy"]  # NULLs first, as PG
    # Through a many-to-many relation: junction and target joined.
    tagged = RlPost.objects.annotate(n=Count("tags"), red=Count("tags", filter=Q(tags__name="red")))
    assert "JOIN" in tagged.sql()[0]
    assert await tagged.order_by("title").values_list("title", "n", "red") == [
        ("a1", 2, 1),
        ("a2", 1, 1),
        ("a3", 0, 0),
        ("b1", 0, 0),
    ]


async def test_aggregates_over_two_relations_stay_in_subqueries(db):
    await blog()
    qs = RlAuthor.objects.annotate(n=Count("posts"), edited=Count("edited_posts"))
    sql, _ = qs.sql()
    assert "GROUP BY" not in sql and sql.count("SELECT") == 3
    # select_related rows are not grouped either: the relation is aggregated in a subquery.
    related = RlPost.objects.select_related("author").annotate(n=Count("tags"))
    assert "GROUP BY" not in related.sql()[0]
    assert [(p.title, p.n) for p in await related.order_by("title")] == [
        ("a1", 2),
        ("a2", 1),
        ("a3", 0),
        ("b1", 0),
    ]


async def test_aggregates_take_arithmetic(db):
    ada, bo, _, _ = await blog()
    rows = await (
        RlPost.objects.values("author")
        .annotate(double=Sum("rank") * 2, spread=Max("rank") - Count("id"))
        .order_by("author__name")
    )
    assert rows == [
        {"author_id": ada.id, "double": 26, "spread": 4},
        {"author_id": bo.id, "double": 8, "spread": 3},
    ]
    with pytest.raises(QueryError, match="only aggregates"):
        RlPost.objects.values("author").annotate(x=F("rank") + Count("id"))


async def test_later_expressions_read_earlier_annotations(db):
    await blog()
    qs = RlAuthor.objects.annotate(n=Count("posts"), total=Sum("posts__rank", default=0))
    qs = qs.annotate(per_post=F("total") / Case(When(n=0, then=Value(1)), default=F("n")))
    qs = qs.annotate(double=F("n") * 2).order_by("name")
    rows = [(a.name, a.n, a.per_post, a.double) for a in await qs]
    assert rows == [("Ada", 3, 4, 6), ("Bo", 1, 4, 2), ("Cy", 0, 0, 0)]
    # values() selects a later one alone: the ones it reads are computed with it.
    assert await qs.values_list("name", "double") == [("Ada", 6), ("Bo", 2), ("Cy", 0)]
    assert await qs.filter(double__gte=2).count() == 2
    # Its parameters are counted once, however many expressions read it.
    high = RlAuthor.objects.annotate(h=Count("posts", filter=Q(posts__rank__gte=5)))
    sql, args = high.annotate(h2=F("h") + F("h")).sql()
    assert args == [5] and "$2" not in sql  # one parameter, read where each reads it
    assert [(a.h, a.h2) for a in await high.annotate(h2=F("h") + F("h"))] == [
        (2, 4),
        (0, 0),
        (0, 0),
    ]


async def test_alias_is_computed_where_used_and_never_selected(db):
    await blog()
    qs = RlAuthor.objects.alias(n=Count("posts")).filter(n__gte=1).order_by("-n")
    authors = await qs
    assert [a.name for a in authors] == ["Ada", "Bo"]
    assert not hasattr(authors[0], "n")
    assert "AS n" not in qs.sql()[0]
    assert await qs.values_list("name", flat=True) == ["Ada", "Bo"]
    assert await qs.count() == 2
    both = RlAuthor.objects.alias(n=Count("posts")).annotate(twice=F("n") * 2).order_by("name")
    assert [(a.name, a.twice) for a in await both] == [("Ada", 6), ("Bo", 2), ("Cy", 0)]
    assert await both.values() == await both.values()  # no alias among the keys
    assert "n" not in (await both.values())[0]
    unused = RlAuthor.objects.alias(n=Count("posts", filter=Q(posts__rank__gt=3)))
    assert [a.name for a in await unused] == ["Ada", "Bo", "Cy"]  # its parameter is not sent
    with pytest.raises(QueryError, match="already an annotation"):
        RlAuthor.objects.alias(n=Count("posts")).annotate(n=Count("posts"))


async def test_conditions_compare_fields_and_annotations_with_expressions(db):
    await blog()
    qs = RlAuthor.objects.annotate(n=Count("posts"), e=Count("edited_posts"))
    assert [a.name for a in await qs.filter(n__gt=F("e")).order_by("name")] == ["Ada"]
    assert [a.name for a in await qs.filter(e__lt=F("n") - 1).order_by("name")] == []
    assert [a.name for a in await qs.filter(e__gte=F("n")).order_by("name")] == ["Bo", "Cy"]
    posts = RlPost.objects.annotate(double=F("rank") * 2)
    below = posts.filter(rank__lt=F("double") - 5).order_by("title")  # a field, an annotation
    assert [p.title for p in await below] == ["a2"]
    with pytest.raises(QueryError, match="exact/gt/gte/lt/lte"):
        qs.filter(n__icontains=F("e"))
