"""Helpers of the field tests: real column types, rejected saves, models declared in a test."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import sqlalchemy as sa

from aksara import Model
from aksara.db import get_database
from aksara.exceptions import ValidationError
from aksara.query._compile import DIALECT
from aksara.registry import registry


async def column_type(model: type[Model], field: str) -> str:
    """The column's type as PostgreSQL reports it (``character varying(100)``, ``vector(3)``)."""
    table = model._meta.table
    column = model._meta.get_field(field).column_name
    return await get_database().fetchval(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace "
        "AND a.attname = $2 AND NOT a.attisdropped",
        [table.name, column],
    )


async def information_schema_type(model: type[Model], field: str) -> tuple[str, str]:
    """``(data_type, is_nullable)`` from ``information_schema.columns``."""
    row = await get_database().fetchrow(
        "SELECT data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
        [model._meta.table.name, model._meta.get_field(field).column_name],
    )
    return row["data_type"], row["is_nullable"]


async def assert_rejected(model: type[Model], field: str, message: str, **values: Any) -> None:
    """``create(**values)`` fails validation on ``field`` with ``message`` and writes nothing."""
    before = await model.objects.count()
    with pytest.raises(ValidationError) as info:
        await model.objects.create(**values)
    messages = info.value.errors.get(field, [])
    assert any(message in m for m in messages), info.value.errors
    assert await model.objects.count() == before


async def create_tables(*models: type[Model]) -> None:
    """Create tables inside the test's transaction (rolled back with it)."""
    database = get_database()
    for model in models:
        table = model._meta.table
        await database.execute(str(sa.schema.CreateTable(table).compile(dialect=DIALECT)))
        for index in table.indexes:
            await database.execute(str(sa.schema.CreateIndex(index).compile(dialect=DIALECT)))


@pytest.fixture
async def local_models(db: Any) -> AsyncIterator[Callable[..., Any]]:
    """For models declared inside a test (the spec's examples, with the spec's names):
    ``await local_models(User, Post)`` creates their tables in the test's transaction; the
    models leave the registry and the metadata when the test ends."""
    yield create_tables
    for model in list(registry.models.values()):
        if "<locals>" in model.__qualname__ and model.__module__.startswith("tests.fields."):
            registry.unregister(model)
