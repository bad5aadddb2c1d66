"""``save()`` of a loaded instance: when every value it writes passes its field's validator
expression, one generated function checks them and makes the UPDATE's arguments
(``UpdateShape.checked``); any other value takes the full validation, as before."""

import datetime as dt
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest

import aksara
from aksara import F, Model, fields
from aksara.exceptions import DatabaseError, FieldError, ValidationError
from aksara.fields.temporal import now
from aksara.query._updates import update_shape
from aksara.query.functions import Func
from aksara.testing import capture_queries


class UpdOwner(Model):
    name = fields.String(max_length=20)

    class Meta:
        table_name = "upd_owner"


class UpdItem(Model):
    title = fields.String(max_length=10)
    level = fields.Integer(default=0)
    amount = fields.Decimal(precision=6, scale=2, default=Decimal("1.50"))
    doc = fields.JSON(default=dict)
    tags = fields.Array(base_type="text", default=list)
    owner = fields.ForeignKey(UpdOwner, on_delete=aksara.CASCADE, nullable=True)
    made = fields.DateTime(auto_now_add=True)

    class Meta:
        table_name = "upd_item"


class UpdStamped(Model):
    title = fields.String(max_length=10)
    changed = fields.DateTime(auto_now=True)

    class Meta:
        table_name = "upd_stamped"


class Touched(fields.DateTime[Any]):
    """Set on every save by a pre_save() of its own."""

    def __init__(self, **options: Any) -> None:
        super().__init__(nullable=True, **options)
        vars(self)["has_pre_save"] = True

    def pre_save(self, instance: Model, add: bool) -> None:
        vars(instance)[self.name] = now()


class Created(fields.DateTime[Any]):
    """auto_now_add, filled again on an update when empty."""

    def __init__(self, **options: Any) -> None:
        super().__init__(auto_now_add=True, nullable=True, **options)

    def pre_save(self, instance: Model, add: bool) -> None:
        if add or vars(instance).get(self.name) is None:
            vars(instance)[self.name] = now()


class UpdTouched(Model):
    title = fields.String(max_length=10)
    touched = Touched()
    created = Created()

    class Meta:
        table_name = "upd_touched"


class UpdRounded(Model):
    title = fields.String(max_length=10)
    amount = fields.Decimal(precision=6, scale=2, default=Decimal("1.00"))

    class Meta:
        table_name = "upd_rounded"

    def clean(self) -> None:
        if self.title.startswith("set"):
            self.amount = Decimal("1.239")  # three places: Decimal's clean() refuses it


class UpdCleaned(Model):
    title = fields.String(max_length=10)
    note = fields.String(max_length=40, nullable=True)

    class Meta:
        table_name = "upd_cleaned"

    def clean(self) -> None:
        self.note = f"saved as {self.title}"


class Shouted(fields.String[Any]):
    """A clean() of its own, which saves skip for None (a nullable field's empty value,
    as Django skips a blank field's)."""

    def clean(self, value: Any, instance: Any = None) -> Any:
        return super().clean(value.upper(), instance)


class LockedBy(fields.String[Any]):
    """A clean() of its own that looks at the instance: refuses any value, the default
    too, of an instance titled "locked"."""

    def clean(self, value: Any, instance: Any = None) -> Any:
        if instance is not None and instance.title == "locked":
            raise ValidationError("locked", field=self.name)
        return super().clean(value, instance)


class UpdOwnClean(Model):
    title = fields.String(max_length=10)
    note = Shouted(max_length=10, nullable=True)
    code = LockedBy(max_length=5, default="ok")

    class Meta:
        table_name = "upd_own_clean"


class UpdRanked(Model):
    title = fields.String(max_length=10)
    rank = fields.Integer(db_default=5)
    shout = Shouted(max_length=10, nullable=True)

    class Meta:
        table_name = "upd_ranked"


class UpdKeyed(Model):
    id = fields.UUID(
        primary_key=True, db_default=Func(function="gen_random_uuid", output_field=fields.UUID())
    )
    title = fields.String(max_length=10)

    class Meta:
        table_name = "upd_keyed"


async def _loaded(**values: Any) -> UpdItem:
    made = await UpdItem.objects.create(title="t", **values)
    return await UpdItem.objects.get(id=made.id)


def _updates(queries: Any) -> list[tuple[str, Any]]:
    return [(sql, list(args)) for sql, args in queries.statements if sql.startswith("UPDATE")]


async def test_clean_values_are_written_without_the_full_validation(db):
    obj = await _loaded()
    assert update_shape(UpdItem, ("level",)).checked is not None
    with mock.patch.object(UpdItem, "_clean_fields", autospec=True) as clean_fields:
        with capture_queries() as queries:
            obj.level = 5
            await obj.save(update_fields=["level"])
            obj.title = "renamed"
            obj.amount = Decimal("3.25")
            await obj.save()
            await obj.save()  # nothing changed since
    assert clean_fields.call_count == 0
    (first, first_args), (second, second_args) = _updates(queries)
    assert first.startswith("UPDATE upd_item SET level=$1::INTEGER WHERE") and first_args == [
        5,
        obj.id,
    ]
    assert second.startswith(
        "UPDATE upd_item SET title=$1::VARCHAR, amount=$2::NUMERIC(6, 2) WHERE"
    )
    assert second_args == ["renamed", Decimal("3.25"), obj.id]
    fresh = await UpdItem.objects.get(id=obj.id)
    assert (fresh.level, fresh.title, fresh.amount) == (5, "renamed", Decimal("3.25"))
    # A document other than the default is checked by its clean(); so is a change in place.
    obj.doc["a"] = [1]
    await obj.save()
    obj.doc["a"].append(2)  # the snapshot is a copy: an in-place change is one
    with capture_queries() as queries:
        await obj.save()
    assert len(_updates(queries)) == 1
    assert (await UpdItem.objects.get(id=obj.id)).doc == {"a": [1, 2]}


async def test_values_that_need_clean_are_cleaned(db):
    obj = await _loaded()
    obj.amount = "2.25"
    obj.tags = ("x", "y")
    await obj.save()
    assert obj.amount == Decimal("2.25") and obj.tags == ["x", "y"]
    fresh = await UpdItem.objects.get(id=obj.id)
    assert fresh.amount == Decimal("2.25") and fresh.tags == ["x", "y"]
    with capture_queries() as queries:
        await obj.save()
    assert queries.sql == []


async def test_bad_values_are_refused_and_nothing_is_written(db):
    obj = await _loaded(level=3)
    obj.level = 4
    obj.title = "x" * 20
    with capture_queries() as queries, pytest.raises(ValidationError) as caught:
        await obj.save()
    assert caught.value.model == "UpdItem" and set(caught.value.errors) == {"title"}
    obj.title = "t"
    obj.level = "many"
    with pytest.raises(ValidationError) as caught:
        await obj.save(update_fields=["level"])
    assert set(caught.value.errors) == {"level"}
    obj.doc = {"a": object()}
    with pytest.raises(ValidationError) as caught:
        await obj.save(update_fields=["doc"])
    assert set(caught.value.errors) == {"doc"}
    assert queries.sql == []
    fresh = await UpdItem.objects.get(id=obj.id)
    assert (fresh.level, fresh.title, fresh.doc) == (3, "t", {})


async def test_an_f_expression_is_computed_by_the_database(db):
    obj = await _loaded(level=3)
    obj.level = F("level") + 2
    await obj.save(update_fields=["level"])
    assert obj.level == 5 and (await UpdItem.objects.get(id=obj.id)).level == 5
    obj.level = F("level") * 2
    await obj.save()
    assert obj.level == 10


async def test_update_fields_name_fields_and_relations(db):
    owner = await UpdOwner.objects.create(name="o")
    obj = await _loaded()
    obj.owner = owner
    obj.level = 9
    with capture_queries() as queries:
        await obj.save(update_fields=(name for name in ["owner"]))  # any iterable
        await obj.save(update_fields=[])
    [(sql, args)] = _updates(queries)
    assert sql.startswith("UPDATE upd_item SET owner_id=$1::UUID WHERE") and args[0] == owner.id
    fresh = await UpdItem.objects.get(id=obj.id)
    assert fresh.owner_id == owner.id and fresh.level == 0
    with pytest.raises(FieldError):
        await obj.save(update_fields=["nothing"])
    obj.owner = UpdOwner(name="unsaved")
    with pytest.raises(ValidationError) as caught:
        await obj.save()
    assert "owner" in caught.value.errors


async def test_a_row_deleted_since_it_was_loaded(db):
    obj = await _loaded()
    await UpdItem.objects.filter(id=obj.id).delete()
    obj.level = 1
    with pytest.raises(DatabaseError, match="no longer exists; nothing was updated"):
        await obj.save(update_fields=["level"])
    with pytest.raises(DatabaseError, match="no longer exists"):
        await obj.save()


async def test_a_clean_of_the_model_runs_however_it_was_given(db, monkeypatch):
    cleaned = await UpdCleaned.objects.create(title="a")
    cleaned.title = "b"
    await cleaned.save()
    assert (await UpdCleaned.objects.get(id=cleaned.id)).note == "saved as b"
    obj = await _loaded()
    seen: list[str] = []

    def patched(self: Model) -> None:
        seen.append(type(self).__name__)

    for target in (UpdItem, aksara.Model):
        monkeypatch.setattr(target, "clean", patched)
        obj.level += 1
        await obj.save(update_fields=["level"])
        monkeypatch.undo()
    obj.clean = lambda: seen.append("instance")  # type: ignore[method-assign]
    obj.level += 1
    await obj.save()
    assert seen == ["UpdItem", "UpdItem", "instance"]


async def test_auto_now_is_set_on_every_update_and_auto_now_add_kept(db):
    stamped = await UpdStamped.objects.create(title="a")
    before = stamped.changed
    loaded = await UpdStamped.objects.get(id=stamped.id)
    loaded.title = "b"
    await loaded.save()
    assert loaded.changed > before
    assert (await UpdStamped.objects.get(id=stamped.id)).changed == loaded.changed
    obj = await _loaded()
    made = obj.made
    obj.level = 2
    await obj.save()
    assert obj.made == made and (await UpdItem.objects.get(id=obj.id)).made == made
    assert isinstance(made, dt.datetime)


async def test_a_pre_save_of_a_datetime_subclass_runs_on_updates(db):
    made = await UpdTouched.objects.create(title="t")
    await UpdTouched.objects.filter(id=made.id).update(created=None)
    obj = await UpdTouched.objects.get(id=made.id)
    first = obj.touched
    obj.title = "u"
    await obj.save()
    fresh = await UpdTouched.objects.get(id=obj.id)
    assert fresh.touched > first and fresh.created is not None


async def test_a_value_the_model_clean_sets_is_cleaned_changed_or_not(db):
    for amount in (None, Decimal("2.00")):
        made = await UpdRounded.objects.create(title="t")
        obj = await UpdRounded.objects.get(id=made.id)
        obj.title = "set"
        if amount is not None:
            obj.amount = amount
        with capture_queries() as queries, pytest.raises(ValidationError) as caught:
            await obj.save()
        assert set(caught.value.errors) == {"amount"} and queries.sql == []
        with pytest.raises(ValidationError):
            await obj.save(update_fields=["title", "amount"])
    assert {o.amount for o in await UpdRounded.objects.all()} == {Decimal("1.00")}


async def test_delete_names_the_row_by_the_key_it_was_loaded_with(db):
    kept = await _loaded(level=1)
    moved = await _loaded(level=2)
    loaded_id = moved.id
    moved.id = kept.id  # changed since the load: the loaded row is the one deleted
    with capture_queries() as queries:
        assert await moved.delete() == 1
    [(sql, args)] = queries.statements
    assert sql.startswith("DELETE FROM upd_item WHERE") and list(args) == [loaded_id]
    assert [o.id for o in await UpdItem.objects.all()] == [kept.id]
    assert moved._loaded is None
    part = await UpdItem.objects.only("title").get(id=kept.id)
    assert await part.delete() == 1 and await UpdItem.objects.count() == 0
    again = await UpdItem.objects.create(title="n")
    assert await UpdItem(id=str(again.id), title="n").delete() == 1  # never loaded, key as text
    assert await UpdItem.objects.count() == 0


async def test_a_field_clean_of_its_own_runs_for_the_default_not_for_none(db):
    made = await UpdOwnClean.objects.create(title="a", note="x")
    assert (made.note, made.code) == ("X", "ok")
    await UpdOwnClean.objects.create(title="a")
    await UpdOwnClean.objects.bulk_create([UpdOwnClean(title="b")])
    await UpdOwnClean.objects.bulk_create([UpdOwnClean(title=f"c{i}") for i in range(80)])
    assert await UpdOwnClean.objects.filter(note__isnull=True).count() == 82
    loaded = await UpdOwnClean.objects.get(id=made.id)
    loaded.note = "y"
    await loaded.save()
    assert await UpdOwnClean.objects.values_list("note", flat=True).get(id=made.id) == "Y"
    loaded.note = None
    await loaded.save()
    assert await UpdOwnClean.objects.values_list("note", flat=True).get(id=made.id) is None
    before = await UpdOwnClean.objects.count()
    with pytest.raises(ValidationError) as info:
        await UpdOwnClean.objects.create(title="locked")
    assert "code" in info.value.errors
    with pytest.raises(ValidationError):
        await UpdOwnClean.objects.bulk_create([UpdOwnClean(title="locked") for _ in range(80)])
    loaded.title = "locked"
    with pytest.raises(ValidationError):
        await loaded.save(update_fields=["title", "code"])
    assert await UpdOwnClean.objects.count() == before
    assert await UpdOwnClean.objects.filter(title="locked").count() == 0


async def test_none_for_a_db_default_column_writes_the_default(db):
    made = await UpdRanked.objects.create(title="a", rank=7)
    loaded = await UpdRanked.objects.get(id=made.id)
    loaded.rank = None  # NOT NULL with a server default: the UPDATE writes DEFAULT
    with capture_queries() as queries:
        await loaded.save()
    assert loaded.rank == 5 and "DEFAULT" in _updates(queries)[0][0]
    assert await UpdRanked.objects.values_list("rank", flat=True).get(id=made.id) == 5
    loaded.rank = 8
    await loaded.save()
    loaded.rank = None
    await loaded.save(update_fields=["rank"])
    made.rank = None
    made.title = "b"
    await made.save()
    assert (made.rank, loaded.rank) == (5, 5)
    made.rank, made.title = None, "far too long"
    with pytest.raises(ValidationError):
        await made.save()
    assert made.rank is None  # as it was given, after a failed save()
    made.rank, made.title = 9, "b"
    await made.save()
    assert await UpdRanked.objects.values_list("rank", flat=True).get(id=made.id) == 9
    # bulk_update() sends values: None is refused there, and nothing is written.
    other = await UpdRanked.objects.create(title="c", rank=3)
    other.rank, made.rank = 4, None
    with pytest.raises(ValidationError) as info:
        await UpdRanked.objects.bulk_update([other, made], ["rank"])
    assert info.value.model == "UpdRanked" and "save()" in info.value.errors["rank"][0]
    assert made.rank is None
    ranks = UpdRanked.objects.filter(id__in=[made.id, other.id]).values_list("id", "rank")
    assert dict(await ranks) == {made.id: 9, other.id: 3}


async def test_full_clean_of_a_partly_loaded_instance_checks_what_it_has(db):
    made = await UpdRanked.objects.create(title="a", rank=7, shout="keep")
    partial = await UpdRanked.objects.only("title").get(id=made.id)
    partial.title = "b"
    partial.full_clean()  # rank (NOT NULL) and shout were not loaded: neither is touched
    assert "rank" not in vars(partial) and "shout" not in vars(partial)
    await partial.save()
    row = await UpdRanked.objects.values_list("title", "rank", "shout").get(id=made.id)
    assert row == ("b", 7, "KEEP")


async def test_none_for_a_key_with_a_db_default_is_refused(db):
    made = await UpdKeyed.objects.create(title="a")
    loaded = await UpdKeyed.objects.get(id=made.id)
    loaded.id = None
    loaded.title = "b"
    with capture_queries() as queries:
        with pytest.raises(ValidationError) as info:
            await loaded.save()
    assert info.value.model == "UpdKeyed" and "primary key" in info.value.errors["id"][0]
    assert loaded.id is None and not _updates(queries)
    assert await UpdKeyed.objects.values_list("title", flat=True).get(id=made.id) == "a"


def test_a_clean_without_a_module_has_no_default_shortcut():
    namespace: dict[str, Any] = {}
    exec("def clean(self, value, instance=None):\n    return value\n", namespace)
    odd = type("Odd", (fields.String,), {"clean": namespace["clean"]})
    field = odd(max_length=5, default="x", nullable=True)
    assert field._validator_expression({}, "k_") == "v is None"
