"""Window functions and aggregates over windows, and conditions on them ("top 3 per
group"), checked against hand-computed values and the same query in plain SQL."""

import pytest

import aksara
from aksara import Count, F, Sum
from aksara.exceptions import QueryError
from aksara.query.functions import (
    CumeDist,
    DenseRank,
    FirstValue,
    Lag,
    Lead,
    NthValue,
    NTile,
    Rank,
    RowNumber,
    RowRange,
    ValueRange,
    Window,
)
from tests.query.models import Note

#: (title, body as the group, rank as the score)
ROWS = [
    ("a", "x", 5), ("b", "x", 9), ("c", "x", 7), ("d", "x", 9),
    ("e", "y", 1), ("f", "y", 3), ("g", "z", 4),
]  # fmt: skip


async def notes():
    await Note.objects.bulk_create([Note(title=t, body=b, rank=r) for t, b, r in ROWS])


async def plain(sql, *args):
    return [tuple(r) for r in await aksara.get_database().fetch(sql, list(args))]


async def test_ranking_functions_per_partition(db):
    await notes()
    rows = await (
        Note.objects.annotate(
            n=Window(RowNumber(), partition_by="body", order_by=("-rank", "title")),
            rk=Window(Rank(), partition_by="body", order_by="-rank"),
            dense=Window(DenseRank(), partition_by="body", order_by="-rank"),
            quarter=Window(NTile(2), order_by="title"),
            dist=Window(CumeDist(), order_by="rank"),
        )
        .order_by("title")
        .values_list("title", "n", "rk", "dense", "quarter")
    )
    assert rows == [
        ("a", 4, 4, 3, 1),
        ("b", 1, 1, 1, 1),
        ("c", 3, 3, 2, 1),
        ("d", 2, 1, 1, 1),
        ("e", 2, 2, 2, 2),
        ("f", 1, 1, 1, 2),
        ("g", 1, 1, 1, 2),
    ]
    assert rows == await plain(
        "SELECT title, row_number() OVER (PARTITION BY body ORDER BY rank DESC, title),"
        " rank() OVER (PARTITION BY body ORDER BY rank DESC),"
        " dense_rank() OVER (PARTITION BY body ORDER BY rank DESC),"
        " ntile(2) OVER (ORDER BY title) FROM note ORDER BY title"
    )


async def test_aggregates_offsets_and_frames(db):
    await notes()
    rows = await (
        Note.objects.filter(body="x")
        .annotate(
            running=Window(Sum("rank"), order_by="title", frame=RowRange(None, 0)),
            moving=Window(Sum("rank"), order_by="title", frame=RowRange(-1, 1)),
            total=Window(Sum("rank")),
            n=Window(Count("id")),
            before=Window(Lag("rank"), order_by="title"),
            after=Window(Lead("rank", 1, 0), order_by="title"),
            top=Window(FirstValue("title"), order_by="-rank"),
            second=Window(NthValue("title", 2), order_by="title", frame=ValueRange(None, None)),
        )
        .order_by("title")
    )
    got = [(r.title, r.running, r.moving, r.total, r.n, r.before, r.after, r.second) for r in rows]
    assert got == [
        ("a", 5, 14, 30, 4, None, 9, "b"),
        ("b", 14, 21, 30, 4, 5, 7, "b"),
        ("c", 21, 25, 30, 4, 9, 9, "b"),
        ("d", 30, 16, 30, 4, 7, 0, "b"),
    ]
    assert {r.top for r in rows} <= {"b", "d"}
    assert [tuple(x[1:4]) for x in got] == await plain(
        "SELECT sum(rank) OVER (ORDER BY title ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),"
        " sum(rank) OVER (ORDER BY title ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING),"
        " sum(rank) OVER () FROM note WHERE body = 'x' ORDER BY title"
    )


async def test_top_n_per_group_filters_around_the_window(db):
    await notes()
    top = (
        Note.objects.annotate(
            place=Window(RowNumber(), partition_by="body", order_by=("-rank", "title"))
        )
        .filter(place__lte=2)
        .order_by("body", "place")
    )
    assert [(n.body, n.title, n.place) for n in await top] == [
        ("x", "b", 1),
        ("x", "d", 2),
        ("y", "f", 1),
        ("y", "e", 2),
        ("z", "g", 1),
    ]
    assert await top.count() == 5
    assert await top.values_list("title", flat=True) == ["b", "d", "f", "e", "g"]
    assert [n.title for n in await top[1:3]] == ["d", "f"]
    # Field conditions stay inside: the window is computed over the rows they keep.
    inner = (
        Note.objects.filter(rank__lt=9)
        .annotate(place=Window(RowNumber(), partition_by="body", order_by="-rank"))
        .filter(place=1)
        .order_by("body")
    )
    assert [n.title for n in await inner] == ["c", "f", "g"]
    sql, _ = top.sql()
    assert "AS windowed" in sql and "row_number() OVER" in sql


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Window(F("rank")), "takes a window function or an aggregate"),
        (lambda: Window(RowNumber(), order_by=3), "takes field names"),
        (lambda: Note.objects.annotate(w=Window(RowNumber(), order_by="nope")), "has no field"),
        (lambda: Note.objects.annotate(w=Window(Sum("rank", default=0))), "not supported"),
        (lambda: NTile(0), "positive number"),
        (lambda: RowRange("-1", 0), "integers or None"),
    ],
)
def test_bad_windows_are_refused(make, message):
    with pytest.raises(QueryError, match=message):
        make()
