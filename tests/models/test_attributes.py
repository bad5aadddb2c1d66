"""A plain field's value lives in its instances only: the model class has no attribute of
that name, so CPython specialises reading and writing it. ``Model.field`` is still the
field; a field that overrides an inherited attribute stays on the class, and so does a
column once a query does not load it, so that reading it says so. A foreign key's column
(``post.author_id``) is off the class too, until an instance holds an object assigned
before it had a key (the column reads that object's key)."""

import copy
import dis
import pickle
import sys
from typing import Any, ClassVar

import pytest

import aksara
from aksara import Model, fields
from aksara.fields.relation_base import AttnameDescriptor
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
    # A relation and a many-to-many manager do work: they stay. The key column is plain.
    assert {"author", "readers"} <= set(vars(AtBook))
    assert "author_id" not in _class_attributes(AtKeyed)


def test_the_class_gives_its_fields():
    assert AtAuthor.name is AtAuthor._meta.fields["name"]
    assert AtNote.created is AtNote._meta.fields["created"]
    assert AtNote.created is not AtStamped.created  # each model has its own copy
    assert AtStamped.created is AtStamped._meta.fields["created"]
    assert AtAuthor.table is AtAuthor._meta.fields["table"]  # the field wins, as before
    assert AtBook.table is AtBook._meta.table and AtBook.c.title is AtBook._meta.table.c.title
    assert AtBook.author_id is AtBook._meta.fields["author"]
    assert {"name", "profile", "table", "objects"} <= set(dir(AtAuthor))
    assert {"author", "author_id", "title"} <= set(dir(AtBook))
    assert "objects" not in dir(Model) and "save" in dir(Model)
    assert hasattr(AtAuthor, "name") and not hasattr(AtAuthor, "nope")
    with pytest.raises(AttributeError, match="type object 'AtAuthor' has no attribute 'nope'"):
        AtAuthor.nope  # noqa: B018
    with pytest.raises(AttributeError):
        AtAuthor._private  # noqa: B018


def _attribute_opnames(obj: Model, name: str, value: Any) -> set[str]:
    """The attribute instructions of a function that writes and reads ``obj.<name>``, once
    CPython has adapted them to what it saw."""
    namespace: dict[str, Any] = {}
    exec(f"def touch(obj, value):\n    obj.{name} = value\n    return obj.{name}\n", namespace)
    touch = namespace["touch"]
    for _ in range(2000):
        touch(obj, value)
    return {i.opname for i in dis.get_instructions(touch, adaptive=True) if "ATTR" in i.opname}


def test_cpython_specialises_field_reads_and_writes():
    for obj, name, value in (
        (AtAuthor(name="x"), "name", "n"),
        (AtKeyed(owner_id=1), "owner_id", 2),
    ):
        ops = _attribute_opnames(obj, name, value)
        assert "STORE_ATTR_INSTANCE_VALUE" in ops and "LOAD_ATTR_INSTANCE_VALUE" in ops, ops


class AtOwner(Model):
    id = fields.Integer(primary_key=True)  # made by the database on insert
    name = fields.String(max_length=40)


class AtKeyed(Model):
    """A foreign key's column attribute (``owner_id``) is off the class too."""

    owner = fields.ForeignKey(AtOwner, on_delete=aksara.CASCADE, related_name="keyed")
    label = fields.String(max_length=40, default="")


class AtEarly(Model):
    """Its instances get an owner assigned before the owner has a key."""

    owner = fields.ForeignKey(AtOwner, on_delete=aksara.CASCADE, related_name="early")


async def test_a_key_column_reads_the_key_of_an_object_assigned_before_it_had_one(db):
    await aksara.create_all()
    assert "owner_id" not in vars(AtEarly) and AtEarly.owner_id is AtEarly._meta.fields["owner"]
    owner = AtOwner(name="later")
    early = AtEarly(owner=owner)
    # Its descriptor went on the class: the column reads the object's key (none yet).
    assert isinstance(vars(AtEarly)["owner_id"], AttnameDescriptor)
    assert early.owner_id is None and early.owner is owner
    with pytest.raises(aksara.ValidationError, match="is not saved"):
        await early.save()
    await owner.save()
    assert early.owner_id == owner.pk
    await early.save()
    assert (await AtEarly.objects.get(pk=early.pk)).owner_id == owner.pk
    assert AtEarly.owner_id is AtEarly._meta.fields["owner"]
    # Another model's instances are not concerned.
    assert "owner_id" not in vars(AtKeyed)


class AtPickled(Model):
    """Pickled with an owner that has no key yet, unpickled where no instance lacked one."""

    owner = fields.ForeignKey(AtOwner, on_delete=aksara.CASCADE, related_name="pickled")


def test_an_unpickled_instance_lacking_a_column_puts_its_attribute_on_the_class():
    """As in a process where no instance lacked the column before."""
    data = pickle.dumps(AtPickled(owner=AtOwner(name="later")))
    type.__delattr__(AtPickled, "owner_id")  # the class as a new process has it
    twin = pickle.loads(data)
    assert isinstance(vars(AtPickled)["owner_id"], AttnameDescriptor)
    assert twin.owner_id is None and twin.owner.name == "later"
    twin.owner.id = 7
    assert twin.owner_id == 7
    whole = AtDeferred(name="n", profile={"a": 1})
    assert copy.copy(whole).profile == {"a": 1} and "name" not in vars(AtDeferred)


async def test_unpickled_instances_share_their_keys_and_keep_their_relations(db):
    await aksara.create_all()
    owner = await AtOwner.objects.create(name="o")
    await AtKeyed.objects.create(owner=owner, label="a")
    loaded = await AtKeyed.objects.select_related("owner").get(label="a")
    twin = pickle.loads(pickle.dumps(loaded))
    # Laid out as a loaded instance's: its __dict__ shares its keys with the class's others.
    assert sys.getsizeof(vars(twin)) == sys.getsizeof(vars(loaded))
    assert twin.owner.name == "o" and twin.owner_id == owner.pk
    # A pickle made when relation caches were named "_rel:<name>" loads into today's name.
    state = {k.replace("_rel_", "_rel:"): v for k, v in vars(loaded).items()}
    old = AtKeyed.__new__(AtKeyed)
    old.__setstate__(state)
    assert "_rel_owner" in vars(old) and "_rel:owner" not in vars(old)
    assert old.owner.name == "o"


async def test_refresh_drops_loaded_relations_and_nothing_else(db):
    await aksara.create_all()
    owner = await AtOwner.objects.create(name="o")
    await AtKeyed.objects.create(owner=owner, label="a")
    keyed = await AtKeyed.objects.select_related("owner").get(label="a")
    vars(keyed)["_rel_note"] = "an application's own attribute"
    await keyed.refresh_from_db()
    assert "_rel_owner" not in vars(keyed) and vars(keyed)["_rel_note"].startswith("an")
    owner_side = await AtOwner.objects.prefetch_related("keyed").get(pk=owner.pk)
    assert "_rel_keyed" in vars(owner_side)
    await owner_side.refresh_from_db()
    assert "_rel_keyed" not in vars(owner_side)


async def test_a_key_column_not_loaded_says_so(db):
    await aksara.create_all()
    owner = await AtOwner.objects.create(name="o")
    made = await AtKeyed.objects.create(owner=owner, label="l")
    light = await AtKeyed.objects.only("label").get(pk=made.pk)
    with pytest.raises(AttributeError, match=r"AtKeyed\.owner_id was not loaded by the query"):
        light.owner_id  # noqa: B018
    with pytest.raises(AttributeError, match=r"AtKeyed\.owner is not loaded"):
        light.owner  # noqa: B018
    full = await AtKeyed.objects.select_related("owner").get(pk=made.pk)
    assert full.owner_id == owner.pk and full.owner.name == "o"


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
    assert "name" not in vars(AtDeferred)  # every query loads it: it stays off the class
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


class AtOwnerMixin:
    @property
    def owner_id(self) -> str:
        return "mixin"


class AtShadowingKey(AtOwnerMixin, Model):
    """A foreign key whose column is named like a property it inherits."""

    owner = fields.ForeignKey(AtOwner, on_delete=aksara.CASCADE, related_name="shadowing")


async def test_a_field_overriding_an_inherited_attribute_stays_on_the_class(db):
    await aksara.create_all()
    shadowing = AtShadowing(display_name="x", is_saved=True, mro=3)
    assert (shadowing.display_name, shadowing.is_saved, shadowing.mro) == ("x", True, 3)
    for name in ("display_name", "is_saved", "mro"):
        assert getattr(AtShadowing, name) is AtShadowing._meta.fields[name]
    assert AtStatus.status is AtStatus._meta.fields["status"]
    assert isinstance(vars(AtShadowingKey)["owner_id"], AttnameDescriptor)
    assert AtShadowingKey(owner_id=4).owner_id == 4
    assert AtShadowingKey.owner_id is AtShadowingKey._meta.fields["owner"]
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
