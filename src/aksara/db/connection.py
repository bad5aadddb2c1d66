"""The process-wide database: ``connect()`` and ``disconnect()``."""

from __future__ import annotations

from typing import Any

from aksara.conf import get_settings
from aksara.db import _context, embedded
from aksara.db.database import Database


async def connect(
    url: str | None = None, *, verify: bool = True, **engine_options: Any
) -> Database:
    """Connect aksara to PostgreSQL and return the ``Database``.

    The URL is ``url``, else ``settings.database_url`` (``AKSARA_DATABASE_URL``), else an
    embedded PostgreSQL with pgvector started in ``settings.embedded_data_dir`` and reused
    across runs. ``engine_options`` go to SQLAlchemy's ``create_async_engine``.

    The connection is tried at once (one round trip), so a server that is not there raises
    ``DatabaseConnectionError`` here rather than at the first query; ``verify=False`` skips
    that (an application that starts before its database, say).
    """
    settings = get_settings()
    url = url or settings.database_url_value()
    server = None
    if url is None:
        server = embedded.start(settings.embedded_data_dir)
        url = str(server.get_uri())
    database = Database(url, **engine_options)
    database.embedded = server
    if verify:
        try:
            await database.fetchval("SELECT 1")
        except BaseException:
            await database.close()
            raise  # the database connected before (if any) stays in place
    previous = _context.connected()
    if previous is not None:
        await previous.close()
    _context.set_database(database)
    if server is not None:
        await database.ensure_vector_extension()
    return database


async def disconnect() -> None:
    """Close the pool of the database opened by ``connect()``."""
    database = _context.connected()
    if database is not None:
        _context.set_database(None)
        await database.close()
