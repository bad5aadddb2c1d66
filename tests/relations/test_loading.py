"""select_related (JOINs), prefetch_related (one query per relation) and fetch_related."""

import pytest

import aksara
from aksara.exceptions import FieldError, QueryError
from aksara.query import prefetch_related_objects
from aksara.testing import capture_queries
from tests.relations.models import RlAuthor, RlComment, RlPost, RlProfile, RlTag


async def make_blog(posts: int) -> list[RlAuthor]:
    authors = [
        await RlAuthor.objects.create(name=f"Author {i}", email=f"a{i}@example.com")
        for i in range(3)
    ]
    await RlProfile.objects.create(author=authors[0], bio="first")
    tags = [await RlTag.objects.create(name=f"tag{i}") for i in range(4)]
    for i in range(posts):
        post = await RlPost.objects.create(
            title=f"Post {i:02}", author=authors[i % 3], editor=authors[0] if i % 2 else None
        )
        await post.tags.add(*tags[: i % 4])
    return authors


def listing(posts: list[RlPost]) -> list[tuple]:
    return [
        (p.title, p.author.name, p.editor.name if p.editor else None, [t.name for t in p.tags])
        for p in posts
    ]


@pytest.mark.parametrize("posts", [3, 12])
async def test_listing_posts_with_authors_and_tags_takes_two_queries(db, posts):
    await make_blog(posts)
    with capture_queries() as queries:
        found = await RlPost.objects.select_related("author", "editor").prefetch_related("tags")
        rows = listing(found)
    assert len(queries) == 2
    assert len(rows) == posts
    assert rows[1] == ("Post 01", "Author 1", "Author 0", ["tag0"])
    assert rows[2] == ("Post 02", "Author 2", None, ["tag0", "tag1"])
    assert "LEFT OUTER JOIN" in queries.sql[0]


@pytest.mark.parametrize("posts", [3, 12])
async def test_prefetching_every_relation_kind_is_one_query_each(db, posts):
    await make_blog(posts)
    with capture_queries() as queries:
        authors = await RlAuthor.objects.prefetch_related("posts__tags", "profile", "edited_posts")
        summary = [
            (
                a.name,
                a.profile.bio if a.profile else None,
                [(p.title, len(list(p.tags))) for p in a.posts],
                len(list(a.edited_posts)),
            )
            for a in authors
        ]
    assert len(queries) == 5  # authors, posts, tags of those posts, profiles, edited posts
    assert summary[0][0] == "Author 0" and summary[0][1] == "first"
    assert summary[1][1] is None
    assert sum(len(s[2]) for s in summary) == posts
    assert summary[0][3] == posts // 2
    # Each prefetched post knows its author without a query.
    with capture_queries() as queries:
        assert all(p.author is authors[0] for p in authors[0].posts)
    assert len(queries) == 0


async def test_prefetched_managers_answer_without_queries(db):
    await make_blog(4)
    posts = await RlPost.objects.prefetch_related("tags").order_by("title")
    post = posts[3]
    with capture_queries() as queries:
        assert [t.name for t in await post.tags.all()] == ["tag0", "tag1", "tag2"]
        assert await post.tags.count() == 3
        assert [t.name for t in post.tags] == ["tag0", "tag1", "tag2"]
    assert len(queries) == 0
    # Filtering is a new query; changing the relation forgets the prefetched objects.
    assert [t.name for t in await post.tags.filter(name="tag1")] == ["tag1"]
    await post.tags.remove(await RlTag.objects.get(name="tag1"))
    assert [t.name for t in await post.tags.all()] == ["tag0", "tag2"]


async def test_select_related_follows_chains_and_a_one_to_ones_reverse(db):
    await make_blog(3)
    with capture_queries() as queries:
        post = await RlPost.objects.select_related("author__profile").get(title="Post 00")
        assert post.author.name == "Author 0"
        assert post.author.profile.bio == "first"
        assert post.author.profile.author is post.author
        other = await RlPost.objects.select_related("author__profile").get(title="Post 01")
        assert other.author.profile is None
    assert len(queries) == 2
    with capture_queries() as queries:
        authors = await RlAuthor.objects.select_related("profile")
        assert [a.profile.bio if a.profile else None for a in authors] == ["first", None, None]
    assert len(queries) == 1


async def test_select_related_works_with_filters_ordering_slices_and_only(db):
    await make_blog(6)
    qs = (
        RlPost.objects.select_related("author")
        .filter(tags__name="tag1", author__name__startswith="Author")
        .order_by("-author__name", "title")
    )
    assert [(p.title, p.author.name) for p in await qs] == [
        ("Post 02", "Author 2"),
        ("Post 03", "Author 0"),
    ]
    assert [(p.title, p.author.name) for p in await qs[1:]] == [("Post 03", "Author 0")]
    assert await qs.count() == 2
    partial = await RlPost.objects.only("title").select_related("author").order_by("title")
    assert partial[0].author.name == "Author 0" and partial[0].title == "Post 00"
    async with aksara.transaction():
        locked = await RlPost.objects.select_related("editor").select_for_update().order_by("title")
        assert locked[0].editor is None and locked[1].editor.name == "Author 0"
    async for post in RlPost.objects.select_related("author").filter(title="Post 05"):
        assert post.author.name == "Author 2"
    # Modes without instances ignore select_related.
    assert await RlPost.objects.select_related("author").filter(title="Post 00").values_list(
        "title", flat=True
    ) == ["Post 00"]


async def test_fetch_related_loads_on_request(db):
    authors = await make_blog(3)
    post = await RlPost.objects.get(title="Post 01")
    with capture_queries() as queries:
        await post.fetch_related("author", "editor", "tags")
    assert len(queries) == 3
    assert post.author.name == "Author 1" and post.editor == authors[0]
    assert [t.name for t in post.tags] == ["tag0"]
    # Loading again reads the current rows.
    await post.tags.add(await RlTag.objects.get(name="tag3"))
    await post.fetch_related("tags")
    assert [t.name for t in post.tags] == ["tag0", "tag3"]
    comment = await RlComment.objects.create(post=post, body="hi")
    fresh = await RlComment.objects.get(id=comment.id)
    await fresh.fetch_related("post__author__profile")
    assert fresh.post.author.profile is None and fresh.post.author.name == "Author 1"


async def test_prefetch_related_objects_on_a_list(db):
    await make_blog(5)
    posts = await RlPost.objects.order_by("title")
    with capture_queries() as queries:
        await prefetch_related_objects(posts, "author", "tags")
        await prefetch_related_objects(posts, "author")  # already loaded: no query
    assert len(queries) == 2
    assert [p.author.name for p in posts] == [f"Author {i % 3}" for i in range(5)]


async def test_bad_relation_names_fail_when_the_query_is_built(db):
    with pytest.raises(QueryError, match="RlPost has no relation 'nope'"):
        RlPost.objects.prefetch_related("nope")
    with pytest.raises(QueryError, match=r"RlPost\.title is not a relation"):
        RlPost.objects.select_related("title")
    with pytest.raises(QueryError, match=r"multi-valued.*prefetch_related\('tags'\)"):
        RlPost.objects.select_related("tags")
    with pytest.raises(QueryError, match="RlAuthor has no relation 'nope'"):
        RlPost.objects.prefetch_related("author__nope")


async def test_only_across_relations_loads_the_named_related_fields(db):
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com", settings={"x": 1})
    await RlPost.objects.create(title="p1", author=ada, rank=3)
    qs = RlPost.objects.select_related("author").only("title", "author__name")
    with capture_queries() as queries:
        (post,) = await qs
    assert len(queries) == 1
    sql = queries.sql[0]
    assert "email" not in sql and "settings" not in sql and "rank" not in sql
    assert post.title == "p1" and post.author_id == ada.id
    assert post.author.name == "Ada" and post.author.pk == ada.pk
    with pytest.raises(AttributeError, match="not loaded"):
        post.author.email  # noqa: B018
    with pytest.raises(AttributeError, match="not loaded"):
        post.rank  # noqa: B018
    await post.author.refresh_from_db()
    assert post.author.email == "ada@example.com"
    # select_related() may come first or last; without it only() names what is missing.
    (again,) = await RlPost.objects.only("author__email").select_related("author")
    assert again.author.email == "ada@example.com"
    with pytest.raises(QueryError, match="add select_related\\('author'\\)"):
        await RlPost.objects.only("title", "author__name")
    with pytest.raises(QueryError, match="multi-valued"):
        RlPost.objects.only("tags__name")
    with pytest.raises(FieldError):
        RlPost.objects.only("author__nope")
