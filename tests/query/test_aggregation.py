"""aggregate() with every aggregate, filter= (FILTER (WHERE ...)) and default= (COALESCE),
each result checked against hand-computed values and the same query in plain SQL."""

import statistics
from decimal import Decimal

import pytest

import aksara
from aksara import Count, Q, Sum
from aksara.exceptions import QueryError
from aksara.query.aggregates import (
    ArrayAgg,
    Avg,
    BoolAnd,
    BoolOr,
    JSONBAgg,
    Max,
    Min,
    StdDev,
    StringAgg,
    Variance,
)
from tests.query.models import Author, Note

RANKS = [3, 1, 4, 1, 5, 9, 2, 6]


async def make_notes() -> None:
    await Note.objects.bulk_create(
        [Note(title=f"n{i}", body="long" if r > 3 else "", rank=r) for i, r in enumerate(RANKS)]
    )


async def sql(query: str, *args):
    return await aksara.get_database().fetchrow(query, list(args))


async def test_statistics_match_python_and_plain_sql(db):
    await make_notes()
    result = await Note.objects.aggregate(
        sd=StdDev("rank"),
        sd_sample=StdDev("rank", sample=True),
        var=Variance("rank"),
        var_sample=Variance("rank", sample=True),
        avg=Avg("rank"),
    )
    assert float(result["sd"]) == pytest.approx(statistics.pstdev(RANKS))
    assert float(result["sd_sample"]) == pytest.approx(statistics.stdev(RANKS))
    assert float(result["var"]) == pytest.approx(statistics.pvariance(RANKS))
    assert float(result["var_sample"]) == pytest.approx(statistics.variance(RANKS))
    plain = await sql(
        "SELECT stddev_pop(rank), stddev_samp(rank), var_pop(rank), var_samp(rank), avg(rank)"
        " FROM note"
    )
    assert list(result.values()) == list(plain)


async def test_filter_aggregates_only_the_matching_rows(db):
    await make_notes()
    result = await Note.objects.aggregate(
        big=Count("id", filter=Q(rank__gte=4)),
        big_total=Sum("rank", filter=Q(rank__gte=4) & ~Q(title="n5")),
        all=Count(),
        distinct_small=Count("rank", distinct=True, filter=Q(rank__lt=4)),
    )
    assert result == {"big": 4, "big_total": 4 + 5 + 6, "all": 8, "distinct_small": 3}
    plain = await sql(
        "SELECT count(id) FILTER (WHERE rank >= $1),"
        " sum(rank) FILTER (WHERE rank >= $1 AND NOT title = $2), count(*),"
        " count(DISTINCT rank) FILTER (WHERE rank < $3) FROM note",
        4,
        "n5",
        4,
    )
    assert list(result.values()) == list(plain)
    # The queryset's own filter and the aggregate's: parameters numbered in order.
    narrowed = await Note.objects.filter(body="long").aggregate(
        n=Count("id", filter=Q(rank__lt=6)), top=Max("rank", filter=Q(title__startswith="n"))
    )
    assert narrowed == {"n": 2, "top": 9}


async def test_default_replaces_null_when_nothing_is_aggregated(db):
    await make_notes()
    empty = Note.objects.filter(rank__gt=100)
    assert await empty.aggregate(total=Sum("rank"), low=Min("rank")) == {
        "total": None,
        "low": None,
    }
    result = await empty.aggregate(
        total=Sum("rank", default=0),
        titles=ArrayAgg("title", default=[]),
        joined=StringAgg("title", ", ", default=""),
        docs=JSONBAgg("title", default=[]),
    )
    assert result == {"total": 0, "titles": [], "joined": "", "docs": []}
    filtered = await Note.objects.aggregate(n=Sum("rank", filter=Q(rank__gt=100), default=-1))
    assert filtered == {"n": -1}


async def test_ordered_aggregates_and_booleans(db):
    await make_notes()
    result = await Note.objects.filter(rank__lte=3).aggregate(
        titles=ArrayAgg("title", ordering=("-rank", "title")),
        ranks=ArrayAgg("rank", distinct=True, ordering="rank"),
        joined=StringAgg("title", " | ", ordering=["title"]),
        docs=JSONBAgg("rank", ordering=("rank",)),
    )
    assert result["titles"] == ["n0", "n6", "n1", "n3"]
    assert result["ranks"] == [1, 2, 3]
    assert result["joined"] == "n0 | n1 | n3 | n6"
    assert result["docs"] == [1, 1, 2, 3]
    plain = await sql(
        "SELECT array_agg(title ORDER BY rank DESC, title), string_agg(title, ' | ' ORDER BY"
        " title) FROM note WHERE rank <= 3"
    )
    assert [result["titles"], result["joined"]] == list(plain)


async def test_bool_and_bool_or(db):
    await Author.objects.create(name="Ada", email="ada@example.com", active=True)
    await Author.objects.create(name="Bo", email="bo@example.com", active=False)
    assert await Author.objects.aggregate(every=BoolAnd("active"), some=BoolOr("active")) == {
        "every": False,
        "some": True,
    }
    assert await Author.objects.aggregate(every=BoolAnd("active", filter=Q(name="Ada"))) == {
        "every": True
    }
    none = await Author.objects.aggregate(every=BoolAnd("active", filter=Q(name="Cy")))
    assert none == {"every": None}


async def test_the_delimiter_and_defaults_are_parameters(db):
    await make_notes()
    hostile = "'); DROP TABLE note; --"
    result = await Note.objects.filter(rank=1).aggregate(
        joined=StringAgg("title", hostile, ordering="title"),
        fallback=StringAgg("body", hostile, filter=Q(rank__gt=100), default=hostile),
    )
    assert result == {"joined": f"n1{hostile}n3", "fallback": hostile}
    assert await Note.objects.count() == 8
    sql_text, _ = Note.objects.filter(rank=1).sql()
    assert hostile not in sql_text


async def test_plans_are_shared_by_shape_not_by_value(db):
    await make_notes()

    def plans():
        return {k for k in Note._meta.plans if k[0] == "aggregate"}

    first = await Note.objects.aggregate(
        n=Count("id", filter=Q(rank__gte=4)), s=Sum("rank", default=0)
    )
    before = plans()
    second = await Note.objects.aggregate(
        n=Count("id", filter=Q(rank__gte=9)), s=Sum("rank", default=7)
    )
    assert (first["n"], second["n"]) == (4, 1)
    assert plans() == before


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Note.objects.aggregate(x=Sum("nope")), "has no field"),
        (lambda: Note.objects.aggregate(x=ArrayAgg("title", ordering=["nope"])), "has no field"),
        (lambda: Note.objects.aggregate(x=Count("id", filter={"rank": 1})), "takes a Q object"),
        (lambda: Note.objects.aggregate(x=StringAgg("title", 3)), "takes a string"),
        (lambda: Note.objects.aggregate(x=BoolOr("rank")), "needs a Boolean field"),
        (
            lambda: Note.objects.order_by("id")[:2].aggregate(x=Count("id", filter=Q(rank=1))),
            "sliced or distinct",
        ),
    ],
)
async def test_bad_aggregates_are_refused_before_any_sql(db, make, message):
    with pytest.raises(QueryError, match=message):
        await make()


async def test_sliced_querysets_still_aggregate_their_rows(db):
    await make_notes()
    top = Note.objects.order_by("-rank")[:3]
    assert await top.aggregate(total=Sum("rank"), avg=Avg("rank")) == {
        "total": 9 + 6 + 5,
        "avg": Decimal("6.6666666666666667"),
    }
