"""IntegrityError subclasses name the model, the constraint and its fields."""

import uuid

import pytest

import aksara
from aksara import Model, fields
from aksara.exceptions import (
    CheckViolation,
    ForeignKeyViolation,
    IntegrityError,
    NotNullViolation,
    UniqueViolation,
)
from tests.query.models import Author
from tests.relations.models import RlAuthor, RlPost


class IeStock(Model):
    sku = fields.String(max_length=20, unique=True)
    count = fields.PositiveInteger(default=0)


async def test_a_duplicate_is_a_unique_violation_naming_model_and_fields(db):
    await Author.objects.create(name="A", email="a@x")
    with pytest.raises(UniqueViolation) as caught:
        async with aksara.transaction():
            await Author.objects.create(name="B", email="a@x")
    error = caught.value
    assert isinstance(error, IntegrityError)
    assert error.model == "Author" and error.fields == ("email",)
    assert error.constraint and error.constraint in str(error)
    assert str(error).startswith("Author: the unique constraint")


async def test_a_missing_parent_is_a_foreign_key_violation(db):
    with pytest.raises(ForeignKeyViolation) as caught:
        async with aksara.transaction():
            await RlPost.objects.create(title="x", author_id=uuid.uuid4())
    assert caught.value.model == "RlPost" and caught.value.fields == ("author",)


async def test_check_and_not_null_violations(db):
    table = IeStock._meta.table_name
    with pytest.raises(CheckViolation) as caught:
        async with aksara.transaction():
            await aksara.get_database().execute(
                f"INSERT INTO {table} (id, sku, count) VALUES ($1, 'a', -1)", [uuid.uuid4()]
            )
    assert caught.value.model == "IeStock" and caught.value.fields == ("count",)
    with pytest.raises(NotNullViolation) as caught_null:
        async with aksara.transaction():
            await aksara.get_database().execute(
                f"INSERT INTO {table} (id, count) VALUES ($1, 1)", [uuid.uuid4()]
            )
    assert caught_null.value.model == "IeStock" and caught_null.value.fields == ("sku",)


async def test_tables_of_no_model_still_raise_the_subclass(db):
    database = aksara.get_database()
    async with aksara.transaction():
        await database.execute("CREATE TEMP TABLE ie_free (k int UNIQUE)")
        await database.execute("INSERT INTO ie_free VALUES (1)")
        with pytest.raises(UniqueViolation) as caught:
            async with aksara.transaction():
                await database.execute("INSERT INTO ie_free VALUES (1)")
    assert caught.value.model is None and caught.value.fields == ()
    assert RlAuthor  # the relation models are registered
