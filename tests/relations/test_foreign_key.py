"""ForeignKey and OneToOne on instances: assignment, loading, validation, filters on the column."""

import uuid

import pytest

import aksara
from aksara.exceptions import IntegrityError, QueryError, ValidationError
from aksara.testing import capture_queries
from tests.relations.models import (
    RlAuthor,
    RlBadge,
    RlCategory,
    RlPost,
    RlProfile,
    RlSticker,
    RlTag,
)


async def make_author(name: str = "Ada") -> RlAuthor:
    return await RlAuthor.objects.create(name=name, email=f"{name.lower()}@example.com")


async def test_assigning_an_instance_sets_the_id_and_needs_no_query(db):
    ada = await make_author()
    post = RlPost(title="Notes", author=ada)
    assert post.author_id == ada.id
    with capture_queries() as queries:
        assert post.author is ada
    assert len(queries) == 0
    await post.save()
    assert (await RlPost.objects.get(id=post.id)).author_id == ada.id


async def test_assigning_an_id_works_and_the_object_must_then_be_loaded(db):
    ada = await make_author()
    post = await RlPost.objects.create(title="Notes", author=ada.id)
    assert post.author_id == ada.id
    with pytest.raises(AttributeError, match=r"RlPost\.author is not loaded: add select_related"):
        post.author  # noqa: B018
    post = await RlPost.objects.create(title="Other", author_id=str(ada.id))
    assert post.author_id == ada.id  # cleaned to the key's type on save


async def test_loaded_instances_never_query_for_a_relation(db):
    ada = await make_author()
    await RlPost.objects.create(title="Notes", author=ada)
    post = await RlPost.objects.get(title="Notes")
    with capture_queries() as queries:
        assert post.author_id == ada.id
        assert post.editor is None  # a NULL column needs no query
        with pytest.raises(AttributeError, match="fetch_related"):
            post.author  # noqa: B018
    assert len(queries) == 0
    await post.fetch_related("author")
    assert post.author == ada and post.author is not ada


async def test_changing_the_id_drops_a_loaded_object(db):
    ada, grace = await make_author("Ada"), await make_author("Grace")
    post = RlPost(title="Notes", author=ada)
    post.author_id = ada.id
    assert post.author is ada
    post.author_id = grace.id
    with pytest.raises(AttributeError):
        post.author  # noqa: B018
    post.author = grace
    post.author = None
    assert post.author_id is None and post.author is None


async def test_assigning_an_instance_of_another_model_raises(db):
    tag = RlTag(name="x")
    with pytest.raises(ValidationError, match=r"RlPost\.author: Expected a RlAuthor instance"):
        RlPost(title="Notes", author=tag)
    post = RlPost(title="Notes")
    with pytest.raises(ValidationError, match="got a RlTag"):
        post.editor = tag


async def test_saving_with_an_unsaved_related_object_raises_and_writes_nothing(db):
    post = RlPost(title="Notes", author=RlAuthor(name="New", email="new@example.com"))
    with pytest.raises(
        ValidationError, match=r"RlPost\.author: The RlAuthor assigned to author is not saved"
    ):
        await post.save()
    assert await RlPost.objects.count() == 0
    with pytest.raises(ValidationError, match="not saved"):
        await RlPost.objects.bulk_create([post])
    await post.author.save()
    await post.save()
    assert (await RlPost.objects.get(id=post.id)).author_id == post.author.id


async def test_an_object_saved_after_assignment_gives_its_generated_key(db):
    tag = RlTag(name="python")  # integer key made by the database on insert
    badge = RlBadge(label="gold", tag=tag)
    assert badge.tag_id is None and badge.tag is tag
    with pytest.raises(ValidationError, match="RlTag assigned to tag is not saved"):
        await badge.save()
    await tag.save()
    await badge.save()
    assert badge.tag_id == tag.id and isinstance(tag.id, int)
    assert (await RlBadge.objects.get(tag=tag)).label == "gold"


async def test_a_nullable_key_takes_the_key_of_an_object_saved_after_assignment(db):
    tag = RlTag(name="rust")
    sticker = RlSticker(label="round", tag=tag)
    await tag.save()
    await sticker.save()  # not NULL: the assigned object has its key now
    assert sticker.tag_id == tag.id
    assert (await RlSticker.objects.get(id=sticker.id)).tag_id == tag.id
    with pytest.raises(ValidationError, match="RlTag assigned to tag is not saved"):
        await RlSticker(label="square", tag=RlTag(name="go")).save()
    assert await RlSticker.objects.count() == 1


async def test_the_column_of_an_object_assigned_before_it_had_a_key(db):
    tag = RlTag(name="zig")
    sticker = RlSticker(label="round", tag=tag)
    assert sticker.tag_id is None and sticker.tag is tag
    await tag.save()
    assert sticker.tag_id == tag.id  # the column reads the object's key
    sticker.tag_id = None  # a write to the column replaces the object
    assert sticker.tag is None
    await sticker.save()
    assert (await RlSticker.objects.get(id=sticker.id)).tag_id is None
    other = RlTag(name="odin")
    badge = RlBadge(label="gold", tag=other)
    await other.save()
    badge.tag_id = None
    with pytest.raises(ValidationError, match=r"RlBadge\.tag: This field cannot be null"):
        await badge.save()


async def test_a_loaded_row_takes_the_key_of_an_object_saved_after_assignment(db):
    first = await RlTag.objects.create(name="first")
    sticker = await RlSticker.objects.create(label="square", tag=first)
    sticker = await RlSticker.objects.get(id=sticker.id)
    second = RlTag(name="second")
    sticker.tag = second
    with pytest.raises(ValidationError, match="RlTag assigned to tag is not saved"):
        await sticker.save()
    await second.save()
    await sticker.save()
    assert (await RlSticker.objects.get(id=sticker.id)).tag_id == second.id
    assert sticker.tag_id == second.id and sticker.tag is second


async def test_a_loaded_object_follows_the_key_column(db):
    ada, grace = await make_author("Ada"), await make_author("Grace")
    await RlPost.objects.create(title="Notes", author=ada)
    post = await RlPost.objects.select_related("author").get(title="Notes")
    assert post.author == ada
    post.author_id = grace.id  # the loaded Ada no longer matches the column
    with pytest.raises(AttributeError, match="not loaded"):
        post.author  # noqa: B018
    await post.fetch_related("author")
    assert post.author == grace
    await post.save()
    assert (await RlPost.objects.get(id=post.id)).author_id == grace.id


async def test_a_missing_non_null_relation_is_a_validation_error(db):
    with pytest.raises(ValidationError, match=r"RlPost\.author: This field cannot be null"):
        await RlPost.objects.create(title="Orphan")
    with pytest.raises(ValidationError, match="Invalid UUID"):
        await RlPost.objects.create(title="Orphan", author_id="nope")


async def test_a_dangling_id_is_an_integrity_error(db):
    with pytest.raises(IntegrityError) as info:
        async with aksara.transaction():
            await RlPost.objects.create(title="Orphan", author_id=uuid.uuid4())
    assert info.value.sqlstate == "23503"


async def test_update_accepts_instances_and_checks_their_model(db):
    ada, grace = await make_author("Ada"), await make_author("Grace")
    await RlPost.objects.create(title="A", author=ada)
    assert await RlPost.objects.filter(author=ada).update(author=grace, editor=ada) == 1
    post = await RlPost.objects.get(title="A")
    assert (post.author_id, post.editor_id) == (grace.id, ada.id)
    with pytest.raises(ValidationError, match="Expected a RlAuthor or its id, got a RlTag"):
        await RlPost.objects.update(author=RlTag(id=1, name="x"))


async def test_filters_on_the_column_itself(db):
    ada, grace = await make_author("Ada"), await make_author("Grace")
    await RlPost.objects.create(title="A", author=ada, editor=grace)
    await RlPost.objects.create(title="B", author=grace)

    async def titles(**lookups):
        return [p.title for p in await RlPost.objects.filter(**lookups)]

    assert await titles(author=ada) == ["A"]
    assert await titles(author=ada.id) == ["A"]
    assert await titles(author_id=grace.id) == ["B"]
    assert await titles(author__in=[ada, grace.id]) == ["A", "B"]
    assert await titles(author__id=grace.id) == ["B"]
    assert await titles(author__pk__in=[ada.id]) == ["A"]
    assert await titles(editor__isnull=True) == ["B"]
    assert await titles(editor=None) == ["B"]
    sql = RlPost.objects.filter(author__in=[ada]).sql()[0]
    assert "EXISTS" not in sql and "author_id = ANY" in sql
    with pytest.raises(QueryError, match="expected|Expected"):
        await RlPost.objects.filter(author=RlTag(id=1, name="x"))


async def test_refresh_drops_loaded_relations(db):
    ada, grace = await make_author("Ada"), await make_author("Grace")
    post = await RlPost.objects.create(title="A", author=ada)
    await RlPost.objects.filter(id=post.id).update(author=grace)
    await post.refresh_from_db()
    assert post.author_id == grace.id
    with pytest.raises(AttributeError):
        post.author  # noqa: B018


async def test_one_to_one_is_unique_and_its_reverse_is_one_object(db):
    ada = await make_author()
    profile = await RlProfile.objects.create(author=ada, bio="Mathematician")
    with pytest.raises(IntegrityError):
        async with aksara.transaction():
            await RlProfile.objects.create(author=ada)
    with pytest.raises(AttributeError, match=r"RlAuthor\.profile is not loaded"):
        ada.profile  # noqa: B018
    await ada.fetch_related("profile")
    assert ada.profile == profile and ada.profile.author is ada
    grace = await make_author("Grace")
    await grace.fetch_related("profile")
    assert grace.profile is None
    other = RlProfile(bio="x")
    grace.profile = other
    assert other.author_id == grace.id and grace.profile is other


async def test_self_reference(db):
    root = await RlCategory.objects.create(name="root")
    child = await RlCategory.objects.create(name="child", parent=root)
    assert [c.name for c in await root.children.all()] == ["child"]
    assert (await RlCategory.objects.get(parent__name="root")) == child
    assert [c.name for c in await RlCategory.objects.filter(children__name="child")] == ["root"]
