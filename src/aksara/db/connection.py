"""The process-wide database: ``connect()``, ``disconnect()``, ``get_database()``."""

from __future__ import annotations

from typing import Any

from aksara.conf import get_settings
from aksara.db import embedded
from aksara.db.database import Database
from aksara.exceptions import ConfigurationError

_database: Database | None = None


async def connect(url: str | None = None, **engine_options: Any) -> Database:
    """Connect aksara to PostgreSQL and return the ``Database``.

    The URL is ``url``, else ``settings.database_url`` (``AKSARA_DATABASE_URL``), else an
    embedded PostgreSQL with pgvector started in ``settings.embedded_data_dir`` and reused
    across runs. ``engine_options`` go to SQLAlchemy's ``create_async_engine``.
    """
    global _database
    if _database is not None:
        await _database.close()
    settings = get_settings()
    url = url or settings.database_url
    server = None
    if url is None:
        server = embedded.start(settings.embedded_data_dir)
        url = str(server.get_uri())
    database = Database(url, **engine_options)
    database.embedded = server
    _database = database
    if server is not None:
        await database.ensure_vector_extension()
    return database


async def disconnect() -> None:
    """Close the pool of the database opened by ``connect()``."""
    global _database
    if _database is not None:
        database, _database = _database, None
        await database.close()


def get_database() -> Database:
    """The connected database, or a clear error when ``connect()`` was not awaited."""
    if _database is None:
        raise ConfigurationError("aksara is not connected: call `await aksara.connect()` first")
    return _database


def set_database(database: Database | None) -> None:
    """Make ``database`` the process-wide one (used by the test plugin and applications)."""
    global _database
    _database = database


async def create_all() -> None:
    """Create every model's table (and the vector extension when needed). For tests and quick starts;
    Alembic owns real schemas."""
    from aksara.models.registry import metadata, registry

    database = get_database()
    missing = registry.unresolved()
    if missing:
        raise ConfigurationError(
            f"Relations point at models that were never defined: {', '.join(missing)}"
        )
    if _uses_vector(metadata):
        if not await database.ensure_vector_extension():
            raise ConfigurationError(
                "A model has a Vector field but the PostgreSQL server has no `vector` "
                "extension (pgvector); install it or use the embedded server"
            )
    await database.run_ddl(metadata.create_all)


async def drop_all() -> None:
    """Drop every model's table."""
    from aksara.models.registry import metadata

    await get_database().run_ddl(metadata.drop_all)


def _uses_vector(metadata: Any) -> bool:
    import pgvector.sqlalchemy as pgv

    kinds = tuple(
        t for t in (getattr(pgv, n, None) for n in ("VECTOR", "HALFVEC", "SPARSEVEC")) if t
    )
    return any(
        isinstance(column.type, kinds)
        for table in metadata.tables.values()
        for column in table.columns
    )
