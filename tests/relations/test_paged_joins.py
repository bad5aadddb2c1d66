"""select_related rows: a page with OFFSET is cut before the joins; rows that share a
related row share its instance."""

from aksara.testing import capture_queries
from tests.relations.models import RlAuthor, RlPost, RlProfile


async def blog() -> None:
    authors = [
        await RlAuthor.objects.create(name=f"Author {i}", email=f"p{i}@example.com")
        for i in range(3)
    ]
    for i in range(12):
        await RlPost.objects.create(
            title=f"Post {i:02}",
            rank=i % 4,
            author=authors[i % 3],
            editor=authors[(i + 1) % 3] if i % 2 else None,
        )


def described(posts: list[RlPost]) -> list[tuple]:
    return [(p.title, p.author.name, p.editor.name if p.editor else None) for p in posts]


async def test_a_page_reads_as_the_same_rows_of_the_whole_list(db):
    await blog()
    qs = RlPost.objects.select_related("author", "editor").order_by("-rank", "title")
    everything = described(await qs)
    with capture_queries() as queries:
        page = described(await qs[3:7])
        single = await qs[5]
        assert single.author.name == everything[5][1]
    assert page == everything[3:7]
    assert len(queries) == 2
    sql = queries.sql[0]
    # The page is cut before the joins: OFFSET comes inside the subquery, before any JOIN.
    assert sql.index("OFFSET") < sql.index("JOIN")


async def test_the_default_ordering_and_filters_apply_to_the_page(db):
    await blog()
    qs = RlPost.objects.select_related("author", "editor").filter(author__name="Author 1")
    everything = described(await qs)
    assert described(await qs[1:3]) == everything[1:3]


async def test_ordering_by_a_related_field_joins_before_the_page(db):
    await blog()
    qs = RlPost.objects.select_related("author", "editor").order_by("author__name", "title")
    everything = described(await qs)
    with capture_queries() as queries:
        page = described(await qs[4:8])
    assert page == everything[4:8]
    assert queries.sql[0].index("JOIN") < queries.sql[0].index("OFFSET")


async def test_a_missing_related_row_leaves_the_rows_below_it_unset(db):
    await blog()
    ada = await RlAuthor.objects.get(name="Author 0")
    await RlProfile.objects.create(author=ada, bio="hers")
    posts = await RlPost.objects.select_related("editor__profile", "author__profile")
    with capture_queries() as queries:
        seen = {
            (
                p.editor is None,
                p.editor.profile.bio if p.editor and p.editor.profile else None,
                p.author.profile.bio if p.author.profile else None,
            )
            for p in posts
        }
        assert all(p.author.profile.author is p.author for p in posts if p.author.profile)
    assert len(queries) == 0
    assert seen == {
        (True, None, "hers"),
        (True, None, None),
        (False, "hers", None),
        (False, None, None),
        (False, None, "hers"),
    }


async def test_rows_that_share_a_related_row_share_its_instance(db):
    await blog()
    posts = await RlPost.objects.select_related("author").order_by("title")
    by_author: dict[int, set[int]] = {}
    for post in posts:
        by_author.setdefault(post.author_id, set()).add(id(post.author))
    assert len(by_author) == 3
    assert all(len(instances) == 1 for instances in by_author.values())
    # One change to the shared instance is seen from every row, as after prefetch_related.
    posts[0].author.name = "Renamed"
    assert {p.author.name for p in posts if p.author_id == posts[0].author_id} == {"Renamed"}
