"""The INSERT of one new instance: arguments and snapshot made by one generated function,
an unchanged list or dict default sent as the text made once for its column."""

import enum
import json
import marshal
import uuid
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest

import aksara
from aksara import Model, fields
from aksara.fields._values import MARSHAL
from aksara.query import _plans
from aksara.query.persist import _build_insert_one, insert_names
from aksara.testing import capture_queries

DOCUMENT = {"a": 1, "b": "b", "c": [2], "d": {"e": 3}, "f": True}


class InsDocument(Model):
    title = fields.String(max_length=40)
    doc = fields.JSON(default=DOCUMENT)
    items = fields.JSON(default=list)
    tags = fields.Array(base_type="text", default=["a"])
    # Declared last: the key the database makes has its place after the other columns.
    id = fields.Integer(primary_key=True)

    class Meta:
        table_name = "ins_document"


class InsUuids(Model):
    ids = fields.Array(base_type="uuid", default=["12345678-1234-5678-1234-567812345678"])
    tags = fields.Array(base_type="text", default=["a"])

    class Meta:
        table_name = "ins_uuids"


class InsChecked(Model):
    title = fields.String(max_length=10)
    amount = fields.Decimal(precision=6, scale=2, default=Decimal("1.5"))
    items = fields.JSON(default=list)  # no validator expression: clean() runs each time
    note = fields.String(max_length=20, nullable=True)

    class Meta:
        table_name = "ins_checked"


class InsOwnClean(Model):
    title = fields.String(max_length=10)
    note = fields.String(max_length=20, nullable=True)

    class Meta:
        table_name = "ins_own_clean"

    def clean(self) -> None:
        self.note = f"made from {self.title}"


hashed: list[str] = []


class Hashing(fields.String[Any]):
    """A clean() that changes its value each time it runs (no validator expression)."""

    def clean(self, value: Any, instance: Any = None) -> Any:
        value = super().clean(value, instance)
        hashed.append(value)
        return None if value is None else f"h({value})"


class InsHashed(Model):
    secret = Hashing(max_length=200)
    amount = fields.Decimal(precision=6, scale=2)

    class Meta:
        table_name = "ins_hashed"


class Sibling(fields.String[Any]):
    """A clean() that sets another attribute of its instance."""

    def clean(self, value: Any, instance: Any = None) -> Any:
        value = super().clean(value, instance)
        instance.a = "from-b"
        return value


class InsSibling(Model):
    a = fields.String(max_length=10)
    b = Sibling(max_length=10)

    class Meta:
        table_name = "ins_sibling"


class InsKeyed(Model):
    id = fields.Integer(primary_key=True)
    title = fields.String(max_length=10)

    class Meta:
        table_name = "ins_keyed"

    def clean(self) -> None:
        if self.id is None:
            self.id = 4242


class InsPlain(Model):
    title = fields.String(max_length=10)
    doc = fields.JSON(default={})

    class Meta:
        table_name = "ins_plain"


class InsColor(enum.StrEnum):
    RED = "red"


class InsDict(dict[str, Any]):
    """A dict of the application's own: marshal cannot hold it."""


def _row(model: type[Model], generated: bool) -> Any:
    one = _plans.generated(model, ("insert_one", generated), _build_insert_one)
    assert one.row is not None and one.checked is not None
    return (lambda d: one.row(d, None)), one.finish


def _arguments(queries: Any) -> list[Any]:
    inserts = [args for sql, args in queries.statements if sql.startswith("INSERT")]
    assert len(inserts) == 1
    return list(inserts[0])


async def test_an_unchanged_default_is_sent_as_the_text_made_once(db):
    row, finish = _row(InsDocument, True)
    assert finish is not None
    first, _ = row(vars(InsDocument(title="a")))
    second, _ = row(vars(InsDocument(title="b")))
    doc = insert_names(InsDocument, True).index("doc")  # the key is not sent
    assert json.loads(first[doc]) == DOCUMENT and first[doc] is second[doc]
    changed = InsDocument(title="c")
    changed.doc["d"]["e"] = 4
    retyped = InsDocument(title="d", doc={**DOCUMENT, "a": 1.0})  # equal, not the same
    own = InsDocument(title="e", doc=InsDict(DOCUMENT))
    for obj, text in ((changed, '"e": 4'), (retyped, '"a": 1.0'), (own, '"a": 1')):
        sent, _ = row(vars(obj))
        assert sent[doc] is not first[doc] and text in sent[doc]


async def test_created_instances_hold_what_loaded_ones_hold(db):
    made = await InsDocument.objects.create(title="t")
    retyped = await InsDocument.objects.create(title="r", doc={**DOCUMENT, "a": 1.0})
    own = await InsDocument.objects.create(title="o", doc=InsDict(DOCUMENT, g=[1]))
    loaded = {o.title: o for o in await InsDocument.objects.all()}
    assert made.id == loaded["t"].id and loaded["t"].doc == DOCUMENT
    assert type(loaded["r"].doc["a"]) is float and loaded["o"].doc["g"] == [1]
    assert loaded["t"].tags == ["a"] and loaded["t"].items == []
    # The snapshot a create leaves is the one a load gives: key in its place, values equal.
    for obj in (made, retyped, own):
        assert _snapshots(obj) == _snapshots(loaded[obj.title])
    with capture_queries() as queries:
        for obj in (made, retyped, own):
            await obj.save()
    assert queries.sql == []


async def test_a_default_changed_in_place_after_create_is_saved(db):
    made = await InsDocument.objects.create(title="t")
    made.doc["b"] = "changed"
    made.tags.append("b")
    with capture_queries() as queries:
        await made.save()
    assert len(queries.sql) == 1 and queries.sql[0].startswith("UPDATE ins_document SET doc")
    fresh = await InsDocument.objects.get(id=made.id)
    assert fresh.doc["b"] == "changed" and fresh.tags == ["a", "b"] and DOCUMENT["b"] == "b"


async def test_a_given_key_is_sent_and_kept(db):
    row, finish = _row(InsDocument, False)
    assert finish is None
    with capture_queries() as queries:
        made = await InsDocument.objects.create(id=41, title="k")
    assert 41 in _arguments(queries)
    assert made.id == 41 and _snapshots(made) == _snapshots(await InsDocument.objects.get(id=41))
    made.title = "renamed"
    await made.save()
    assert (await InsDocument.objects.get(id=41)).title == "renamed"


async def test_a_failed_insert_leaves_the_instance_unsaved(db):
    await InsDocument.objects.create(id=7, title="taken")
    again = InsDocument(id=7, title="again")
    try:
        await again.save()
    except aksara.IntegrityError:
        pass
    assert not again.is_saved and vars(again)["_loaded"] is None


async def test_list_defaults_of_values_marshal_cannot_hold_are_sent_as_values(db):
    # An array's UUIDs, a str enum's member: not the default, and no error telling so.
    made = await InsUuids.objects.create()
    given = uuid.uuid4()
    other = await InsUuids.objects.create(ids=[given], tags=[InsColor.RED])
    assert (await InsUuids.objects.get(id=made.id)).ids == [
        uuid.UUID("12345678-1234-5678-1234-567812345678")
    ]
    fresh = await InsUuids.objects.get(id=other.id)
    assert fresh.ids == [given] and fresh.tags == ["red"]


async def test_values_that_need_clean_are_cleaned_and_bad_ones_refused(db):
    made = await InsChecked.objects.create(title="t", amount="3.5", items=(1, 2))
    assert made.amount == Decimal("3.50") and made.items == [1, 2]
    fresh = await InsChecked.objects.get(id=made.id)
    assert fresh.amount == Decimal("3.50") and fresh.items == [1, 2]
    with capture_queries() as queries:
        await made.save()  # the snapshot holds the cleaned values
    assert queries.sql == []
    for bad in (
        {"title": "x" * 11},
        {"title": "t", "amount": "many"},
        {"title": "t", "items": {1j}},
    ):
        with pytest.raises(aksara.ValidationError) as info:
            await InsChecked.objects.create(**bad)
        assert info.value.model == "InsChecked" and set(info.value.errors) <= set(bad)
    with pytest.raises(aksara.ValidationError) as info:
        await InsChecked.objects.create(title="x" * 11, amount="many")
    assert set(info.value.errors) == {"title", "amount"}  # every error reported at once
    assert await InsChecked.objects.count() == 1


async def test_a_model_clean_of_its_own_runs_before_the_insert(db):
    made = await InsOwnClean.objects.create(title="t")
    assert made.note == "made from t"
    assert (await InsOwnClean.objects.get(id=made.id)).note == "made from t"


async def test_a_field_clean_runs_once_and_what_it_sets_is_sent(db):
    hashed.clear()
    made = await InsHashed.objects.create(secret="pw", amount="3.5")  # amount needs clean()
    assert hashed == ["pw"] and made.secret == "h(pw)"
    assert (await InsHashed.objects.get(id=made.id)).secret == "h(pw)"
    sibling = await InsSibling.objects.create(a="orig", b="x")
    assert sibling.a == "from-b" and (await InsSibling.objects.get(id=sibling.id)).a == "from-b"
    with capture_queries() as queries:
        await sibling.save()
    assert queries.sql == []


async def test_a_clean_patched_in_later_runs_on_insert(db):
    await InsPlain.objects.create(title="first")

    def refuse(self: Any) -> None:
        raise aksara.ValidationError({"title": ["refused"]})

    with mock.patch.object(InsPlain, "clean", refuse):
        with pytest.raises(aksara.ValidationError, match="refused"):
            await InsPlain.objects.create(title="second")
        with pytest.raises(aksara.ValidationError, match="refused"):
            await InsPlain.objects.bulk_create([InsPlain(title=f"b{i}") for i in range(70)])
    seen: list[str] = []
    with mock.patch.object(aksara.Model, "clean", lambda self: seen.append(self.title)):
        await InsPlain.objects.create(title="hooked")
    own = InsPlain(title="own")
    own.clean = lambda: seen.append("instance")  # type: ignore[method-assign]
    await own.save()
    assert seen == ["hooked", "instance"] and await InsPlain.objects.count() == 3


async def test_a_key_given_by_clean_is_sent(db):
    made = await InsKeyed.objects.create(title="k")
    assert made.id == 4242 and await InsKeyed.objects.filter(id=4242).exists()


async def test_a_document_the_checks_cannot_read_is_refused_by_validation(db):
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(aksara.ValidationError, match="doc"):
        await InsPlain.objects.create(title="t", doc=circular)
    assert await InsPlain.objects.count() == 0


async def test_a_document_marshal_cannot_hold_is_refused_by_validation(db):
    with pytest.raises(aksara.ValidationError, match="doc"):
        await InsPlain.objects.create(title="t", doc={"a": object()})
    made = await InsPlain.objects.create(title="t")
    made.doc = {"a": object()}
    with pytest.raises(aksara.ValidationError, match="doc"):
        made.full_clean()
    with pytest.raises(aksara.ValidationError, match="doc"):
        await made.save()
    assert (await InsPlain.objects.get(id=made.id)).doc == {}


def _snapshots(obj: Any) -> tuple[Any, ...]:
    """Loaded values with each JSON snapshot as marshal bytes (a loaded row keeps a JSON
    value's text, a created one the value's marshal bytes)."""
    return tuple(
        marshal.dumps(json.loads(v), MARSHAL) if type(v) is str and name in ("doc", "items") else v
        for name, v in zip(InsDocument._meta.attnames, vars(obj)["_loaded"], strict=True)
    )
