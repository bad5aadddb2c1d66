"""``obj.field = F("field") + 1; await obj.save()``: the database computes the value, and the
instance holds the result afterwards."""

import asyncio
import datetime

import pytest

from aksara import F, ValidationError, transaction
from aksara.exceptions import DatabaseError
from aksara.testing import capture_queries
from tests.fields.models import FcArticle
from tests.query.models import Author, Note


async def test_an_expression_is_computed_by_the_database_and_read_back(db):
    note = await Note.objects.create(title="n", rank=5)
    note.rank = F("rank") + 2
    note.title = "renamed"
    with capture_queries() as queries:
        await note.save()
    assert len(queries) == 1 and "RETURNING" in queries.sql[0]
    assert note.rank == 7 and note.title == "renamed"
    fresh = await Note.objects.get(pk=note.pk)
    assert (fresh.rank, fresh.title) == (7, "renamed")
    await note.save()  # nothing changed since: no statement
    note.rank = F("rank") * 3 - F("rank")
    await note.save(update_fields=["rank"])
    assert note.rank == 14 == (await Note.objects.get(pk=note.pk)).rank


async def test_concurrent_increments_are_not_lost(transactional_db):
    note = await Note.objects.create(title="counter", rank=0)

    async def bump() -> None:
        copy = await Note.objects.get(pk=note.pk)
        async with transaction():
            copy.rank = F("rank") + 1
            await copy.save()

    await asyncio.gather(*(bump() for _ in range(10)))
    assert (await Note.objects.get(pk=note.pk)).rank == 10


async def test_an_expression_cannot_insert_a_row(db):
    with pytest.raises(ValidationError) as caught:
        await Note.objects.create(title="new", rank=F("rank") + 1)
    assert caught.value.model == "Note"
    assert set(caught.value.errors) == {"rank"}
    assert "cannot insert a row" in caught.value.errors["rank"][0]
    assert "update()" in caught.value.errors["rank"][0]
    assert await Note.objects.count() == 0


async def test_an_expression_where_a_field_fills_itself_is_refused(db):
    article = await FcArticle.objects.create(title="Hello")
    article.slug = F("title")
    with pytest.raises(ValidationError, match="cannot set a field that is filled on save"):
        await article.save()
    author = await Author.objects.create(name="A", email="a@example.com", age=30)
    author.age = F("age") + 1
    author.name = ""  # still validated: nothing is written
    author.email = "not unique?" * 30
    with pytest.raises(ValidationError) as caught:
        await author.save()
    assert "age" not in caught.value.errors
    assert (await Author.objects.get(pk=author.pk)).age == 30


async def test_a_deleted_row_is_reported(db):
    note = await Note.objects.create(title="gone", rank=1)
    await Note.objects.filter(pk=note.pk).delete()
    note.rank = F("rank") + 1
    with pytest.raises(DatabaseError, match="no longer exists"):
        await note.save()


async def test_a_slug_is_never_made_from_an_expression(db):
    article = await FcArticle.objects.create(title="Hello There")
    article.title = F("title")
    article.slug = ""
    with pytest.raises(ValidationError) as caught:
        await article.save()
    assert set(caught.value.errors) == {"title"}
    assert "cannot be the source of slug" in caught.value.errors["title"][0]
    assert (await FcArticle.objects.get(pk=article.pk)).slug == "hello-there"
    fresh = FcArticle(title=F("title"))
    with pytest.raises(ValidationError, match="source of slug"):
        await fresh.save()
    assert not fresh.slug  # nothing was generated from the expression
    fresh.title = "Real Title"
    await fresh.save()
    assert fresh.slug == "real-title"
    article.slug = "kept"  # a slug of its own: the title may be an expression
    article.title = F("title")
    await article.save()
    assert (article.title, article.slug) == ("Hello There", "kept")


async def test_keys_refuse_expressions_and_auto_now_replaces_them(db):
    author = await Author.objects.create(name="A", email="a@example.com")
    author.id = F("id")
    with pytest.raises(ValidationError, match="cannot change the primary key"):
        await author.save()
    author = await Author.objects.get(pk=author.pk)
    author.touched = F("joined")  # auto_now: save() sets it, as it replaces any value
    await author.save()
    assert isinstance(author.touched, datetime.datetime)


async def test_an_expression_on_a_field_a_partial_query_did_not_load_is_written(db):
    note = await Note.objects.create(title="n", rank=1, body="old")
    partial = await Note.objects.only("title").get(pk=note.pk)
    partial.rank = F("rank") + 10
    partial.body = "new"  # a plain value the query did not load either
    await partial.save()
    assert partial.rank == 11
    fresh = await Note.objects.get(pk=note.pk)
    assert (fresh.rank, fresh.body, fresh.title) == (11, "new", "n")
    await partial.save()  # nothing changed since
    assert (await Note.objects.get(pk=note.pk)).rank == 11
    partial.rank = F("rank") + 1
    await partial.save(update_fields=["rank"])
    assert (await Note.objects.get(pk=note.pk)).rank == 12


async def test_bulk_operations_explain_expressions(db):
    with pytest.raises(ValidationError, match="cannot insert a row"):
        await Note.objects.bulk_create([Note(title="a", rank=F("rank") + 1)])
    note = await Note.objects.create(title="b", rank=1)
    note.rank = F("rank") + 1
    with pytest.raises(ValidationError, match="bulk_update"):
        await Note.objects.bulk_update([note], ["rank"])
    assert await Note.objects.count() == 1
