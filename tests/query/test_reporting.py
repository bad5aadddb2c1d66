"""explain(), fetch_with_count() and raw() on the real database."""

import pytest

import aksara
from aksara.exceptions import QueryError
from aksara.testing import capture_queries
from tests.query.models import Author, Note


async def make_notes(n: int = 25) -> list[Note]:
    return await Note.objects.bulk_create(
        [Note(title=f"note {i:02}", rank=i % 5) for i in range(n)]
    )


# -- explain ----------------------------------------------------------------------------------


async def test_explain_gives_the_plan_of_the_querysets_own_sql(db):
    await make_notes(3)
    text = await Note.objects.filter(title="note 01").explain()
    assert isinstance(text, str) and "note" in text
    assert "Index Scan" in text or "Seq Scan" in text or "Bitmap" in text
    [document] = await Note.objects.filter(rank__gte=1).explain(format="json")
    assert document["Plan"]["Node Type"]
    analyzed = await Note.objects.all().explain(analyze=True, buffers=True, format="json")
    assert analyzed[0]["Plan"]["Actual Rows"] == 3
    assert "Execution Time" in analyzed[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "json; DROP TABLE note"}, "explain\\(format=...\\) is one of"),
        ({"analyze": "yes"}, "take True or False"),
        ({"buffers": True}, "needs analyze=True"),
    ],
)
async def test_explain_options_come_from_a_fixed_vocabulary(db, options, message):
    with pytest.raises(QueryError, match=message):
        await Note.objects.explain(**options)


# -- fetch_with_count -------------------------------------------------------------------------


async def test_fetch_with_count_gives_a_page_and_the_total_in_one_statement(db):
    await make_notes(25)
    qs = Note.objects.filter(rank__gte=1).order_by("title")
    with capture_queries() as queries:
        page, total = await qs[5:10].fetch_with_count()
    assert len(queries) == 1 and "count(*) OVER ()" in queries.sql[0]
    expected = [n.title for n in await qs][5:10]
    assert [n.title for n in page] == expected
    assert total == await qs.count() == 20
    page[0].rank = 99
    await page[0].save(update_fields=["rank"])  # instances as any other read gives them
    assert await Note.objects.filter(rank=99).count() == 1


async def test_fetch_with_count_of_values_and_of_an_empty_or_past_the_end_page(db):
    await make_notes(12)
    rows, total = (
        await Note.objects.order_by("title").values("title", "rank")[:2].fetch_with_count()
    )
    assert rows == [{"title": "note 00", "rank": 0}, {"title": "note 01", "rank": 1}]
    assert total == 12
    flat, total = (
        await Note.objects.order_by("-title").values_list("title", flat=True)[:1].fetch_with_count()
    )
    assert (flat, total) == (["note 11"], 12)
    assert await Note.objects.filter(title="none").fetch_with_count() == ([], 0)
    assert await Note.objects.order_by("title")[50:60].fetch_with_count() == ([], 12)


async def test_fetch_with_count_of_distinct_rows_counts_them_apart(db):
    await make_notes(10)
    ranks = Note.objects.values_list("rank", flat=True).distinct().order_by("rank")
    assert await ranks[:2].fetch_with_count() == ([0, 1], 5)
    assert await ranks[0:0].fetch_with_count() == ([], 5)


async def test_fetch_with_count_refuses_row_locks(db):
    async with aksara.transaction():
        with pytest.raises(QueryError, match="cannot lock rows"):
            await Note.objects.select_for_update().fetch_with_count()


# -- raw --------------------------------------------------------------------------------------


async def test_raw_makes_instances_with_the_fields_conversions(db):
    ada = await Author.objects.create(
        name="Ada", email="ada@example.com", age=36, profile={"langs": ["en"]}
    )
    await Author.objects.create(name="Grace", email="grace@example.com", age=85)
    [row] = await Author.objects.raw("SELECT * FROM author WHERE age < $1", [50])
    assert type(row) is Author and row.pk == ada.pk
    assert row.profile == {"langs": ["en"]} and row.joined == ada.joined
    row.profile["langs"].append("fr")  # in-place changes are tracked as on any instance
    await row.save()
    assert (await Author.objects.get(pk=ada.pk)).profile == {"langs": ["en", "fr"]}


async def test_raw_defers_missing_fields_and_keeps_extra_columns(db):
    ada = await Author.objects.create(name="Ada", email="ada@example.com", age=36)
    [row] = await Author.objects.raw(
        "SELECT id, name, upper(email) AS shout FROM author WHERE name = $1", ["Ada"]
    )
    assert row.name == "Ada" and row.shout == "ADA@EXAMPLE.COM"
    with pytest.raises(AttributeError):
        row.age  # noqa: B018 - deferred, as after only()
    await row.refresh_from_db()
    assert row.age == 36 and row.pk == ada.pk
    assert await Author.objects.raw("SELECT * FROM author WHERE false") == []


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT name FROM author", "must return the primary key column 'id'"),
        ("SELECT id, name, name FROM author", "returns a column name twice"),
        ("SELECT id, 1 AS save FROM author", "would hide an attribute"),
        ("SELECT id, 1 AS _loaded FROM author", "would hide an attribute"),
    ],
)
async def test_raw_refuses_rows_it_cannot_make_instances_of(db, sql, message):
    await Author.objects.create(name="Ada", email="ada@example.com")
    with pytest.raises(QueryError, match=message):
        await Author.objects.raw(sql)


async def test_raw_takes_values_as_parameters_only(db):
    await Author.objects.create(name="Ada", email="ada@example.com")
    hostile = "Ada' OR '1'='1"
    assert await Author.objects.raw("SELECT * FROM author WHERE name = $1", [hostile]) == []
    with pytest.raises(QueryError, match="as a list or tuple"):
        await Author.objects.raw("SELECT * FROM author WHERE name = $1", "Ada")
    with pytest.raises(QueryError, match="not a narrowed queryset"):
        await Author.objects.filter(name="Ada").raw("SELECT * FROM author")


# -- values_list(named=True), distinct(*fields) -------------------------------------------------


async def test_named_rows(db):
    await make_notes(3)
    rows = await Note.objects.order_by("title").values_list("title", "rank", named=True)
    assert rows[0].title == "note 00" and rows[2].rank == 2 and tuple(rows[1]) == ("note 01", 1)
    with pytest.raises(QueryError, match="not both"):
        Note.objects.values_list("title", flat=True, named=True)


async def test_distinct_on_keeps_the_first_row_per_value(db):
    await make_notes(10)  # ranks 0..4, twice each
    best = Note.objects.distinct("rank").order_by("rank", "-title")
    rows = await best.values_list("rank", "title")
    assert rows == [(0, "note 05"), (1, "note 06"), (2, "note 07"), (3, "note 08"), (4, "note 09")]
    assert rows == [
        tuple(r)
        for r in await aksara.get_database().fetch(
            "SELECT DISTINCT ON (rank) rank, title FROM note ORDER BY rank, title DESC"
        )
    ]
    assert await best.count() == 5
    sql, _ = best.sql()
    assert "DISTINCT ON (note.rank)" in sql
    with pytest.raises(QueryError, match="has no field"):
        Note.objects.distinct("nope")
