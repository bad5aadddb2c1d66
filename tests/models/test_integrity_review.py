"""Regressions from an adversarial review of upserts, constraints, versions, soft delete
and ranges: each test is a bug that was found, fixed, and must stay fixed."""

import decimal

import pytest

from aksara import Model, Q, fields
from aksara.exceptions import ConfigurationError, QueryError, ValidationError
from aksara.models import Index
from aksara.models.constraints import CheckConstraint, UniqueConstraint
from aksara.query.functions import Lower
from aksara.registry import registry
from aksara.types import Range


class IrItem(Model):
    code = fields.String(max_length=20, unique=True, nullable=True)
    name = fields.String(max_length=20, default="")
    made = fields.DateTime(auto_now_add=True)
    version = fields.Integer(default=0)
    span = fields.IntegerRange(nullable=True)
    tags = fields.Array(base_type="text", default=list)

    class Meta:
        version_field = "version"
        soft_delete = True


class IrSlugged(Model):
    title = fields.String(max_length=40)
    slug = fields.Slug(max_length=40, auto_from="title", unique=True)


class IrOwner(Model):
    name = fields.String(max_length=20)


class IrChild(Model):
    owner = fields.ForeignKey(IrOwner, on_delete="CASCADE", related_name="children")
    name = fields.String(max_length=20)

    class Meta:
        soft_delete = True


async def test_upsert_targets_the_database_rewrites_are_refused(db):
    for name in ("span", "tags"):
        with pytest.raises(QueryError, match="cannot be a conflict target"):
            await IrItem.objects.bulk_create(
                [IrItem(code="a")], on_conflict="update", unique_fields=[name]
            )


async def test_upsert_matches_keys_after_save_hooks(db):
    await IrSlugged.objects.create(title="Hello")
    again = IrSlugged(title="Hello")
    await IrSlugged.objects.bulk_create([again], on_conflict="update", unique_fields=["slug"])
    assert again.pk is not None and again.is_saved and again.slug == "hello-2"


async def test_the_default_upsert_update_keeps_creation_version_and_deletion(db):
    old = await IrItem.objects.create(code="a", name="first")
    old.name = "second"
    await old.save()
    assert old.version == 2
    await old.delete()
    made, deleted = old.made, old.deleted_at
    await IrItem.objects.bulk_create(
        [IrItem(code="a", name="third")], on_conflict="update", unique_fields=["code"]
    )
    row = await IrItem.all_objects.get(code="a")
    assert row.name == "third" and row.made == made and row.deleted_at == deleted
    assert row.version == 4  # bumped (create 1, save 2, delete 3), not reset
    await IrItem.objects.bulk_create(
        [IrItem(code="a", name="fourth")],
        on_conflict="update",
        unique_fields=["code"],
        update_fields=["name"],
    )
    assert (await IrItem.all_objects.get(code="a")).version == 5


async def test_null_keys_never_conflict(db):
    items = [IrItem(code=None, name="x"), IrItem(code=None, name="y")]
    await IrItem.objects.bulk_create(items, on_conflict="update", unique_fields=["code"])
    assert all(i.is_saved for i in items) and await IrItem.objects.count() == 2


async def test_bulk_update_moves_the_instances_version_along(db):
    item = await IrItem.objects.create(code="a")
    item.name = "b"
    await IrItem.objects.bulk_update([item], ["name"])
    assert item.version == 2
    item.name = "c"
    await item.save()  # its own next save is not stale
    assert (await IrItem.objects.get(pk=item.pk)).name == "c"


async def test_soft_deleting_an_unsaved_or_unloaded_instance(db):
    assert await IrItem(code="new").delete() == 0  # no row of its key: nothing is written
    assert await IrItem.all_objects.count() == 0
    stored = await IrItem.objects.create(code="a")
    assert await IrItem(id=stored.pk, code="a").delete() == 1
    assert await IrItem.all_objects.count() == 1 and await IrItem.objects.count() == 0


async def test_prefetch_hides_soft_deleted_rows(db):
    owner = await IrOwner.objects.create(name="o")
    await IrChild.objects.create(owner=owner, name="live")
    dead = await IrChild.objects.create(owner=owner, name="dead")
    await dead.delete()
    (loaded,) = await IrOwner.objects.prefetch_related("children")
    assert [c.name for c in loaded.children] == ["live"]


async def test_validate_constraints_compares_with_deleted_rows_too(db):
    old = await IrItem.objects.create(code="a")
    await old.delete()
    with pytest.raises(ValidationError, match="code already exists"):
        await IrItem(code="a").validate_constraints()


def _define(name, meta):
    try:
        return type(
            name,
            (Model,),
            {
                "__module__": __name__,
                "blob": fields.Binary(nullable=True),
                "data": fields.JSON(default=dict),
                "title": fields.String(max_length=9),
                "Meta": type("Meta", (), meta),
            },
        )
    finally:
        model = registry.get(name)
        if model is not None:
            registry.unregister(model)


@pytest.mark.parametrize(
    "condition",
    [~Q(blob=b"\\x41"), Q(data__x="y")],
    ids=["bytes", "json"],
)
def test_values_ddl_cannot_hold_are_refused_at_class_definition(condition):
    with pytest.raises(ConfigurationError, match="DDL"):
        _define("IrBad", {"constraints": [CheckConstraint(condition=condition, name="c")]})


def test_an_expression_index_keeps_its_operator_class():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    model = _define(
        "IrPattern",
        {"indexes": [Index(Lower("title"), opclasses=["text_pattern_ops"], name="title_pattern")]},
    )
    (index,) = [i for i in model._meta.table.indexes if i.name == "title_pattern"]
    ddl = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
    assert "lower(title) text_pattern_ops" in ddl
    assert UniqueConstraint  # imported for the module's readers


async def test_decimal_ranges_keep_their_digits(db):
    class IrPrice(Model):
        band = fields.DecimalRange()

    try:
        value = fields.DecimalRange().to_python((decimal.Decimal("1.5"), 2))
        assert value == Range(decimal.Decimal("1.5"), decimal.Decimal("2"))
        assert str(value.upper) == "2"
    finally:
        registry.unregister(IrPrice)


class IrSku(Model):
    sku = fields.String(max_length=20)
    name = fields.String(max_length=20, default="")
    region = fields.String(max_length=5, default="eu")

    class Meta:
        soft_delete = True
        constraints = [
            UniqueConstraint(
                fields=["sku"], condition=Q(deleted_at__isnull=True), name="ir_live_sku"
            ),
            UniqueConstraint(fields=["sku", "region"], name="sku_region"),
        ]


async def test_upserts_target_unique_constraints_partial_ones_too(db):
    old = await IrSku.objects.create(sku="a", name="old")
    await IrSku.objects.bulk_create(
        [IrSku(sku="a", name="new", region="us")], on_conflict="update", unique_fields=["sku"]
    )
    assert (await IrSku.objects.get(sku="a")).name == "new"  # ON CONFLICT (sku) WHERE live
    await old.refresh_from_db()
    await old.delete()
    fresh = IrSku(sku="a", name="again", region="fr")
    await IrSku.objects.bulk_create([fresh], on_conflict="update", unique_fields=["sku"])
    assert fresh.pk != old.pk and await IrSku.all_objects.count() == 2  # the deleted row stays
    made, created = await IrSku.objects.upsert(sku="b", region="eu", defaults={"name": "b"})
    assert created and made.name == "b"


def test_an_index_name_another_table_uses_is_refused():
    with pytest.raises(ConfigurationError, match="'ir_live_sku' is used by table 'ir_sku'"):
        _define("IrClash", {"indexes": [Index("title", name="ir_live_sku")]})
