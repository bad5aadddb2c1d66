"""``values()``/``values_list()`` read the same key paths as ``filter()``: JSON keys and
indexes, after relations too."""

import pytest

from aksara.exceptions import QueryError
from tests.query.models import Author
from tests.relations.models import RlAuthor, RlPost


async def test_json_key_paths_in_values_and_filter_agree(db):
    await Author.objects.create(
        name="Ada", email="ada@example.com", profile={"lang": "en", "tags": ["x", "y"], "n": 2}
    )
    await Author.objects.create(name="Bo", email="bo@example.com", profile={"lang": "fr"})
    rows = await Author.objects.filter(profile__lang="en").values("name", "profile__lang")
    assert rows == [{"name": "Ada", "profile__lang": "en"}]
    assert await Author.objects.order_by("name").values_list(
        "profile__tags__1", "profile__n", "profile__missing"
    ) == [("y", 2, None), (None, None, None)]
    assert await Author.objects.order_by("-profile__lang").values_list(
        "profile__lang", flat=True
    ) == ["fr", "en"]
    # After the field every part is a key, even one named like a lookup.
    await Author.objects.create(name="Cy", email="cy@example.com", profile={"contains": 1})
    assert await Author.objects.filter(name="Cy").values_list("profile__contains", flat=True) == [1]


async def test_json_keys_after_a_relation(db):
    author = await RlAuthor.objects.create(
        name="Ann", email="ann@example.com", settings={"theme": "dark"}
    )
    await RlPost.objects.create(title="P", author=author)
    assert await RlPost.objects.values("title", "author__settings__theme") == [
        {"title": "P", "author__settings__theme": "dark"}
    ]
    assert await RlPost.objects.filter(author__settings__theme="dark").count() == 1


def test_paths_that_select_nothing_are_query_errors():
    with pytest.raises(QueryError, match="cannot resolve 'lang' in 'name__lang'"):
        Author.objects.values("name__lang")
    with pytest.raises(QueryError, match=r"multi-valued .* use prefetch_related\('tags'\)"):
        RlPost.objects.values("tags__name")
    with pytest.raises(QueryError, match="no column to select"):
        RlPost.objects.values("tags")
    with pytest.raises(QueryError):
        Author.objects.values("nothing__lang")
