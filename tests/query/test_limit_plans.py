"""LIMIT is written into the statement: PostgreSQL then takes its generic plan after a few
executions instead of planning the statement again each time (it cannot price a LIMIT
parameter it does not know, so a plan for the value at hand always looked cheaper)."""

from typing import Any

from aksara import Model, fields
from aksara.db import get_database
from aksara.testing import capture_queries


class LpRow(Model):
    id = fields.Integer(primary_key=True)
    level = fields.SmallInteger(db_index=True)
    text = fields.String(max_length=40)
    parent = fields.ForeignKey("self", nullable=True, related_name="children")

    class Meta:
        table_name = "lp_row"


class LpOrdered(Model):
    id = fields.Integer(primary_key=True)
    text = fields.String(max_length=40)
    doc = fields.JSON(default=dict)

    class Meta:
        table_name = "lp_ordered"
        ordering = ("text",)


async def _plans(pattern: str) -> list[dict[str, Any]]:
    sql = (
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        " WHERE statement LIKE $1"
    )
    return [dict(r) for r in await get_database().fetch(sql, [pattern])]


async def test_pages_are_planned_once_not_at_every_execution(db):
    await LpRow.objects.bulk_create([LpRow(level=i % 5, text=f"r{i}") for i in range(5000)])
    await get_database().execute("ANALYZE lp_row", [])
    pages = LpRow.objects.filter(level=1).order_by("id").select_related("parent")
    with capture_queries() as queries:
        for offset in range(10, 210, 10):
            page = await pages[offset : offset + 20]
            assert [r.text for r in page] == [
                f"r{i}" for i in range(5 * offset + 1, 5 * (offset + 20), 5)
            ]
    assert all("LIMIT 20 OFFSET $2::BIGINT" in q for q in queries.sql)
    (plans,) = await _plans("%lp_row.level = $1::SMALLINT ORDER BY lp_row.id ASC%LIMIT 20%")
    assert plans["generic_plans"] >= 10, plans


async def test_get_exists_and_a_new_page_size(db):
    rows = await LpRow.objects.bulk_create([LpRow(level=i % 5, text=f"r{i}") for i in range(200)])
    with capture_queries() as queries:
        for row in rows[:11]:
            assert (await LpRow.objects.get(id=row.id)).text == row.text
            assert await LpRow.objects.filter(level=row.level).exists()
        assert len(await LpRow.objects.order_by("id")[:7]) == 7
        assert len(await LpRow.objects.order_by("id")[5:][:3]) == 3
    assert sum(" LIMIT 2" in q for q in queries.sql) == 11
    assert sum(" LIMIT 1" in q for q in queries.sql) == 11
    assert queries.sql[-2].endswith("LIMIT 7")
    assert queries.sql[-1].endswith("LIMIT 3 OFFSET $1::BIGINT")
    (plans,) = await _plans("%FROM lp_row%WHERE lp_row.id = $1::INTEGER%LIMIT 2")
    assert plans["generic_plans"] >= 5, plans


async def test_get_runs_unordered_as_django_does(db):
    row = await LpOrdered.objects.create(text="a", doc={"k": 1})
    with capture_queries() as queries:
        got = await LpOrdered.objects.get(id=row.id)
        again = await LpOrdered.objects.order_by("-text").get(id=row.id)
    assert got.doc == again.doc == {"k": 1}
    assert not any("ORDER BY" in q for q in queries.sql)
    # no sort under the LIMIT: the JSON column is read as text
    assert all("CAST(lp_ordered.doc AS TEXT)" in q for q in queries.sql)
