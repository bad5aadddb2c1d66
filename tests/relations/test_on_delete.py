"""on_delete against the real database: CASCADE, SET_NULL, RESTRICT and PROTECT."""

import pytest

import aksara
from aksara.exceptions import IntegrityError, ProtectedError
from tests.relations.models import RlAuthor, RlCategory, RlComment, RlPost, RlTag


async def counts() -> dict[str, int]:
    return {
        "authors": await RlAuthor.objects.count(),
        "posts": await RlPost.objects.count(),
        "comments": await RlComment.objects.count(),
        "categories": await RlCategory.objects.count(),
    }


async def make_world():
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    grace = await RlAuthor.objects.create(name="Grace", email="grace@example.com")
    news = await RlCategory.objects.create(name="news")
    first = await RlPost.objects.create(title="First", author=ada, editor=grace, category=news)
    second = await RlPost.objects.create(title="Second", author=ada)
    third = await RlPost.objects.create(title="Third", author=grace, editor=grace)
    return ada, grace, news, (first, second, third)


async def test_cascade_deletes_referencing_rows_and_their_junction_rows(db):
    ada, grace, _, (first, _, _) = await make_world()
    tag = await RlTag.objects.create(name="x")
    await first.tags.add(tag)
    assert await ada.delete() == 1
    assert [p.title for p in await RlPost.objects.all()] == ["Third"]
    assert await tag.posts.count() == 0
    junction = await db.fetchval("SELECT count(*) FROM rl_post_tags")
    assert junction == 0


async def test_set_null_clears_the_reference(db):
    ada, grace, _, _ = await make_world()
    await grace.delete()
    # Grace's own post went with her (CASCADE); she no longer edits Ada's.
    assert [(p.title, p.editor_id) for p in await RlPost.objects.all()] == [
        ("First", None),
        ("Second", None),
    ]


async def test_protect_blocks_the_delete_names_the_model_and_deletes_nothing(db):
    _, _, news, _ = await make_world()
    before = await counts()
    with pytest.raises(ProtectedError) as info:
        await news.delete()
    error = info.value
    # restrict_violation from PostgreSQL 18 on, foreign_key_violation before.
    assert isinstance(error, IntegrityError) and error.sqlstate in ("23001", "23503")
    assert error.blocking_model == "RlPost"
    assert "rows of RlPost still reference it" in str(error)
    # The test's transaction is still usable and every row is in place.
    assert await counts() == before
    assert news.is_saved
    with pytest.raises(ProtectedError):
        await RlCategory.objects.filter(name="news").delete()
    assert await counts() == before
    await RlPost.objects.filter(category=news).update(category=None)
    assert await news.delete() == 1


async def test_protect_outside_a_transaction_names_the_model_and_deletes_nothing(
    transactional_db,
):
    ada, _, news, _ = await make_world()
    assert not aksara.in_transaction()
    with pytest.raises(ProtectedError) as info:
        await news.delete()
    assert info.value.blocking_model == "RlPost"
    assert "rows of RlPost still reference it" in str(info.value)
    assert await RlCategory.objects.filter(name="news").exists() and news.is_saved
    # Through a cascade: Ada's posts would go, and a comment restricts one of them.
    first = await RlPost.objects.get(title="First")
    await RlComment.objects.create(post=first, body="Nice")
    with pytest.raises(ProtectedError) as info:
        await ada.delete()
    assert info.value.blocking_model == "RlComment" and ada.is_saved
    assert await RlPost.objects.filter(author=ada).count() == 2
    await RlPost.objects.filter(category=news).update(category=None)
    assert await news.delete() == 1 and not news.is_saved


async def test_restrict_reached_through_a_cascade_blocks_everything(db):
    ada, _, _, (first, _, _) = await make_world()
    await RlComment.objects.create(post=first, body="Nice")
    before = await counts()
    with pytest.raises(ProtectedError) as info:
        await ada.delete()  # would cascade to First, which a comment restricts
    assert info.value.blocking_model == "RlComment"
    assert await counts() == before
    with pytest.raises(ProtectedError):
        await RlAuthor.objects.all().delete()
    assert await counts() == before


async def test_protected_error_inside_a_transaction_block_can_be_handled(db):
    _, _, news, _ = await make_world()
    async with aksara.transaction():
        try:
            await news.delete()
        except ProtectedError:
            await RlCategory.objects.create(name="kept going")
    assert await RlCategory.objects.filter(name="kept going").exists()
    assert await RlCategory.objects.filter(name="news").exists()


async def test_restrict_without_a_transaction(transactional_db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    post = await RlPost.objects.create(title="First", author=ada)
    await RlComment.objects.create(post=post, body="Nice")
    with pytest.raises(ProtectedError):
        await post.delete()
    assert await counts() == {"authors": 1, "posts": 1, "comments": 1, "categories": 0}


async def test_cascade_follows_a_self_reference(db):
    root = await RlCategory.objects.create(name="root")
    child = await RlCategory.objects.create(name="child", parent=root)
    await RlCategory.objects.create(name="grandchild", parent=child)
    await RlCategory.objects.create(name="other")
    await root.delete()
    assert [c.name for c in await RlCategory.objects.all()] == ["other"]
