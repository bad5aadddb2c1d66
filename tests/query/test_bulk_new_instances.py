"""New instances in bulk: the generated constructor, validation with save hooks, and COPY
rows that send unchanged list and dict defaults as text made once."""

import gc
import json
import marshal
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

import aksara
from aksara import Model, fields
from aksara.exceptions import ValidationError
from aksara.fields._values import MARSHAL
from aksara.query import _copy
from aksara.testing import capture_queries
from tests.fields.models import FcPriority, FcStatus

DOCUMENT = {"a": 1, "b": "b", "c": [2], "d": {"e": 3}, "f": True}

calls: list[str] = []


def counted_label() -> str:
    calls.append("label")
    return f"label-{len(calls)}"


class BnDocument(Model):
    id = fields.Integer(primary_key=True)
    created = fields.DateTime(auto_now_add=True)
    title = fields.String(max_length=40)
    doc = fields.JSON(default=DOCUMENT)
    items = fields.JSON(default=list)
    amount = fields.Decimal(precision=8, scale=2, default=Decimal("2.2"))
    label = fields.String(max_length=40, default=counted_label)

    class Meta:
        table_name = "bn_document"


class BnNoted(Model):
    title = fields.String(max_length=40)

    def __init__(self, **values: object) -> None:
        self.note = "set before Model.__init__"
        super().__init__(**values)


def test_each_instance_gets_its_own_copy_of_list_and_dict_defaults():
    first, second = BnDocument(title="a"), BnDocument(title="b")
    assert first.doc == DOCUMENT and first.doc is not DOCUMENT
    assert first.doc is not second.doc and first.doc["d"] is not second.doc["d"]
    first.doc["d"]["e"] = 4
    first.items.append(1)
    assert second.doc["d"]["e"] == 3 and second.items == [] and DOCUMENT["d"]["e"] == 3
    assert str(first.amount) == "2.20" and first.created is None and first.id is None


def test_a_default_is_made_only_for_fields_not_given():
    calls.clear()
    given = BnDocument(title="a", label="mine", doc={"x": 1})
    assert calls == [] and given.label == "mine" and given.doc == {"x": 1}
    made = BnDocument(title="b")
    assert calls == ["label"] and made.label == "label-1"


def test_attributes_set_by_a_subclass_init_before_model_init_are_kept():
    noted = BnNoted(title="t")
    assert noted.note == "set before Model.__init__" and noted.title == "t"


def test_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match="unexpected field 'nope'"):
        BnDocument(title="a", nope=1)


def test_copy_rows_send_an_unchanged_default_as_one_text():
    row = _copy.copy_rows(BnDocument)
    assert row is not None
    first, second = BnDocument(title="a"), BnDocument(title="b")
    changed = BnDocument(title="c")
    changed.doc["d"]["e"] = 4
    retyped = BnDocument(title="d", doc={**DOCUMENT, "a": 1.0})  # equal, not the same document
    rows = [row(vars(o))[0] for o in (first, second, changed, retyped)]
    doc = [c.name for c in BnDocument._meta.table.columns].index("doc")
    assert rows[0][doc] is rows[1][doc]  # made once, not serialised per row
    assert rows[2][doc] is not rows[0][doc] and '"e": 4' in rows[2][doc]
    assert rows[3][doc] is not rows[0][doc] and '"a": 1.0' in rows[3][doc]


async def test_copied_rows_keep_changed_defaults_and_their_types(db):
    objs = [BnDocument(title=f"t{i}") for i in range(100)]
    objs[3].doc["d"]["e"] = 4
    objs[4].items.append("x")
    objs[5].doc = {**DOCUMENT, "a": 1.0}
    with capture_queries() as queries:
        await BnDocument.objects.bulk_create(objs)
    assert any(q.startswith("COPY bn_document") for q in queries.sql)
    loaded = {o.title: o for o in await BnDocument.objects.all()}
    assert loaded["t0"].doc == DOCUMENT and loaded["t0"].items == []
    assert loaded["t3"].doc["d"] == {"e": 4} and loaded["t4"].items == ["x"]
    assert type(loaded["t5"].doc["a"]) is float and type(loaded["t0"].doc["a"]) is int
    assert all(o.created is not None and o.created.tzinfo is not None for o in loaded.values())
    assert len({o.label for o in loaded.values()}) == 100
    # Saved instances know what they hold: changing a default document in place is saved.
    objs[0].doc["b"] = "changed"
    await objs[0].save()
    assert (await BnDocument.objects.get(title="t0")).doc["b"] == "changed"


async def test_copied_instances_get_the_snapshots_loaded_instances_get(db):
    objs = [BnDocument(title=f"t{i}") for i in range(100)]
    objs[3].doc["d"]["e"] = 4
    await BnDocument.objects.bulk_create(objs)
    fresh = {o.id: o for o in await BnDocument.objects.all()}
    for obj in (objs[0], objs[3], objs[99]):
        assert _snapshots(obj) == _snapshots(fresh[obj.id])
    objs[99].doc["f"] = False
    objs[99].items.append(1)
    with capture_queries() as queries:
        await objs[3].save()  # nothing changed since: nothing sent
        await objs[99].save()
    assert len(queries.sql) == 1 and queries.sql[0].startswith("UPDATE bn_document SET doc")
    assert (await BnDocument.objects.get(id=objs[99].id)).items == [1]


async def test_a_short_last_chunk_after_copied_ones_leaves_every_instance_saved(db):
    objs = [BnDocument(title=f"t{i}") for i in range(100)]
    with capture_queries() as queries:
        await BnDocument.objects.bulk_create(objs, batch_size=70)
    assert any(q.startswith("COPY") for q in queries.sql) and "unnest(" in queries.sql[-1]
    assert all(o.is_saved for o in objs)
    with capture_queries() as queries:
        for obj in objs:
            await obj.save()
    assert queries.sql == []


async def test_a_failed_copy_leaves_no_instance_saved(db):
    await BnDocument.objects.create(id=150, title="taken")
    objs = [BnDocument(id=100 + i, title=f"t{i}") for i in range(70)]
    with pytest.raises(aksara.IntegrityError):
        await BnDocument.objects.bulk_create(objs)
    assert not any(o.is_saved for o in objs)


async def test_bulk_validation_after_save_hooks_names_the_item_and_writes_nothing(db):
    objs = [BnDocument(title=f"t{i}", amount="3.5") for i in range(100)]
    objs[7].amount = "not a number"
    objs[9].title = "x" * 41
    with pytest.raises(ValidationError) as info:
        await BnDocument.objects.bulk_create(objs)
    assert info.value.model == "BnDocument"
    messages = info.value.errors
    assert any("(item 7)" in m for m in messages["amount"])
    assert any("(item 9)" in m for m in messages["title"])
    assert await BnDocument.objects.count() == 0
    assert all(not o.is_saved and o.id is None for o in objs)
    objs[7].amount, objs[9].title = "1", "t9"
    await BnDocument.objects.bulk_create(objs)
    assert objs[0].amount == Decimal("3.50") and objs[0].created is not None
    assert await BnDocument.objects.filter(amount=Decimal("3.5")).count() == 99


async def test_versioned_rows_start_at_one_in_bulk(db):
    class BnVersioned(Model):
        title = fields.String(max_length=40)
        version = fields.Integer(default=0)

        class Meta:
            table_name = "bn_versioned"
            version_field = "version"

    await aksara.create_all()
    objs = [BnVersioned(title=f"v{i}") for i in range(70)]
    await BnVersioned.objects.bulk_create(objs)
    assert {o.version for o in objs} == {1}
    assert set(await BnVersioned.objects.values_list("version", flat=True)) == {1}


class BnParent(Model):
    id = fields.Integer(primary_key=True)
    name = fields.String(max_length=40)


class BnChild(Model):
    id = fields.Integer(primary_key=True)
    parent = fields.ForeignKey(BnParent, on_delete=aksara.CASCADE, nullable=True)
    attachment = fields.FileField(upload_to="bn", nullable=True)


def test_a_key_column_is_stored_as_given_and_a_relation_through_its_descriptor():
    keys = BnChild._meta.plain_keys
    assert "parent_id" in keys and "parent" not in keys and "attachment" not in keys
    parent = BnParent(id=3, name="p")
    assert BnChild(parent_id=3).parent_id == 3
    assert BnChild(parent=parent).parent is parent and BnChild(parent=parent).parent_id == 3


def test_an_int_key_value_needs_no_clean_and_other_values_do():
    meta = BnChild._meta
    needs_clean = meta.validator(meta.concrete_fields)
    field = meta.get_field("parent")

    def slow(child: BnChild) -> list[Any]:
        return needs_clean(vars(child), child)

    assert field not in slow(BnChild(parent_id=3))
    assert field not in slow(BnChild())
    assert field in slow(BnChild(parent_id="3"))
    assert field in slow(BnChild(parent_id=2**40))
    assert field in slow(BnChild(parent=BnParent(name="unsaved")))


async def test_key_values_are_cleaned_in_bulk(db):
    parent = await BnParent.objects.create(name="p")
    later = BnParent(name="later")
    children = [BnChild(parent_id=parent.id) for _ in range(70)]
    children[1].parent_id = str(parent.id)
    children[2].parent = later
    with pytest.raises(ValidationError) as info:
        await BnChild.objects.bulk_create(children)
    assert any("(item 2)" in m for m in info.value.errors["parent"])
    await later.save()
    children[3].parent_id = 2**40
    with pytest.raises(ValidationError) as info:
        await BnChild.objects.bulk_create(children)
    assert any("(item 3)" in m for m in info.value.errors["parent"])
    assert await BnChild.objects.count() == 0
    children[3].parent_id = parent.id
    await BnChild.objects.bulk_create(children)
    assert children[1].parent_id == parent.id and children[2].parent_id == later.id
    assert await BnChild.objects.filter(parent=later).count() == 1


class LowerCode(fields.String[Any]):
    """A key stored in lower case: its ``to_db()`` changes the value."""

    def to_db(self, value: Any) -> Any:
        return value.lower()


class BnCodeParent(Model):
    code = LowerCode(max_length=10, primary_key=True)


class BnCodeChild(Model):
    id = fields.Integer(primary_key=True)
    parent = fields.ForeignKey(BnCodeParent, on_delete=aksara.CASCADE)


class CountingKey(fields.ForeignKey[Any, Any]):
    """A foreign key with a ``to_db()`` of its own (its target's key has none)."""

    def to_db(self, value: Any) -> Any:
        return None if value is None else int(value)


class BnCountedRef(Model):
    id = fields.Integer(primary_key=True)
    parent = CountingKey(BnParent, on_delete=aksara.CASCADE)


def test_a_key_is_converted_as_its_target_key_is():
    assert BnChild._meta.get_field("parent").db_converter() is None
    convert = BnCountedRef._meta.get_field("parent").db_converter()
    assert convert is not None and convert("7") == 7
    assert BnCodeParent._meta.pk.db_converter() is not None
    convert = BnCodeChild._meta.get_field("parent").db_converter()
    assert convert is not None and convert("AB") == "ab" and convert(None) is None


@pytest.mark.parametrize("count", [3, 70], ids=["values", "copy"])
async def test_bulk_create_sends_a_key_as_its_target_key_is_sent(db, count):
    await aksara.create_all()
    await BnCodeParent.objects.create(code="ab")
    await BnCodeChild.objects.bulk_create([BnCodeChild(parent_id="AB") for _ in range(count)])
    stored = await BnCodeChild.objects.values_list("parent_id", flat=True)
    assert stored == ["ab"] * count


def _snapshots(obj: Any) -> tuple[Any, ...]:
    """An instance's loaded values with each JSON snapshot as marshal bytes: a loaded row
    keeps a JSON value's text (read as text), a copied one the value's marshal bytes."""
    return tuple(
        marshal.dumps(json.loads(v), MARSHAL) if type(v) is str and name in ("doc", "items") else v
        for name, v in zip(BnDocument._meta.attnames, vars(obj)["_loaded"], strict=True)
    )


class BnStamped(Model):
    title = fields.String(max_length=40)
    created = fields.DateTime(auto_now_add=True)
    touched = fields.DateTime(auto_now=True)

    class Meta:
        table_name = "bn_stamped"

    def clean(self) -> None:
        if self.title == "refused":
            raise ValidationError({"title": ["is refused by clean()"]})


async def test_bulk_check_runs_hooks_and_the_model_clean_for_every_item(db):
    objs = [BnStamped(title=f"s{i}") for i in range(80)]
    objs[41].title = "refused"
    with pytest.raises(ValidationError) as info:
        await BnStamped.objects.bulk_create(objs)
    assert info.value.errors["title"] == ["is refused by clean() (item 41)"]
    assert await BnStamped.objects.count() == 0
    # The hooks ran before validation: every item has both times, and nothing is saved.
    assert all(o.created is not None and o.touched is not None for o in objs)
    assert not any(o.is_saved for o in objs)
    objs[41].title = "accepted"
    await BnStamped.objects.bulk_create(objs)
    stored = await BnStamped.objects.values_list("id", "created", "touched")
    assert sorted((o.id, o.created, o.touched) for o in objs) == sorted(stored)
    assert all(c.tzinfo is not None for _, c, _ in stored)


@pytest.mark.parametrize("count", [3, 70], ids=["values", "copy"])
async def test_one_bulk_create_gives_every_row_the_same_time(db, count):
    # Taken once per call, as now() is once per transaction: created equals touched too.
    await aksara.create_all()
    before = datetime.now(UTC)
    objs = [BnStamped(title=f"s{i}") for i in range(count)]
    await BnStamped.objects.bulk_create(objs)
    after = datetime.now(UTC)
    stamps = {o.created for o in objs} | {o.touched for o in objs}
    assert len(stamps) == 1 and before <= stamps.pop() <= after
    stored = await BnStamped.objects.values_list("created", "touched")
    assert {c for c, _ in stored} == {t for _, t in stored} == {objs[0].created}
    # The next call takes its own time.
    more = [BnStamped(title="later")]
    await BnStamped.objects.bulk_create(more)
    assert more[0].created > objs[0].created


@pytest.mark.parametrize("count", [3, 70], ids=["values", "copy"])
async def test_one_bulk_create_of_a_model_without_a_clean_gives_every_row_the_same_time(db, count):
    # No clean() of its own: the COPY rows are made by the generated check itself.
    await aksara.create_all()
    objs = [BnSheet(id=i, title=f"s{i}") for i in range(1, count + 1)]
    await BnSheet.objects.bulk_create(objs)
    assert len({o.created for o in objs}) == 1
    stored = await BnSheet.objects.values_list("created", flat=True)
    assert set(stored) == {objs[0].created}


async def test_bulk_create_names_an_item_of_another_type(db):
    objs: list[Any] = [BnStamped(title="a"), BnDocument(title="b")]
    with pytest.raises(TypeError, match="bulk_create\\(\\) got a BnDocument, expected BnStamped"):
        await BnStamped.objects.bulk_create(objs)
    assert await BnStamped.objects.count() == 0


class BnSheet(Model):
    # Every value of a new instance passes its validator expression as it is made.
    id = fields.Integer(primary_key=True)
    created = fields.DateTime(auto_now_add=True)
    title = fields.String(max_length=40)
    doc = fields.JSON(default=DOCUMENT)
    note = fields.JSON(nullable=True)
    amount = fields.Decimal(precision=8, scale=2, default=Decimal("2.2"))

    class Meta:
        table_name = "bn_sheet"


def _sheet_snapshots(obj: Any) -> tuple[Any, ...]:
    """``_snapshots()`` for BnSheet, with JSON null as marshal bytes too."""

    def same(name: str, v: Any) -> Any:
        if name not in ("doc", "note") or type(v) is bytes:
            return v
        return marshal.dumps(json.loads(v) if type(v) is str else v, MARSHAL)

    names = BnSheet._meta.attnames
    return tuple(same(n, v) for n, v in zip(names, vars(obj)["_loaded"], strict=True))


async def test_rows_made_by_the_checks_give_the_snapshots_loaded_instances_get(db):
    # No value to clean: the checks make each COPY row and snapshot as they read the values.
    made = [BnSheet(title=f"m{i}") for i in range(70)]
    given = [BnSheet(id=5000 + i, title=f"g{i}", note=None) for i in range(70)]
    with capture_queries() as queries:
        await BnSheet.objects.bulk_create(made)
        await BnSheet.objects.bulk_create(given)
    assert sum(q.startswith("COPY bn_sheet") for q in queries.sql) == 2
    assert BnSheet._meta.generated.lookup(("bulk_rows",)) is not None
    assert [o.id for o in given] == list(range(5000, 5070)) and None not in {o.id for o in made}
    fresh = {o.id: o for o in await BnSheet.objects.all()}
    for obj in (made[0], made[69], given[0], given[69]):
        assert _sheet_snapshots(obj) == _sheet_snapshots(fresh[obj.id])
        assert fresh[obj.id].doc == DOCUMENT and fresh[obj.id].amount == Decimal("2.20")
        assert fresh[obj.id].created == obj.created and fresh[obj.id].note is None
    # A JSON snapshot is the text COPY sent, which tells 1 from 1.0 as marshal did.
    assert type(vars(made[0])["_loaded"][3]) is str
    made[1].doc["f"] = False
    made[2].doc["a"] = 1.0
    given[2].note = {"n": 1}
    with capture_queries() as queries:
        for obj in made + given:
            await obj.save()
    assert [q.split(" WHERE")[0] for q in queries.sql] == [
        "UPDATE bn_sheet SET doc=$1::JSONB",
        "UPDATE bn_sheet SET doc=$1::JSONB",
        "UPDATE bn_sheet SET note=$1::JSONB",
    ]


async def test_a_value_to_clean_sends_the_whole_batch_the_long_way(db):
    objs = [BnSheet(title=f"t{i}") for i in range(70)]
    objs[30].amount = "7.5"  # a string: cleaned to Decimal("7.50") before it is sent
    objs[40].doc = {**DOCUMENT, "a": 1.0}  # equal to the default, not the same document
    await BnSheet.objects.bulk_create(objs)
    assert objs[30].amount == Decimal("7.50") and all(o.is_saved for o in objs)
    assert (await BnSheet.objects.get(id=objs[30].id)).amount == Decimal("7.50")
    assert type((await BnSheet.objects.get(id=objs[40].id)).doc["a"]) is float
    with capture_queries() as queries:
        for obj in objs:
            await obj.save()
    assert queries.sql == []


async def test_a_model_with_only_its_key_is_copied_in_bulk(db):
    class BnKeyOnly(Model):
        id = fields.Integer(primary_key=True)

        class Meta:
            table_name = "bn_key_only"

    await aksara.create_all()
    objs = [BnKeyOnly(id=i) for i in range(1, 71)]
    with capture_queries() as queries:
        await BnKeyOnly.objects.bulk_create(objs)
    assert queries.sql[0].startswith("COPY bn_key_only") and all(o.is_saved for o in objs)
    stored = await BnKeyOnly.objects.values_list("id", flat=True).order_by("id")
    assert stored == list(range(1, 71))


class BnAllDefault(Model):
    id = fields.Integer(primary_key=True)

    class Meta:
        table_name = "bn_all_default"


class BnAllFilled(Model):
    id = fields.Integer(primary_key=True)
    state = fields.String(max_length=10, db_default="open")

    class Meta:
        table_name = "bn_all_filled"


@pytest.mark.parametrize("count", [1, 3, 70])
async def test_a_model_whose_database_makes_every_value_is_inserted_in_bulk(db, count):
    keys = [BnAllDefault() for _ in range(count)]
    await BnAllDefault.objects.bulk_create(keys)
    assert all(o.is_saved for o in keys) and len({o.pk for o in keys}) == count
    stored = await BnAllDefault.objects.values_list("id", flat=True).order_by("id")
    assert stored == sorted(o.pk for o in keys)
    filled = [BnAllFilled() for _ in range(count)]
    await BnAllFilled.objects.bulk_create(filled)
    assert [o.state for o in filled] == ["open"] * count
    assert await BnAllFilled.objects.filter(state="open").count() == count


class BnPlain(Model):
    id = fields.Integer(primary_key=True)
    created = fields.DateTime(auto_now_add=True)
    level = fields.SmallInteger()
    text = fields.String(max_length=40)
    batch = fields.Integer()

    class Meta:
        table_name = "bn_plain"


class BnLinked(Model):
    id = fields.Integer(primary_key=True)
    level = fields.SmallInteger()
    parent = fields.ForeignKey(BnParent, on_delete=aksara.CASCADE, nullable=True)
    batch = fields.Integer()

    class Meta:
        table_name = "bn_linked"


async def _retained_by_bulk_create(model: type[Model], objs: list[Any]) -> float:
    """Bytes per instance that ``bulk_create(objs)`` allocates and keeps."""
    gc.collect()  # no garbage of earlier rounds freed inside the measurement
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await model.objects.bulk_create(objs)
        return (tracemalloc.get_traced_memory()[0] - before) / len(objs)
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("model", [BnPlain, BnLinked], ids=["plain", "foreign-key"])
async def test_bulk_create_keeps_the_values_of_new_instances_inline(db, model):
    """COPY's checks read and write values as attributes, a relation's cached object too:
    reading ``obj.__dict__`` would make CPython build a dict object for every instance,
    which stays with it."""
    await aksara.create_all()
    parent = await BnParent.objects.create(name="p")

    def new(i: int) -> Any:
        if model is BnPlain:
            return BnPlain(level=i % 9, text=f"t{i}", batch=7)
        return BnLinked(level=i % 9, parent_id=parent.id if i % 2 else None, batch=7)

    # 1,000 instances a round: what else the process allocates meanwhile (a buffer, a
    # cache entry) is a few bytes per instance.
    inline: list[float] = []
    with_dicts: list[float] = []
    for _ in range(3):
        objs = [new(i) for i in range(1000)]
        inline.append(await _retained_by_bulk_create(model, objs))
        assert all(o.is_saved and o.id is not None for o in objs)
        objs = [new(i) for i in range(1000)]
        for obj in objs:
            vars(obj)  # the dicts made before, outside the measurement
        with_dicts.append(await _retained_by_bulk_create(model, objs))
    # A dict of its own costs an instance 40 bytes or more on every supported CPython. (The
    # median of the rounds with dicts: a collection inside one round can lower it.)
    assert min(inline) <= sorted(with_dicts)[1] + 16, (inline, with_dicts)
    stored = await model.objects.filter(batch=7).order_by("id")
    assert len(stored) == 6000 and stored[-1].level == 999 % 9
    if model is BnLinked:
        assert [o.parent_id for o in stored[:2]] == [None, parent.id]


class WholeSeconds(fields.DateTime):
    """A time field whose ``clean()`` drops the microseconds."""

    def clean(self, value: Any, instance: Any = None) -> Any:
        cleaned = super().clean(value, instance)
        return cleaned if cleaned is None else cleaned.replace(microsecond=0)


class BnSeconds(Model):
    title = fields.String(max_length=40)
    created = fields.DateTime(auto_now_add=True)
    stamped = WholeSeconds(auto_now_add=True)

    class Meta:
        table_name = "bn_seconds"


@pytest.mark.parametrize("count", [3, 70], ids=["values", "copy"])
async def test_an_auto_now_field_of_a_class_of_its_own_is_cleaned_in_bulk(db, count):
    # The time a plain DateTime field is given needs no test; a subclass's clean() still runs.
    await aksara.create_all()
    objs = [BnSeconds(title=f"s{i}") for i in range(count)]
    await BnSeconds.objects.bulk_create(objs)
    assert all(o.stamped.microsecond == 0 and o.stamped.tzinfo is not None for o in objs)
    stored = await BnSeconds.objects.values_list("stamped", flat=True)
    assert len(stored) == count and {s.microsecond for s in stored} == {0}
    assert all(o.created.tzinfo is not None for o in objs)


class BnEnumDoc(Model):
    id = fields.Integer(primary_key=True)
    doc = fields.JSON(default=dict)

    class Meta:
        table_name = "bn_enum_doc"


@pytest.mark.parametrize("count", [3, 70], ids=["values", "copy"])
async def test_json_holding_enum_members_is_compared_as_the_json_it_is_sent_as(db, count):
    await aksara.create_all()
    objs = [
        BnEnumDoc(doc={"status": FcStatus.DRAFT, "size": FcPriority.HIGH}) for _ in range(count)
    ]
    await BnEnumDoc.objects.bulk_create(objs)
    with capture_queries() as queries:
        await objs[0].save()  # nothing changed: nothing sent
        objs[1].doc["status"] = FcStatus.PUBLISHED
        await objs[1].save()
        objs[2].doc["size"] = True  # JSON true, not 2
        await objs[2].save()
    assert [q.split(" WHERE")[0] for q in queries.sql] == [
        "UPDATE bn_enum_doc SET doc=$1::JSONB"
    ] * 2
    # A loaded instance given the same JSON through enum members sends nothing either.
    loaded = await BnEnumDoc.objects.get(id=objs[0].id)
    loaded.doc = {k: FcStatus(v) if k == "status" else FcPriority(v) for k, v in loaded.doc.items()}
    with capture_queries() as queries:
        await loaded.save()
    assert queries.sql == []
    assert (await BnEnumDoc.objects.get(id=objs[2].id)).doc == {"status": "draft", "size": True}
