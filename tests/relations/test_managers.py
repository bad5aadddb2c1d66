"""Related managers: ManyToMany (both sides, and to itself) and reverse ForeignKeys."""

import pytest

from aksara.exceptions import QueryError, ValidationError
from aksara.testing import capture_queries
from tests.relations.models import RlAuthor, RlPerson, RlPost, RlTag


@pytest.fixture
async def blog(db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    post = await RlPost.objects.create(title="Engines", author=ada)
    tags = [await RlTag.objects.create(name=n) for n in ("python", "async", "sql")]
    return ada, post, tags


async def names(manager) -> list[str]:
    return [t.name for t in await manager.all()]


async def test_add_remove_clear_and_set(blog):
    _, post, (python, async_, sql) = blog
    await post.tags.add(python, async_.id)
    await post.tags.add(python)  # already related: kept once
    assert await names(post.tags) == ["async", "python"]  # RlTag's Meta.ordering
    assert await post.tags.count() == 2
    await post.tags.remove(python)
    assert await names(post.tags) == ["async"]
    await post.tags.set([sql, python])
    assert await names(post.tags) == ["python", "sql"]
    await post.tags.set([])
    assert await post.tags.count() == 0
    await post.tags.add(sql)
    await post.tags.clear()
    assert not await post.tags.exists()


async def test_adding_many_objects_is_one_statement(blog):
    _, post, tags = blog
    with capture_queries() as queries:
        await post.tags.add(*tags)
    assert len(queries) == 1
    assert "unnest" in queries.sql[0] and "ON CONFLICT DO NOTHING" in queries.sql[0]


async def test_filtering_and_creating_through_the_manager(blog):
    _, post, (python, async_, _) = blog
    await post.tags.add(python, async_)
    assert [t.name for t in await post.tags.filter(name__startswith="py")] == ["python"]
    assert (await post.tags.get(name="async")) == async_
    created = await post.tags.create(name="new")
    assert isinstance(created.id, int)
    assert await names(post.tags) == ["async", "new", "python"]
    tag, made = await post.tags.get_or_create(name="python")
    assert (tag, made) == (python, False)
    tag, made = await post.tags.get_or_create(name="fresh")
    assert made and await post.tags.filter(id=tag.id).exists()


async def test_the_reverse_side_sees_the_same_rows(blog):
    ada, post, (python, _, _) = blog
    other = await RlPost.objects.create(title="Analytical", author=ada)
    await python.posts.add(post, other)
    assert [p.title for p in await python.posts.all()] == ["Analytical", "Engines"]
    assert await names(post.tags) == ["python"]
    await python.posts.remove(other)
    assert [p.title for p in await python.posts.all()] == ["Engines"]
    async for found in python.posts.all():
        assert found == post


async def test_deleting_a_related_object_removes_it_from_the_relation(blog):
    _, post, (python, async_, _) = blog
    await post.tags.add(python, async_)
    await python.delete()
    assert await names(post.tags) == ["async"]


async def test_manager_errors(blog):
    ada, post, (python, _, _) = blog
    with pytest.raises(ValidationError, match=r"RlPost\.tags takes RlTag instances"):
        await post.tags.add(ada)
    with pytest.raises(ValidationError, match="Save the RlTag"):
        await post.tags.add(RlTag(name="unsaved"))
    with pytest.raises(ValidationError, match="Save the RlPost before changing RlPost.tags"):
        await RlPost(title="new", author=ada).tags.add(python)
    with pytest.raises(ValidationError, match="Expected integer"):
        await post.tags.add("not a number")
    with pytest.raises(TypeError, match=r"use `await obj\.tags\.set"):
        post.tags = [python]
    with pytest.raises(TypeError):
        RlPost(title="x", tags=[python])
    with pytest.raises(QueryError, match=r"RlPost\.tags was not prefetched"):
        list(post.tags)


async def test_many_to_many_to_itself(db):
    ann, bob, cy = [await RlPerson.objects.create(name=n) for n in ("Ann", "Bob", "Cy")]
    await ann.follows.add(bob, cy)
    await bob.follows.add(cy)
    assert [p.name for p in await ann.follows.all()] == ["Bob", "Cy"]
    assert [p.name for p in await cy.followers.all()] == ["Ann", "Bob"]
    assert await bob.followers.count() == 1
    # Not symmetrical: Bob does not follow Ann back.
    assert not await bob.follows.filter(name="Ann").exists()
    assert [p.name for p in await RlPerson.objects.filter(follows__name="Cy")] == ["Ann", "Bob"]
    table = RlPerson._meta.get_field("follows").junction
    assert table.name == "rl_follow"
    assert list(table.c.keys()) == ["from_rl_person_id", "to_rl_person_id"]


async def test_reverse_foreign_key_manager(db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    grace = await RlAuthor.objects.create(name="Grace", email="grace@example.com")
    post = await ada.posts.create(title="Engines")
    assert post.author_id == ada.id and post.author is ada
    await ada.posts.create(title="Analytical")
    assert [p.title for p in await ada.posts.all()] == ["Analytical", "Engines"]
    assert [p.title for p in await ada.posts.filter(title__startswith="E")] == ["Engines"]
    assert await ada.posts.count() == 2 and await grace.posts.count() == 0
    # add() moves posts: the foreign key is updated.
    await grace.posts.add(post)
    assert post.author_id == grace.id
    assert [p.title for p in await grace.posts.all()] == ["Engines"]
    found, created = await grace.posts.get_or_create(title="Compilers")
    assert created and found.author_id == grace.id
    assert await grace.posts.update(rank=3) == 2
    with pytest.raises(QueryError, match=r"remove\(\) would set RlPost\.author to NULL"):
        await grace.posts.remove(post)
    with pytest.raises(QueryError, match="not nullable"):
        await grace.posts.clear()


async def test_nullable_reverse_foreign_key_can_be_cleared(db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    grace = await RlAuthor.objects.create(name="Grace", email="grace@example.com")
    one, two, three = [
        await RlPost.objects.create(title=t, author=ada, editor=grace) for t in ("1", "2", "3")
    ]
    await grace.edited_posts.remove(one)
    assert one.editor_id is None
    assert [p.title for p in await grace.edited_posts.all()] == ["2", "3"]
    await grace.edited_posts.set([one, two])
    assert [p.title for p in await grace.edited_posts.all()] == ["1", "2"]
    await grace.edited_posts.clear()
    assert await RlPost.objects.filter(editor__isnull=True).count() == 3


async def test_abstract_relations_and_hidden_reverse_sides(db):
    from tests.relations.models import RlLink, RlNote

    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    note = await ada.rl_note_items.create(text="remember")
    await ada.rl_link_items.create(url="https://example.com")
    assert note.owner_id == ada.id
    assert await ada.rl_note_items.count() == 1 and await ada.rl_link_items.count() == 1
    assert [a.name for a in await RlAuthor.objects.filter(rl_link_items__url__contains="example")]
    # related_name="+": no accessor on RlTag, but the relation works from RlNote's side.
    tag = await RlTag.objects.create(name="todo")
    await note.labels.add(tag)
    assert [t.name for t in await note.labels.all()] == ["todo"]
    assert [n.text for n in await RlNote.objects.filter(labels__name="todo")] == ["remember"]
    assert not hasattr(RlTag, "rl_note_set") and not hasattr(RlTag, "+")
    with pytest.raises(QueryError, match="RlTag has no field 'rl_note'"):
        RlTag.objects.filter(rl_note__text="remember").sql()
    assert RlLink._meta.get_field("owner").model is RlLink
