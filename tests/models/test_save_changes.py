"""What ``save()`` of a loaded instance writes: the changed columns, with the key it was
loaded with, and what it remembers afterwards (``aksara.query._updates``)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

import aksara
from aksara import Model, fields
from aksara.exceptions import DatabaseError, FieldError
from aksara.query.expressions import F
from aksara.testing import capture_queries


class ScOwner(Model):
    id = fields.Integer(primary_key=True)  # made by the database on insert
    name = fields.String(max_length=40)


class ScCounter(Model):
    title = fields.String(max_length=40)
    views = fields.Integer(default=0)

    def clean(self) -> None:
        if self.title == "bump":  # an expression set after the fields were checked
            self.views = F("views") + 1


class ScItem(Model):
    owner = fields.ForeignKey(
        ScOwner, on_delete=aksara.CASCADE, nullable=True, related_name="items"
    )
    label = fields.String(max_length=40)
    price = fields.Decimal(precision=8, scale=2, default=Decimal("1.50"))
    doc = fields.JSON(default=dict)
    tags = fields.Array(base_type="text", default=list)
    touched = fields.DateTime(auto_now=True)


async def _loaded(**values: object) -> ScItem:
    made = await ScItem.objects.create(label="a", **values)
    return await ScItem.objects.get(pk=made.pk)


async def test_only_the_changed_columns_are_written_with_the_loaded_key(db):
    await aksara.create_all()
    item = await _loaded()
    item.label = "b"
    item.price = Decimal("2.25")
    with capture_queries() as queries:
        await item.save()
    ((sql, args),) = queries.statements
    assert sql.startswith("UPDATE sc_item SET label=$1::VARCHAR, price=$2")
    assert "doc" not in sql and "tags" not in sql and "touched=" in sql
    assert args[0] == "b" and args[-1] == item.pk
    fresh = await ScItem.objects.get(pk=item.pk)
    assert (fresh.label, fresh.price) == ("b", Decimal("2.25"))
    # What was written is what the instance remembers: only auto_now is written again.
    with capture_queries() as queries:
        await item.save()
    assert "label" not in queries.sql[0] and "touched=" in queries.sql[0]


async def test_in_place_changes_after_a_save_are_changes_again(db):
    await aksara.create_all()
    item = await _loaded(doc={"a": [1]}, tags=["x"])
    item.doc["a"].append(2)
    await item.save()
    item.doc["a"].append(3)  # the snapshot taken at save() is a copy
    item.tags.append("y")
    await item.save()
    fresh = await ScItem.objects.get(pk=item.pk)
    assert fresh.doc == {"a": [1, 2, 3]} and fresh.tags == ["x", "y"]


async def test_update_fields_leave_other_changes_for_the_next_save(db):
    await aksara.create_all()
    item = await _loaded()
    item.label = "later"
    item.price = Decimal("3.00")
    for _ in range(2):  # the second call takes the columns remembered for these names
        with capture_queries() as queries:
            await item.save(update_fields=["price"])
        assert queries.sql[0].startswith("UPDATE sc_item SET price=")
    assert (await ScItem.objects.get(pk=item.pk)).label == "a"
    await item.save()
    assert (await ScItem.objects.get(pk=item.pk)).label == "later"
    for _ in range(2):  # an unknown name is refused every time
        with pytest.raises(FieldError):
            await item.save(update_fields=["nope"])


async def test_a_key_assigned_before_its_object_was_saved_is_written(db):
    await aksara.create_all()
    item = await _loaded()
    owner = ScOwner(name="o")
    item.owner = owner  # no key yet: the column is unset until the owner has one
    assert "owner_id" not in vars(item)
    await owner.save()
    await item.save()
    assert (await ScItem.objects.get(pk=item.pk)).owner_id == owner.pk
    assert item.owner_id == owner.pk


async def test_a_changed_key_moves_the_row_and_a_vanished_row_is_an_error(db):
    await aksara.create_all()
    item = await _loaded()
    old, new = item.pk, uuid.uuid4()
    item.id = new
    await item.save()
    assert await ScItem.objects.filter(pk=old).count() == 0
    assert (await ScItem.objects.get(pk=new)).label == "a"
    await ScItem.objects.filter(pk=item.pk).delete()
    item.label = "gone"
    with pytest.raises(DatabaseError, match="no longer exists; nothing was updated"):
        await item.save()


async def test_a_whole_instance_and_one_loaded_in_part_write_the_same_changes(db):
    await aksara.create_all()
    whole = await _loaded()
    part = await ScItem.objects.only("label", "price").get(pk=whole.pk)
    for item in (whole, part):
        item.price = Decimal("9.99")
        with capture_queries() as queries:
            await item.save()
        assert queries.sql[0].startswith("UPDATE sc_item SET price=")
    stamp = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    part.touched = stamp  # not loaded, assigned: written (auto_now sets it anew)
    await part.save()
    assert (await ScItem.objects.get(pk=part.pk)).touched > stamp


async def test_update_fields_may_be_any_iterable(db):
    await aksara.create_all()
    item = await _loaded()
    item.label = "from a generator"
    await item.save(update_fields=(name for name in ["label"]))
    other = await _loaded()
    other.label = "from a list"
    await other.save(update_fields=["label"])  # the same names, given as a list since
    assert (await ScItem.objects.get(pk=item.pk)).label == "from a generator"
    assert (await ScItem.objects.get(pk=other.pk)).label == "from a list"


async def test_an_expression_set_by_clean_is_computed_by_the_database(db):
    await aksara.create_all()
    made = await ScCounter.objects.create(title="t", views=4)
    counter = await ScCounter.objects.get(pk=made.pk)
    counter.title = "bump"
    counter.views = 9  # replaced by clean(): views + 1
    await counter.save()
    assert counter.views == 5 and (await ScCounter.objects.get(pk=made.pk)).views == 5
