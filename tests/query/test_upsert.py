"""Upserts: bulk_create(on_conflict=...), upsert(), and race-free get_or_create /
update_or_create, on the real database."""

import asyncio
import uuid

import pytest

import aksara
from aksara import Model, fields
from aksara.exceptions import QueryError, ValidationError
from aksara.testing import capture_queries


class UpProduct(Model):
    """A database-made key and a natural key (sku)."""

    id = fields.Integer(primary_key=True)
    sku = fields.String(max_length=20, unique=True)
    name = fields.String(max_length=50)
    price = fields.Decimal(precision=8, scale=2)
    stock = fields.Integer(default=0)


class UpLine(Model):
    """A client-made key (UUID) and a unique pair."""

    order = fields.Integer()
    line = fields.Integer()
    qty = fields.Integer(default=1)
    tags = fields.Array(base_type="text", default=list)  # no unnest(): multi-row VALUES

    class Meta:
        unique_together = [("order", "line")]


async def rows(sql, *args):
    return [tuple(r) for r in await aksara.get_database().fetch(sql, list(args))]


async def test_update_inserts_new_rows_and_updates_existing_ones(db):
    old = await UpProduct.objects.create(sku="a", name="A", price="1.00", stock=5)
    items = [
        UpProduct(sku="a", name="A2", price="2.00", stock=99),
        UpProduct(sku="b", name="B", price="3.00"),
    ]
    with capture_queries() as queries:
        result = await UpProduct.objects.bulk_create(
            items, on_conflict="update", unique_fields=["sku"], update_fields=["name", "price"]
        )
    assert len(queries) == 1 and "ON CONFLICT (sku) DO UPDATE" in queries.sql[0]
    assert result == items
    assert items[0].pk == old.pk and items[1].pk is not None and items[1].pk != old.pk
    assert all(i.is_saved for i in items)
    assert await rows("SELECT sku, name, price::text, stock FROM up_product ORDER BY sku") == [
        ("a", "A2", "2.00", 5),  # stock is not among update_fields
        ("b", "B", "3.00", 0),
    ]


async def test_update_sets_every_other_field_by_default(db):
    await UpProduct.objects.create(sku="a", name="A", price="1.00", stock=5)
    await UpProduct.objects.bulk_create(
        [UpProduct(sku="a", name="A3", price="9.99", stock=7)],
        on_conflict="update",
        unique_fields=["sku"],
    )
    assert await rows("SELECT name, price::text, stock FROM up_product") == [("A3", "9.99", 7)]


async def test_ignore_leaves_existing_rows_and_reports_the_skipped_items(db):
    await UpProduct.objects.create(sku="a", name="A", price="1.00")
    items = [
        UpProduct(sku="a", name="other", price="5.00"),
        UpProduct(sku="c", name="C", price="1"),
    ]
    await UpProduct.objects.bulk_create(items, on_conflict="ignore", unique_fields=["sku"])
    assert items[0].pk is None and not items[0].is_saved  # ignored
    assert items[1].pk is not None and items[1].is_saved
    assert await rows("SELECT sku, name FROM up_product ORDER BY sku") == [("a", "A"), ("c", "C")]


async def test_ignore_with_a_client_made_key_and_no_target(db):
    first = UpLine(order=1, line=1)
    await UpLine.objects.bulk_create([first])
    again = UpLine(order=1, line=1)
    fresh = UpLine(order=1, line=2)
    await UpLine.objects.bulk_create([again, fresh], on_conflict="ignore")
    assert again.pk is None and not again.is_saved  # an automatic key goes back to None
    assert fresh.is_saved and isinstance(fresh.pk, uuid.UUID)
    assert await UpLine.objects.count() == 2


async def test_multi_row_values_and_composite_targets(db):
    await UpLine.objects.create(order=7, line=1, qty=1, tags=["x"])
    items = [UpLine(order=7, line=1, qty=10, tags=["y"]), UpLine(order=7, line=2, qty=2)]
    with capture_queries() as queries:
        await UpLine.objects.bulk_create(
            items, on_conflict="update", unique_fields=["order", "line"], update_fields=["qty"]
        )
    assert "unnest" not in queries.sql[0] and 'ON CONFLICT ("order", line)' in queries.sql[0]
    assert await rows("SELECT line, qty, tags FROM up_line ORDER BY line") == [
        (1, 10, ["x"]),
        (2, 2, []),
    ]


async def test_batches_are_one_transaction(db):
    items = [UpProduct(sku=f"s{i}", name="n", price="1") for i in range(25)]
    with capture_queries() as queries:
        await UpProduct.objects.bulk_create(
            items, on_conflict="update", unique_fields=["sku"], batch_size=10
        )
    assert sum("ON CONFLICT" in q for q in queries.sql) == 3
    assert await UpProduct.objects.count() == 25 and all(i.pk for i in items)


async def test_bad_input_writes_nothing(db):
    with pytest.raises(ValidationError, match="item 1"):
        await UpProduct.objects.bulk_create(
            [UpProduct(sku="a", name="A", price="1"), UpProduct(sku="b", name="B", price="x")],
            on_conflict="update",
            unique_fields=["sku"],
        )
    assert await UpProduct.objects.count() == 0
    with pytest.raises(QueryError, match="no unique constraint of UpProduct covers exactly name"):
        await UpProduct.objects.bulk_create([], on_conflict="update", unique_fields=["name"])
    with pytest.raises(QueryError, match="needs unique_fields"):
        await UpProduct.objects.bulk_create([], on_conflict="update")
    with pytest.raises(QueryError, match='on_conflict is "ignore" or "update"'):
        await UpProduct.objects.bulk_create([], on_conflict="replace")
    with pytest.raises(QueryError, match="cannot be updated"):
        await UpProduct.objects.bulk_create(
            [], on_conflict="update", unique_fields=["sku"], update_fields=["id"]
        )
    with pytest.raises(aksara.exceptions.FieldError):
        await UpProduct.objects.bulk_create([], on_conflict="update", unique_fields=["nope"])
    with pytest.raises(QueryError, match="share sku"):
        await UpProduct.objects.bulk_create(
            [UpProduct(sku="a", name="A", price="1"), UpProduct(sku="a", name="B", price="1")],
            on_conflict="update",
            unique_fields=["sku"],
        )
    with pytest.raises(QueryError, match="to tell the inserted rows"):
        await UpProduct.objects.bulk_create(
            [UpProduct(sku="a", name="A", price="1")], on_conflict="ignore"
        )
    with pytest.raises(QueryError, match="go with on_conflict"):
        await UpProduct.objects.bulk_create([], unique_fields=["sku"])


async def test_upsert_is_one_statement_and_says_whether_it_created(db):
    with capture_queries() as queries:
        made, created = await UpProduct.objects.upsert(
            sku="a", defaults={"name": "A", "price": "1.50"}
        )
    assert len(queries) == 1 and created and made.pk is not None and made.is_saved
    again, created = await UpProduct.objects.upsert(sku="a", defaults={"name": "A2", "price": "2"})
    assert not created and again.pk == made.pk and again.name == "A2"
    assert str(again.price) == "2.00"  # the row as stored
    # update_fields limits what an existing row takes from the defaults.
    kept, created = await UpProduct.objects.upsert(
        sku="a", defaults={"name": "A3", "price": "3"}, update_fields=["price"]
    )
    assert not created and kept.name == "A2" and str(kept.price) == "3.00"
    with pytest.raises(QueryError, match="no unique constraint"):
        await UpProduct.objects.upsert(name="A", defaults={"price": "1"})
    with pytest.raises(ValidationError):
        await UpProduct.objects.upsert(sku="z", defaults={"name": "Z", "price": "bad"})
    assert await UpProduct.objects.count() == 1


async def test_upsert_without_defaults_returns_the_existing_row(db):
    line, created = await UpLine.objects.upsert(order=1, line=1)
    assert created
    same, created = await UpLine.objects.upsert(order=1, line=1)
    assert not created and same.pk == line.pk


async def test_fifty_concurrent_upserts_make_one_row(transactional_db):
    results = await asyncio.gather(
        *(
            UpProduct.objects.upsert(sku="race", defaults={"name": f"n{i}", "price": "1"})
            for i in range(50)
        )
    )
    assert await UpProduct.objects.filter(sku="race").count() == 1
    assert sum(created for _, created in results) == 1
    assert len({obj.pk for obj, _ in results}) == 1


async def test_fifty_concurrent_get_or_create_make_one_row_and_no_error(transactional_db):
    results = await asyncio.gather(
        *(
            UpProduct.objects.get_or_create(sku="race", defaults={"name": "n", "price": "1"})
            for _ in range(50)
        )
    )
    assert await UpProduct.objects.filter(sku="race").count() == 1
    assert sum(created for _, created in results) == 1


async def test_fifty_concurrent_update_or_create_make_one_row_and_no_error(transactional_db):
    results = await asyncio.gather(
        *(
            UpProduct.objects.update_or_create(sku="race", defaults={"name": f"n{i}", "price": "1"})
            for i in range(50)
        )
    )
    assert await UpProduct.objects.filter(sku="race").count() == 1
    assert sum(created for _, created in results) == 1
