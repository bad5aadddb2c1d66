"""A plain field's value lives in its instances only: the model class has no attribute of
that name, so CPython specialises reading and writing it. ``Model.field`` is still the
field; a field that overrides an inherited attribute stays on the class, and so do a
model's fields once a query loads some of its columns only, so that reading one that was
not loaded says so."""

import copy
import dis
import pickle
from typing import Any, ClassVar

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
            # A field named like the metaclass's Model.table stays: it shadows that.
            plain = is_plain(field) and name != "table"
            assert (name in _class_attributes(model)) is not plain, (model, name)
    assert "table" in vars(AtAuthor)
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


class AtDeferred(Model):
    name = fields.String(max_length=40)
    profile = fields.JSON(default=dict)


async def test_a_model_loaded_in_part_gets_its_fields_back_on_the_class(db):
    await aksara.create_all()
    assert "profile" not in vars(AtDeferred)
    ada = await AtDeferred.objects.create(name="Ada", profile={"lang": "en"})
    light = await AtDeferred.objects.defer("profile").get(pk=ada.pk)
    assert type(light) is AtDeferred and light == ada and light.name == "Ada"
    assert vars(AtDeferred)["profile"] is AtDeferred._meta.fields["profile"]
    with pytest.raises(AttributeError, match=r"AtDeferred\.profile was not loaded by the query"):
        light.profile  # noqa: B018
    for twin in (pickle.loads(pickle.dumps(light)), copy.copy(light), copy.deepcopy(light)):
        assert type(twin) is AtDeferred and twin.name == "Ada" and twin == light
        with pytest.raises(AttributeError, match="not loaded"):
            twin.profile  # noqa: B018
    light.name = "Ada L."
    await light.save()
    await light.refresh_from_db(fields=["profile"])
    assert light.profile == {"lang": "en"}
    full = await AtDeferred.objects.get(pk=ada.pk)
    assert full.name == "Ada L." and full.profile == {"lang": "en"}


class AtDisplay(Model):
    class Meta:
        abstract = True

    @property
    def display_name(self) -> str:
        return "computed"


class AtShadowing(AtDisplay):
    """Fields named like an attribute they inherit: a property of the abstract base, a
    property of ``Model`` and a method of ``type``."""

    display_name = fields.String(max_length=40)
    is_saved = fields.Boolean(default=False)
    mro = fields.Integer(default=0)


class AtDraft:
    status = "draft"


class AtStatus(AtDraft, Model):
    name = fields.String(max_length=40)
    status = fields.String(max_length=10, default="new")


async def test_a_field_overriding_an_inherited_attribute_stays_on_the_class(db):
    await aksara.create_all()
    shadowing = AtShadowing(display_name="x", is_saved=True, mro=3)
    assert (shadowing.display_name, shadowing.is_saved, shadowing.mro) == ("x", True, 3)
    for name in ("display_name", "is_saved", "mro"):
        assert getattr(AtShadowing, name) is AtShadowing._meta.fields[name]
    assert AtStatus.status is AtStatus._meta.fields["status"]
    made = await AtStatus.objects.create(name="n")
    assert made.status == "new"
    light = await AtStatus.objects.only("name").get(pk=made.pk)
    with pytest.raises(AttributeError, match=r"AtStatus\.status was not loaded"):
        light.status  # noqa: B018


class AtLenient(Model):
    """A model with a ``__getattr__`` of its own: it answers for a column not loaded too."""

    name = fields.String(max_length=40)
    size = fields.Integer(default=0)

    def __getattr__(self, name: str) -> Any:
        if name in ("shout", "size"):
            return f"<{name}>"
        raise AttributeError(name)


async def test_a_model_keeps_its_own_getattr(db):
    await aksara.create_all()
    made = await AtLenient.objects.create(name="quiet")
    assert made.shout == "<shout>" and made.size == 0
    light = await AtLenient.objects.only("name").get(pk=made.pk)
    assert light.shout == "<shout>" and light.size == "<size>"


class AtTagged(Model):
    """A base whose subclasses must name a tag (``class Post(AtTagged, tag=...)``)."""

    class Meta:
        abstract = True

    registered: ClassVar[dict[str, type[Model]]] = {}

    def __init_subclass__(cls, *, tag: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        AtTagged.registered[tag] = cls


class AtTaggedPost(AtTagged, tag="post"):
    title = fields.String(max_length=40)
    body = fields.Text(default="")


async def test_loading_in_part_makes_no_class(db):
    await aksara.create_all()
    made = await AtTaggedPost.objects.create(title="t", body="b")
    light = await AtTaggedPost.objects.only("title").get(pk=made.pk)
    assert type(light) is AtTaggedPost and light.title == "t"
    assert AtTagged.registered == {"post": AtTaggedPost}
    assert AtTaggedPost.__subclasses__() == []
