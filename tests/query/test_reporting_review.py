"""Regressions from an adversarial review of the reporting queries: each test is a bug that
was found, fixed, and must stay fixed."""

import pytest
import sqlalchemy as sa

import aksara
from aksara import Count, F, Q, Value
from aksara.exceptions import DatabaseError, QueryError
from aksara.query import Case, Exists, OuterRef, Subquery, When
from tests.query.blog import blog
from tests.query.models import Note
from tests.relations.models import RlAuthor, RlCategory, RlPost


async def make_notes():
    await Note.objects.bulk_create([Note(title=f"t{i}", rank=i) for i in range(5)])


@pytest.mark.parametrize(
    "ordering",
    [(F("rank") + Value(100)).desc(), sa.func.abs(Note.c.rank - 100)],
    ids=["expression", "sqlalchemy"],
)
async def test_an_ordering_with_parameters_leaves_counts_and_writes_alone(db, ordering):
    await make_notes()
    qs = Note.objects.filter(rank__gt=1).order_by(ordering)
    assert await qs.count() == 3 and await qs.exists()
    assert await qs.aggregate(n=Count("id", filter=Q(rank__gt=2))) == {"n": 2}
    assert (await qs.get(title="t3")).rank == 3
    assert [n.rank for n in await qs] == [2, 3, 4] or [n.rank for n in await qs] == [4, 3, 2]
    page, total = await qs[:1].fetch_with_count()
    assert total == 3 and len(page) == 1
    assert await qs.update(body="x") == 3
    assert await qs.delete() == 3
    assert await Note.objects.count() == 2


async def test_outer_annotations_do_not_leak_into_subqueries(db):
    await blog()
    inner = RlPost.objects.filter(author=OuterRef("pk")).filter(
        Case(When(rank__gt=4, then=Value(True)), default=Value(False))
    )
    rows = await (
        RlAuthor.objects.annotate(rank=Value(0))
        .annotate(hi=Exists(inner))
        .order_by("name")
        .values_list("name", "hi")
    )
    assert rows == [("Ada", True), ("Bo", False), ("Cy", False)]
    counted = RlAuthor.objects.annotate(rank=Count("posts")).annotate(hi=Exists(inner))
    assert [a.hi for a in await counted.order_by("name")] == [True, False, False]


async def test_sqlalchemy_expressions_in_a_subquery_on_the_same_model_read_its_rows(db):
    await make_notes()
    assert await Note.objects.filter(Exists(Note.objects.filter(Note.c.rank > 3))).count() == 5
    top = Subquery(Note.objects.filter(Note.c.rank == 4).values("title"))
    assert set(await Note.objects.annotate(top=top).values_list("top", flat=True)) == {"t4"}
    per_row = Exists(Note.objects.filter(Note.c.rank > 3, title=OuterRef("title")))
    assert await Note.objects.filter(per_row).values_list("rank", flat=True) == [4]


async def test_annotations_read_by_when_conditions_and_orderings_are_computed(db):
    await blog()
    qs = RlAuthor.objects.annotate(
        n=Count("posts"), k=Case(When(n__gt=1, then=Value("many")), default=Value("few"))
    )
    assert await qs.order_by("name").values_list("name", "k") == [
        ("Ada", "many"),
        ("Bo", "few"),
        ("Cy", "few"),
    ]
    aliased = RlAuthor.objects.alias(n=Count("posts")).annotate(
        k=Case(When(n__gt=1, then=Value("many")), default=Value("few"))
    )
    assert [a.k for a in await aliased.order_by("name")] == ["many", "few", "few"]
    by_alias = RlAuthor.objects.alias(n=Count("posts")).order_by((F("n") * 2).desc(), "name")
    assert [a.name for a in await by_alias] == ["Ada", "Bo", "Cy"]
    in_values = (
        RlAuthor.objects.annotate(n=Count("posts"))
        .values("name")
        .order_by((F("n") * -1).asc(), "name")
    )
    assert [r["name"] for r in await in_values] == ["Ada", "Bo", "Cy"]


async def test_errors_while_streaming_in_a_transaction_are_aksaras(db):
    await make_notes()
    failing = Note.objects.annotate(x=Value(100) / (F("rank") - 3))
    with pytest.raises(DatabaseError, match="division by zero"):
        async with aksara.transaction():
            async for _note in failing.iterator(chunk_size=2):
                pass


async def test_only_takes_paths_that_select_related_joins_on_the_way(db):
    top = await RlCategory.objects.create(name="top")
    mid = await RlCategory.objects.create(name="mid", parent=top)
    await RlCategory.objects.create(name="leaf", parent=mid)
    qs = RlCategory.objects.select_related("parent__parent").only("name", "parent__name")
    leaf = await qs.get(name="leaf")
    assert leaf.parent.name == "mid" and leaf.parent.parent.name == "top"


async def test_tuple_in_lists_get_a_clear_error(db):
    condition = sa.tuple_(Note.c.rank, Note.c.title).in_([(1, "t1")])
    with pytest.raises(QueryError, match="tuple IN list"):
        await Note.objects.filter(condition).count()
