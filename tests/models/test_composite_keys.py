"""Composite primary keys: Meta.primary_key = ("order", "line_no")."""

import pytest

import aksara
from aksara import Count, Model, Q, fields
from aksara.exceptions import ConfigurationError, QueryError, StaleObjectError, UniqueViolation
from aksara.query.expressions import OuterRef
from aksara.query.functions import Exists, Subquery
from aksara.testing import capture_queries


class CkOrder(Model):
    id = fields.Integer(primary_key=True)
    customer = fields.String(max_length=50)


class CkLine(Model):
    order = fields.ForeignKey(CkOrder, related_name="lines")
    line_no = fields.Integer()
    product = fields.String(max_length=50)
    quantity = fields.Integer(default=1)

    class Meta:
        primary_key = ("order", "line_no")


class CkSeat(Model):
    room = fields.String(max_length=20)
    seat = fields.Integer()
    holder = fields.String(max_length=50, nullable=True)
    version = fields.Integer(default=0)

    class Meta:
        primary_key = ("room", "seat")
        version_field = "version"


async def _lines():
    order = await CkOrder.objects.create(id=1, customer="ada")
    other = await CkOrder.objects.create(id=2, customer="bob")
    for n, product in enumerate(["tea", "cake", "jam"], start=1):
        await CkLine.objects.create(order=order, line_no=n, product=product)
    await CkLine.objects.create(order=other, line_no=1, product="bread")
    return order, other


async def test_table_has_the_composite_primary_key(db):
    sql = (
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'ck_line'::regclass AND contype = 'p'"
    )
    assert await aksara.get_database().fetchval(sql) == "PRIMARY KEY (order_id, line_no)"
    assert CkLine._meta.composite_pk and "id" not in CkLine._meta.fields


async def test_pk_is_the_tuple_and_get_by_it(db):
    await _lines()
    line = await CkLine.objects.get(pk=(1, 2))
    assert line.pk == (1, 2) and line.product == "cake"
    assert str(line) == "CkLine object ((1, 2))"
    assert line == await CkLine.objects.get(order_id=1, line_no=2)
    assert len({line, await CkLine.objects.get(pk=[1, 2])}) == 1
    assert CkLine(product="x").pk is None
    fresh = CkLine(product="x")
    fresh.pk = (2, 9)
    assert (fresh.order_id, fresh.line_no) == (2, 9)


async def test_filter_pk_in_exclude_and_order(db):
    await _lines()
    keys = [(1, 1), (1, 3), (2, 1), (9, 9)]
    found = await CkLine.objects.filter(pk__in=keys).order_by("pk")
    assert [x.pk for x in found] == [(1, 1), (1, 3), (2, 1)]
    assert await CkLine.objects.filter(pk__in=[]).count() == 0
    assert await CkLine.objects.exclude(pk=(1, 1)).count() == 3
    assert [x.pk for x in await CkLine.objects.order_by("-pk")][:2] == [(2, 1), (1, 3)]
    after = await CkLine.objects.filter(pk__gt=(1, 2)).order_by("pk")
    assert [x.pk for x in after] == [(1, 3), (2, 1)]
    assert (await CkLine.objects.first()).pk == (1, 1)
    assert (await CkLine.objects.last()).pk == (2, 1)
    assert await CkLine.objects.filter(pk=None).count() == 0


async def test_bad_keys_are_clear_errors(db):
    with pytest.raises(QueryError, match="has 2 values"):
        await CkLine.objects.get(pk=(1,))
    with pytest.raises(QueryError, match="is a tuple"):
        await CkLine.objects.get(pk=1)
    with pytest.raises(QueryError, match="invalid filter value"):
        await CkLine.objects.filter(pk__in=[(1, "x")]).count()
    with pytest.raises(QueryError, match="unsupported lookup"):
        await CkLine.objects.filter(pk__contains=(1, 2)).count()


async def test_in_bulk_is_keyed_by_tuples(db):
    await _lines()
    found = await CkLine.objects.in_bulk([(1, 2), (2, 1)])
    assert sorted(found) == [(1, 2), (2, 1)]
    assert found[(2, 1)].product == "bread"
    assert len(await CkLine.objects.in_bulk()) == 4


async def test_save_updates_the_row_of_the_key(db):
    await _lines()
    line = await CkLine.objects.get(pk=(1, 2))
    line.quantity = 5
    await line.save()
    assert await CkLine.objects.filter(quantity=5).count() == 1
    assert (await CkLine.objects.get(pk=(1, 2))).quantity == 5
    line.product = "scone"
    await line.save(update_fields=["product"])
    await line.refresh_from_db()
    assert line.product == "scone" and line.quantity == 5


async def test_delete_and_refresh(db):
    await _lines()
    line = await CkLine.objects.get(pk=(1, 3))
    assert await line.delete() == 1
    assert await CkLine.objects.count() == 3
    other = await CkLine.objects.get(pk=(1, 1))
    await CkLine.objects.filter(pk=(1, 1)).update(product="green tea")
    await other.refresh_from_db()
    assert other.product == "green tea"
    assert await CkLine.objects.filter(pk__in=[(1, 1), (2, 1)]).delete() == 2
    assert await CkLine.objects.count() == 1


async def test_duplicate_key_is_a_unique_violation(db):
    await _lines()
    with pytest.raises(UniqueViolation) as caught:
        await CkLine.objects.create(order_id=1, line_no=1, product="dup")
    assert caught.value.model == "CkLine"


async def test_reverse_relation_and_prefetch(db):
    order, _ = await _lines()
    assert [x.line_no for x in await order.lines.order_by("line_no")] == [1, 2, 3]
    orders = await CkOrder.objects.prefetch_related("lines").order_by("id")
    with capture_queries() as queries:
        assert [sorted(x.pk for x in o.lines) for o in orders] == [
            [(1, 1), (1, 2), (1, 3)],
            [(2, 1)],
        ]
    assert not queries.statements
    line = await CkLine.objects.select_related("order").get(pk=(2, 1))
    assert line.order.customer == "bob"
    assert await CkOrder.objects.filter(lines__product="jam").count() == 1


async def test_bulk_create_update_and_upsert(db):
    await CkOrder.objects.create(id=1, customer="ada")
    lines = [CkLine(order_id=1, line_no=n, product=f"p{n}") for n in range(1, 4)]
    await CkLine.objects.bulk_create(lines)
    for line in lines:
        line.quantity = 7
    assert await CkLine.objects.bulk_update(lines, ["quantity"]) == 3
    assert await CkLine.objects.filter(quantity=7).count() == 3
    with pytest.raises(QueryError, match="cannot update"):
        await CkLine.objects.bulk_update(lines, ["line_no"])
    line, created = await CkLine.objects.upsert(order_id=1, line_no=2, defaults={"product": "new"})
    assert not created and line.product == "new" and line.pk == (1, 2)
    line, created = await CkLine.objects.upsert(order_id=1, line_no=9, defaults={"product": "n"})
    assert created and line.pk == (1, 9)
    again = [
        CkLine(order_id=1, line_no=1, product="upd"),
        CkLine(order_id=1, line_no=5, product="x"),
    ]
    await CkLine.objects.bulk_create(
        again, on_conflict="update", unique_fields=["order", "line_no"], update_fields=["product"]
    )
    assert (await CkLine.objects.get(pk=(1, 1))).product == "upd"
    assert await CkLine.objects.count() == 5


async def test_optimistic_locking_with_a_composite_key(db):
    seat = await CkSeat.objects.create(room="a", seat=1)
    other = await CkSeat.objects.get(pk=("a", 1))
    seat.holder = "ada"
    await seat.save()
    other.holder = "bob"
    with pytest.raises(StaleObjectError, match=r"\(room, seat\)=\('a', 1\)"):
        await other.save()
    with pytest.raises(StaleObjectError):
        await other.delete()
    assert await seat.delete() == 1


async def test_annotate_groups_by_the_whole_key(db):
    await _lines()
    orders = await CkOrder.objects.annotate(n=Count("lines")).order_by("id")
    assert [o.n for o in orders] == [3, 1]
    lines = await CkLine.objects.filter(pk__in=[(1, 1)]).values("order_id", "line_no", "product")
    assert lines == [{"order_id": 1, "line_no": 1, "product": "tea"}]
    only = await CkLine.objects.only("product").get(pk=(1, 1))
    assert only.pk == (1, 1)


def test_definition_errors():
    with pytest.raises(ConfigurationError, match="two or more"):

        class One(Model):
            a = fields.Integer()

            class Meta:
                primary_key = ("a",)

    with pytest.raises(ConfigurationError, match="has no field 'c'"):

        class Missing(Model):
            a = fields.Integer()

            class Meta:
                primary_key = ("a", "c")

    with pytest.raises(ConfigurationError, match="nullable"):

        class Nullable(Model):
            a = fields.Integer()
            b = fields.Integer(nullable=True)

            class Meta:
                primary_key = ("a", "b")

    with pytest.raises(ConfigurationError, match="one or the other"):

        class Both(Model):
            a = fields.Integer(primary_key=True)
            b = fields.Integer()

            class Meta:
                primary_key = ("a", "b")

    with pytest.raises(ConfigurationError, match="composite primary key"):

        class PointsAtLine(Model):
            line = fields.ForeignKey(CkLine)

    with pytest.raises(ConfigurationError, match="composite primary key"):

        class Tagged(Model):
            lines = fields.ManyToMany(CkLine)

    with pytest.raises(ConfigurationError, match="CkTagging has a composite primary key"):

        class CkTagging(Model):
            a = fields.Integer()
            b = fields.Integer()
            tags = fields.ManyToMany(CkOrder)

            class Meta:
                primary_key = ("a", "b")


def test_fastapi_schemas_carry_every_key_field():
    from aksara.contrib.fastapi import schema_for

    create = schema_for(CkLine, "create")
    read = schema_for(CkLine, "read")
    update = schema_for(CkLine, "update")
    assert {"order_id", "line_no"} <= set(create.model_json_schema()["required"])
    assert {"order_id", "line_no", "product", "quantity"} <= set(read.model_fields)
    row = read.model_validate({"order_id": 1, "line_no": 2, "product": "tea", "quantity": 1})
    assert (row.order_id, row.line_no) == (1, 2)
    assert "product" in update.model_fields


async def test_agent_tools_list_and_create_but_name_no_single_key(db):
    from aksara.ai import AgentToolkit, export_tools

    names = {t["name"] for t in export_tools(CkOrder, CkLine, format="json")}
    assert {"ck_line_list", "ck_line_create"} <= names
    assert not names & {"ck_line_get", "ck_line_update", "ck_line_delete"}
    await _lines()
    toolkit = AgentToolkit([CkOrder, CkLine])
    page = await toolkit.call("ck_line_list", {"limit": 2, "offset": 2})
    # Pages are ordered by the whole key last, so they never overlap.
    assert [(i["order"], i["line_no"]) for i in page["items"]] == [(1, 3), (2, 1)]


async def test_constructor_save_and_get_or_create(db):
    await CkOrder.objects.create(id=1, customer="ada")
    line = CkLine(pk=(1, 4), product="jam")
    await line.save()
    assert (await CkLine.objects.get(pk=(1, 4))).product == "jam"
    got, created = await CkLine.objects.get_or_create(
        order_id=1, line_no=4, defaults={"product": "x"}
    )
    assert not created and got.product == "jam"
    got, created = await CkLine.objects.update_or_create(
        order_id=1, line_no=5, defaults={"product": "tea"}
    )
    assert created and got.pk == (1, 5)
    got, created = await CkLine.objects.update_or_create(
        order_id=1, line_no=5, defaults={"product": "milk"}
    )
    assert not created and (await CkLine.objects.get(pk=(1, 5))).product == "milk"


async def test_validate_constraints_checks_a_new_rows_key(db):
    from aksara.exceptions import ValidationError

    await _lines()
    duplicate = CkLine(order_id=1, line_no=1, product="tea")
    with pytest.raises(ValidationError, match="already exists"):
        await duplicate.validate_constraints()
    await CkLine(order_id=1, line_no=7, product="tea").validate_constraints()
    saved = await CkLine.objects.get(pk=(1, 1))
    await saved.validate_constraints()  # its own row is no duplicate


async def test_subqueries_raw_and_streaming(db):
    await _lines()
    teas = CkLine.objects.filter(product__in=["tea", "bread"])
    assert await CkLine.objects.filter(pk__in=teas).count() == 2
    latest = CkLine.objects.filter(order=OuterRef("order")).order_by("-line_no").values("line_no")
    last = await CkLine.objects.annotate(last=Subquery(latest[:1])).filter(pk=(1, 1)).get()
    assert last.last == 3
    same = CkLine.objects.filter(pk=OuterRef("pk"), quantity=1)
    assert await CkLine.objects.filter(Exists(same)).count() == 4
    rows = await CkLine.objects.raw("SELECT * FROM ck_line WHERE line_no = $1", [2])
    assert [r.pk for r in rows] == [(1, 2)]
    with pytest.raises(QueryError, match="columns 'order_id', 'line_no'"):
        await CkLine.objects.raw("SELECT order_id, product FROM ck_line")
    streamed = [x.pk async for x in CkLine.objects.order_by("pk").iterator(chunk_size=2)]
    assert streamed == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert await CkLine.objects.filter(Q(pk=(1, 1)) | Q(pk=(2, 1))).count() == 2


class CkSlot(Model):
    day = fields.Date()
    slot = fields.Integer()
    label = fields.String(max_length=20, default="")

    class Meta:
        primary_key = ("day", "slot")
        soft_delete = True


async def test_soft_delete_and_values_of_the_key(db):
    import datetime as dt

    day = dt.date(2026, 1, 5)
    slot = await CkSlot.objects.create(day=day, slot=1)
    await CkSlot.objects.create(day=day, slot=2)
    await slot.delete()
    assert [s.pk for s in await CkSlot.objects.all()] == [(day, 2)]
    assert await CkSlot.all_objects.count() == 2
    await slot.restore()
    assert await CkSlot.objects.count() == 2
    assert await CkSlot.objects.order_by("pk").values_list("pk", flat=True) == [(day, 1), (day, 2)]
    assert await CkSlot.objects.filter(slot=2).values("pk") == [{"pk": (day, 2)}]
    await slot.hard_delete()
    assert await CkSlot.all_objects.count() == 1


async def test_changing_a_key_field_moves_the_loaded_row(db):
    """save() and delete() name the row the instance was loaded from, never the row its
    changed key now names."""
    await _lines()
    line = await CkLine.objects.get(pk=(1, 1))
    line.line_no = 9
    line.product = "moved"
    await line.save()
    assert await CkLine.objects.filter(pk=(1, 1)).exists() is False
    assert (await CkLine.objects.get(pk=(1, 9))).product == "moved"
    assert (await CkLine.objects.get(pk=(1, 2))).product == "cake"  # untouched
    other = await CkLine.objects.get(pk=(1, 3))
    other.line_no = 2
    assert await other.delete() == 1  # the row (1, 3)
    assert sorted(x.pk for x in await CkLine.objects.all()) == [(1, 2), (1, 9), (2, 1)]
    clash = await CkLine.objects.get(pk=(1, 9))
    clash.line_no = 2
    with pytest.raises(UniqueViolation):
        async with aksara.transaction():  # a savepoint: the test's transaction goes on
            await clash.save()
    again = await CkLine.objects.get(pk=(1, 9))
    again.line_no = 7
    await again.refresh_from_db()
    assert again.pk == (1, 9)


async def test_pk_in_grouping_windows_unions_and_subqueries(db):
    from aksara import Sum
    from aksara.query.aggregates import StringAgg
    from aksara.query.functions import RowNumber, Window

    await _lines()
    grouped = await CkLine.objects.values("pk").annotate(q=Sum("quantity")).order_by("pk")
    assert grouped[0] == {"pk": (1, 1), "q": 1} and len(grouped) == 4
    first_two = (
        CkLine.objects.annotate(n=Window(RowNumber(), order_by="line_no", partition_by="order"))
        .filter(n__lte=2)
        .order_by("-pk")
    )
    assert [x.pk for x in await first_two] == [(2, 1), (1, 2), (1, 1)]
    both = CkLine.objects.filter(line_no=1).union(CkLine.objects.filter(line_no=3))
    assert [x.pk for x in await both.order_by("-pk")] == [(2, 1), (1, 3), (1, 1)]
    keys = CkLine.objects.filter(product__in=["tea", "jam"]).values("pk")
    assert await CkLine.objects.filter(pk__in=keys).count() == 2
    flat = CkLine.objects.filter(product="jam").values_list("pk", flat=True)
    assert [x.pk for x in await CkLine.objects.filter(pk__in=flat)] == [(1, 3)]
    orders = await CkOrder.objects.annotate(
        s=StringAgg("lines__product", ",", ordering="-pk")
    ).order_by("id")
    assert [o.s for o in orders] == ["jam,cake,tea", "bread"]


def test_more_definition_errors():
    with pytest.raises(ConfigurationError, match="tuple of field names"):

        class Five(Model):
            a = fields.Integer()

            class Meta:
                primary_key = 5

    with pytest.raises(ConfigurationError, match="names a field twice"):

        class Twice(Model):
            o = fields.ForeignKey(CkOrder)

            class Meta:
                primary_key = ("o", "o_id")

    with pytest.raises(ConfigurationError, match="abstract"):

        class AbstractKey(Model):
            a = fields.Integer()
            b = fields.Integer()

            class Meta:
                abstract = True
                primary_key = ("a", "b")
