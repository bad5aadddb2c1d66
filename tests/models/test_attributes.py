"""A plain field's value lives in its instances only: the model class has no attribute of
that name, so CPython specialises reading and writing it. ``Model.field`` is still the
field, and a column a query did not load is named when it is read."""

import copy
import dis
import pickle
from typing import Any

import pytest

import aksara
from aksara import Model, fields
from aksara.models._attributes import is_plain


class AtAuthor(Model):
    name = fields.String(max_length=40)
    profile = fields.JSON(default=dict)
    table = fields.Integer(default=0)  # the name of Model.table, the SQLAlchemy table


class AtBook(Model):
    title = fields.String(max_length=40)
    author = fields.ForeignKey(AtAuthor, on_delete=aksara.CASCADE)
    readers = fields.ManyToMany(AtAuthor, related_name="read")


class AtStamped(Model):
    created = fields.DateTime(auto_now_add=True)

    class Meta:
        abstract = True


class AtNote(AtStamped):
    text = fields.Text()


def _class_attributes(model: type[Model]) -> set[str]:
    return {name for cls in model.__mro__ for name in vars(cls)}


def test_plain_fields_are_no_class_attributes_and_working_descriptors_stay():
    for model in (AtAuthor, AtBook, AtNote, AtStamped):
        for name, field in model._meta.fields.items():
            assert (name in _class_attributes(model)) is not is_plain(field), (model, name)
    assert "created" not in _class_attributes(AtNote) and "text" not in vars(AtNote)
    # A relation, its key column's attribute and a many-to-many manager do work: they stay.
    assert {"author", "author_id", "readers"} <= set(vars(AtBook))


def test_the_class_gives_its_fields():
    assert AtAuthor.name is AtAuthor._meta.fields["name"]
    assert AtNote.created is AtNote._meta.fields["created"]
    assert AtNote.created is not AtStamped.created  # each model has its own copy
    assert AtStamped.created is AtStamped._meta.fields["created"]
    assert AtAuthor.table is AtAuthor._meta.fields["table"]  # the field wins, as before
    assert AtBook.table is AtBook._meta.table and AtBook.c.title is AtBook._meta.table.c.title
    assert AtBook.author_id is AtBook._meta.fields["author"]
    assert {"name", "profile", "table", "objects"} <= set(dir(AtAuthor))
    assert "objects" not in dir(Model) and "save" in dir(Model)
    assert hasattr(AtAuthor, "name") and not hasattr(AtAuthor, "nope")
    with pytest.raises(AttributeError, match="type object 'AtAuthor' has no attribute 'nope'"):
        AtAuthor.nope  # noqa: B018
    with pytest.raises(AttributeError):
        AtAuthor._private  # noqa: B018


def _attribute_opnames(model: type[Model]) -> set[str]:
    """The attribute instructions of a function that writes and reads a field, once CPython
    has adapted them to what it saw."""

    def touch(obj: Any) -> Any:
        obj.name = "n"
        return obj.name

    obj = model(name="x")
    for _ in range(2000):
        touch(obj)
    return {i.opname for i in dis.get_instructions(touch, adaptive=True) if "ATTR" in i.opname}


def test_cpython_specialises_field_reads_and_writes():
    ops = _attribute_opnames(AtAuthor)
    assert "STORE_ATTR_INSTANCE_VALUE" in ops and "LOAD_ATTR_INSTANCE_VALUE" in ops, ops


async def test_a_full_row_is_an_instance_of_the_model(db):
    await aksara.create_all()
    ada = await AtAuthor.objects.create(name="Ada", profile={"lang": "en"})
    book = await AtBook.objects.create(title="Notes", author=ada)
    assert type(await AtAuthor.objects.get(pk=ada.pk)) is AtAuthor
    loaded = await AtBook.objects.select_related("author").get(pk=book.pk)
    assert type(loaded) is AtBook and type(loaded.author) is AtAuthor


async def test_an_instance_loaded_in_part_names_what_it_lacks(db):
    await aksara.create_all()
    ada = await AtAuthor.objects.create(name="Ada", profile={"lang": "en"})
    light = await AtAuthor.objects.defer("profile").get(pk=ada.pk)
    assert isinstance(light, AtAuthor) and type(light).__name__ == "AtAuthor"
    assert light == ada and light.name == "Ada" and light._meta is AtAuthor._meta
    with pytest.raises(AttributeError, match=r"AtAuthor\.profile was not loaded by the query"):
        light.profile  # noqa: B018
    with pytest.raises(AttributeError, match="'AtAuthor' object has no attribute 'nope'"):
        light.nope  # noqa: B018
    assert getattr(light, "_rel:author", None) is None
    for twin in (pickle.loads(pickle.dumps(light)), copy.copy(light), copy.deepcopy(light)):
        assert type(twin) is type(light) and twin.name == "Ada" and twin == light
        with pytest.raises(AttributeError, match="not loaded"):
            twin.profile  # noqa: B018
    light.name = "Ada L."
    await light.save()
    assert (await AtAuthor.objects.get(pk=ada.pk)).name == "Ada L."
    await light.refresh_from_db(fields=["profile"])
    assert type(light) is AtAuthor and light.profile == {"lang": "en"}
    other = await AtAuthor.objects.only("name").get(pk=ada.pk)
    await other.refresh_from_db()
    assert type(other) is AtAuthor and other.table == 0
    assert [a.name for a in await AtAuthor.objects.only("name")] == ["Ada L."]
    await AtAuthor.objects.bulk_update([other], ["name"])


class AtLenient(Model):
    """A model with a ``__getattr__`` of its own, which its instances loaded in part keep."""

    name = fields.String(max_length=40)
    size = fields.Integer(default=0)

    def __getattr__(self, name: str) -> Any:
        if name == "shout":
            return self.name.upper()
        raise AttributeError(name)


async def test_a_model_keeps_its_own_getattr_when_loaded_in_part(db):
    await aksara.create_all()
    made = await AtLenient.objects.create(name="quiet")
    light = await AtLenient.objects.only("name").get(pk=made.pk)
    assert light.shout == "QUIET" and made.shout == "QUIET"
    with pytest.raises(AttributeError, match="AtLenient.size was not loaded"):
        light.size  # noqa: B018
