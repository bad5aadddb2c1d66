"""``get(key=value)`` on a queryset with ``select_related()`` or ``prefetch_related()``: its
statement is found by the lookup's shape and the relations the queryset loads, and reads
what ``filter(key=value)`` reads."""

from typing import Any

import pytest

from aksara import Model, fields
from aksara.exceptions import QueryError
from aksara.fields import SET_NULL
from aksara.query import F
from aksara.testing import capture_queries


class GsAuthor(Model):
    name = fields.String(max_length=40)


class GsTag(Model):
    name = fields.String(max_length=40)

    class Meta:
        ordering = ("name",)


class GsPost(Model):
    title = fields.String(max_length=40)
    author = fields.ForeignKey(GsAuthor, on_delete=SET_NULL, nullable=True, related_name="posts")
    tags = fields.ManyToMany(GsTag, related_name="posts")


class GsRevision(Model):
    """Rows with an array column: a prefetch of them is a query of its own, never folded."""

    post = fields.ForeignKey(GsPost, on_delete=SET_NULL, nullable=True, related_name="revisions")
    lines = fields.Array(base_type="integer")


async def posts() -> list[GsPost]:
    ada = await GsAuthor.objects.create(name="ada")
    tags = [await GsTag.objects.create(name=n) for n in ("x", "y", "z")]
    made = []
    for i in range(4):
        post = await GsPost.objects.create(title=f"p{i}", author=ada if i % 2 else None)
        await post.tags.add(*tags[: i % 3])
        await GsRevision.objects.create(post=post, lines=[i, i + 1])
        made.append(post)
    await GsPost.objects.create(title="twin")
    await GsPost.objects.create(title="twin")
    return made


def loaded(post: GsPost) -> dict[str, Any]:
    """What ``post`` has loaded of each relation (absent when not loaded)."""
    out: dict[str, Any] = {"title": post.title}
    for name, read in (
        ("author", lambda p: p.author.name if p.author else None),
        ("tags", lambda p: [t.name for t in p.tags]),
        ("revisions", lambda p: [r.lines for r in p.revisions]),
    ):
        try:
            out[name] = read(post)
        except (AttributeError, QueryError):  # not loaded: an error, never a query
            pass
    return out


QUERYSETS = {
    "joined": lambda: GsPost.objects.select_related("author"),
    "folded": lambda: GsPost.objects.prefetch_related("tags"),
    "both": lambda: GsPost.objects.select_related("author").prefetch_related("tags"),
    "queried": lambda: GsPost.objects.prefetch_related("revisions", "tags"),
}


@pytest.mark.parametrize("kind", sorted(QUERYSETS))
async def test_get_reads_what_filter_reads(db, kind):
    made = await posts()
    qs = QUERYSETS[kind]()
    for post in made:
        got = await qs.get(id=post.id)
        (filtered,) = await qs.filter(id=post.id)
        assert loaded(got) == loaded(filtered)
        assert got.title == post.title and got.author_id == post.author_id
    with pytest.raises(GsPost.DoesNotExist, match=r"GsPost matching \(title='p9'\) does not"):
        await qs.get(title="p9")
    with pytest.raises(GsPost.MultipleObjectsReturned, match="more than one GsPost"):
        await qs.get(title="twin")


async def test_each_set_of_relations_has_its_own_statement(db):
    made = await posts()
    post = made[1]
    # The same lookup on querysets loading different relations, one after the other: the
    # statement of one is never taken for another's.
    found = {kind: loaded(await make().get(id=post.id)) for kind, make in QUERYSETS.items()}
    plain = loaded(await GsPost.objects.get(id=post.id))
    assert found["joined"] == {"title": "p1", "author": "ada"}
    assert found["folded"] == {"title": "p1", "tags": ["x"]}
    assert found["both"] == {"title": "p1", "author": "ada", "tags": ["x"]}
    assert found["queried"] == {"title": "p1", "tags": ["x"], "revisions": [[1, 2]]}
    assert plain == {"title": "p1"}


async def test_one_statement_per_shape_whatever_the_value(db):
    made = await posts()
    qs = GsPost.objects.select_related("author").prefetch_related("tags", "revisions")
    with capture_queries() as queries:
        for post in made:
            await qs.get(id=post.id)
    # The post with its author and tags, then its revisions: the same two statements each time.
    assert len(queries) == 2 * len(made)
    assert len(set(queries.sql)) == 2
    assert "array((SELECT row(" in queries.sql[0] and "JOIN" in queries.sql[0]


async def test_expressions_and_relation_paths_take_the_general_way(db):
    made = await posts()
    qs = GsPost.objects.select_related("author")
    got = await qs.get(author__name="ada", title="p3")
    assert got.id == made[3].id and got.author.name == "ada"
    with pytest.raises(GsPost.MultipleObjectsReturned):
        await qs.get(author__name="ada")
    with pytest.raises(GsPost.MultipleObjectsReturned):
        await qs.get(id=F("id"))
    assert (await qs.filter(title="p2").get(id=F("id"))).id == made[2].id
