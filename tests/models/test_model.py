"""Model definition and instance behaviour."""

import uuid

import pytest
import sqlalchemy as sa

import aksara
from aksara import Model, fields
from aksara.exceptions import ConfigurationError, IntegrityError, ValidationError
from aksara.testing import capture_queries
from tests.query.models import Author, Note


class MdBlogPost(Model):
    title = fields.String(max_length=50)
    tags = fields.JSON(default=list)
    counter = fields.Integer(default=0, db_index=True)

    class Meta:
        table_name = "md_posts"
        unique_together = [("title", "counter")]
        indexes = [aksara.Index("title", "counter", name="ix_md_posts_title_counter")]


class MdTimestamped(Model):
    created = fields.DateTime(auto_now_add=True)

    class Meta:
        abstract = True


class MdEvent(MdTimestamped):
    label = fields.String(max_length=20)


def test_table_name_columns_and_primary_key():
    table = MdBlogPost._meta.table
    assert table.name == "md_posts"
    assert list(table.c.keys()) == ["id", "title", "tags", "counter"]
    assert table.c.id.primary_key and isinstance(table.c.id.type, sa.Uuid)
    assert Note._meta.table.name == "note"
    assert MdEvent._meta.table.name == "md_event"
    assert list(MdEvent._meta.table.c.keys()) == ["id", "created", "label"]


def test_abstract_model_has_no_table_and_cannot_be_instantiated():
    assert MdTimestamped._meta.table is None
    with pytest.raises(TypeError):
        MdTimestamped()


def test_bad_definitions_fail_at_class_creation():
    with pytest.raises(ConfigurationError, match="unknown option"):

        class MdBadMeta(Model):
            x = fields.Integer()

            class Meta:
                colour = "red"

    with pytest.raises(ConfigurationError, match="unexpected option"):
        fields.String(max_len=3)
    with pytest.raises(ConfigurationError):
        fields.String(max_length=0)
    # "\ufb01eld" (with the fi ligature) would be read as "field" in generated code.
    with pytest.raises(ConfigurationError, match="reads as itself.*'field'"):
        type("MdLigature", (Model,), {"__module__": __name__, "\ufb01eld": fields.String()})
    assert aksara.models.registry.get("MdLigature") is None


def test_constraint_names_follow_the_naming_convention():
    table = MdBlogPost._meta.table
    names = {c.name for c in table.constraints}
    assert "pk_md_posts" in names
    assert "uq_md_posts_title_counter" in names
    assert {i.name for i in table.indexes} == {"ix_md_posts_counter", "ix_md_posts_title_counter"}


async def test_indexes_and_constraints_exist_in_postgres(db):
    rows = await db.fetch(
        "SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname", ["md_posts"]
    )
    assert [r[0] for r in rows] == [
        "ix_md_posts_counter",
        "ix_md_posts_title_counter",
        "pk_md_posts",
        "uq_md_posts_title_counter",
    ]


def test_instances_get_defaults_and_own_copies():
    a, b = MdBlogPost(title="a"), MdBlogPost(title="b")
    assert a.tags == [] and a.tags is not b.tags
    assert isinstance(a.id, uuid.UUID) and a.id != b.id
    assert a.counter == 0
    assert not a.is_saved
    with pytest.raises(TypeError, match="unexpected field 'nope'"):
        MdBlogPost(nope=1)


def test_equality_hash_and_repr():
    a = MdBlogPost(title="a")
    b = MdBlogPost(title="b", id=a.id)
    assert a == b and hash(a) == hash(b)
    assert a != MdBlogPost(title="a")
    assert repr(a) == f"<MdBlogPost: MdBlogPost object ({a.id})>"
    assert MdBlogPost.title.name == "title"


async def test_save_inserts_then_updates_only_changed_fields(db):
    post = MdBlogPost(title="first")
    await post.save()
    assert post.is_saved
    loaded = await MdBlogPost.objects.get(id=post.id)
    # Change the row behind the instance's back: an UPDATE of `counter` only must keep it.
    await MdBlogPost.objects.filter(id=post.id).update(title="changed elsewhere")
    loaded.counter = 5
    await loaded.save()
    fresh = await MdBlogPost.objects.get(id=post.id)
    assert fresh.title == "changed elsewhere" and fresh.counter == 5


async def test_in_place_mutation_of_json_is_saved(db):
    post = await MdBlogPost.objects.create(title="t", tags=["a"])
    loaded = await MdBlogPost.objects.get(id=post.id)
    loaded.tags.append("b")
    await loaded.save()
    assert (await MdBlogPost.objects.get(id=post.id)).tags == ["a", "b"]
    post.tags.append("c")  # the instance from create() tracks changes too
    await post.save()
    assert (await MdBlogPost.objects.get(id=post.id)).tags == ["a", "c"]


async def test_save_without_changes_sends_nothing(db):
    post = await MdBlogPost.objects.create(title="t")
    await MdBlogPost.objects.filter(id=post.id).update(title="other")
    await post.save()  # nothing changed on the instance: no UPDATE
    assert (await MdBlogPost.objects.get(id=post.id)).title == "other"


async def test_save_update_fields(db):
    post = await MdBlogPost.objects.create(title="t")
    post.title = "new"
    post.counter = 9
    await post.save(update_fields=["counter"])
    fresh = await MdBlogPost.objects.get(id=post.id)
    assert fresh.title == "t" and fresh.counter == 9
    # What update_fields left out is still a change: the next save() writes it.
    post.tags.append("kept")
    await post.save(update_fields=["counter"])
    await post.save()
    fresh = await MdBlogPost.objects.get(id=post.id)
    assert (fresh.title, fresh.tags, fresh.counter) == ("new", ["kept"], 9)
    with capture_queries() as queries:
        await post.save()  # nothing changed since
    assert len(queries) == 0


async def test_auto_now_and_auto_now_add(db):
    author = await Author.objects.create(name="A", email="a@example.com")
    joined, touched = author.joined, author.touched
    assert joined.tzinfo is not None and touched >= joined
    author.name = "B"
    await author.save()
    assert author.joined == joined and author.touched > touched
    fresh = await Author.objects.get(id=author.id)
    assert fresh.touched == author.touched and fresh.joined == joined


async def test_validation_failure_names_model_and_field_and_writes_nothing(db):
    post = MdBlogPost(title="x" * 51, counter="three")
    with pytest.raises(ValidationError) as info:
        await post.save()
    assert set(info.value.errors) == {"title", "counter"}
    assert info.value.model == "MdBlogPost"
    assert "MdBlogPost.title: Ensure this value has at most 50 characters" in str(info.value)
    assert "MdBlogPost.counter: Expected integer" in str(info.value)
    assert await MdBlogPost.objects.count() == 0
    with pytest.raises(ValidationError, match="cannot be null"):
        await MdBlogPost.objects.create(title=None)
    assert await MdBlogPost.objects.count() == 0


async def test_invalid_update_of_loaded_instance_writes_nothing(db):
    post = await MdBlogPost.objects.create(title="ok")
    post.title = "y" * 80
    with pytest.raises(ValidationError):
        await post.save()
    assert (await MdBlogPost.objects.get(id=post.id)).title == "ok"


async def test_model_clean_hook(db):
    class MdRange(Model):
        low = fields.Integer()
        high = fields.Integer()

        def clean(self):
            if self.low > self.high:
                raise ValidationError("low must not exceed high")

    try:
        item = MdRange(low=5, high=1)
        with pytest.raises(ValidationError, match="MdRange: low must not exceed high"):
            item.full_clean()
    finally:
        aksara.models.registry.unregister(MdRange)


async def test_unique_violation_is_an_integrity_error(db):
    await Author.objects.create(name="A", email="same@example.com")
    with pytest.raises(IntegrityError) as info:
        await Author.objects.create(name="B", email="same@example.com")
    assert info.value.sqlstate == "23505"
    assert info.value.details["constraint"] == "uq_author_email"


async def test_delete_and_refresh(db):
    post = await MdBlogPost.objects.create(title="t")
    await MdBlogPost.objects.filter(id=post.id).update(counter=3)
    await post.refresh_from_db()
    assert post.counter == 3
    assert await post.delete() == 1
    assert not post.is_saved
    assert await MdBlogPost.objects.count() == 0
    with pytest.raises(MdBlogPost.DoesNotExist):
        await post.refresh_from_db()


async def test_objects_is_not_reachable_from_instances():
    with pytest.raises(AttributeError):
        MdBlogPost(title="x").objects  # noqa: B018


class MdCounter(Model):
    id = fields.Integer(primary_key=True)
    label = fields.String(max_length=20)


async def test_integer_primary_key_is_generated_by_the_database(db):
    assert "GENERATED BY DEFAULT AS IDENTITY" in str(
        sa.schema.CreateTable(MdCounter._meta.table).compile(dialect=db.dialect)
    )
    first = await MdCounter.objects.create(label="a")
    second = MdCounter(label="b")
    await second.save()
    assert isinstance(first.id, int) and second.id == first.id + 1
    bulk = await MdCounter.objects.bulk_create([MdCounter(label=f"x{i}") for i in range(3)])
    assert [b.id for b in bulk] == [second.id + 1, second.id + 2, second.id + 3]
    assert [c.label for c in await MdCounter.objects.filter(id__gt=second.id).order_by("id")] == [
        "x0",
        "x1",
        "x2",
    ]
    explicit = await MdCounter.objects.create(id=1000, label="explicit")
    assert (await MdCounter.objects.get(id=1000)) == explicit
    with pytest.raises(aksara.exceptions.QueryError):
        await MdCounter.objects.bulk_create([MdCounter(label="n"), MdCounter(id=5, label="m")])


def test_a_failed_definition_leaves_no_table_or_model_behind():
    class Broken(fields.String):
        def model_ready(self):
            raise ConfigurationError("broken field")

    with pytest.raises(ConfigurationError, match="broken field"):

        class MdBroken(Model):
            name = Broken()

    assert "md_broken" not in aksara.metadata.tables
    assert aksara.models.registry.get("MdBroken") is None


async def test_json_change_tracking_sees_nested_and_type_changes(db):
    from collections import OrderedDict

    post = await MdBlogPost.objects.create(title="j", tags=[{"n": 1, "deep": {"x": [1]}}])
    loaded = await MdBlogPost.objects.get(id=post.id)
    loaded.tags[0]["deep"]["x"].append(2)
    await loaded.save()
    assert (await MdBlogPost.objects.get(id=post.id)).tags[0]["deep"]["x"] == [1, 2]
    # 1 -> True is a change even though 1 == True in Python.
    loaded.tags[0]["n"] = True
    await loaded.save()
    assert (await MdBlogPost.objects.get(id=post.id)).tags[0]["n"] is True
    # A value of a dict subclass is tracked too.
    loaded.tags = [OrderedDict(a=1)]
    await loaded.save()
    loaded.tags[0]["b"] = 2
    await loaded.save()
    assert (await MdBlogPost.objects.get(id=post.id)).tags == [{"a": 1, "b": 2}]
