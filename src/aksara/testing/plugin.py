"""The aksara pytest plugin (registered through the ``pytest11`` entry point).

Fixtures:

- ``aksara_database`` (session): connects to ``AKSARA_TEST_DATABASE_URL``, or starts one
  embedded PostgreSQL for the whole run in a temporary directory, and creates every
  model's table.
- ``db``: isolates a test in a transaction that is rolled back at the end. Every
  statement of the test (and of an ASGI app it drives) joins it; ``aksara.transaction()``
  blocks become savepoints, and their ``on_commit`` hooks run when the block ends, as a
  commit would.
- ``transactional_db``: real commits (for concurrency and connection tests); every
  table is truncated afterwards.
- ``mailoutbox``, ``smtp_server``: see ``aksara.testing.mail``.
- ``memory_media_storage``, ``moto_s3_server``, ``s3_storages``, ``s3_media_storage``: see
  ``aksara.testing.media``.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from aksara.db import Database, connect, disconnect, embedded, set_database
from aksara.registry import metadata
from aksara.schema import create_all, drop_all
from aksara.testing.mail import mailoutbox, smtp_server
from aksara.testing.media import (
    memory_media_storage,
    moto_s3_server,
    s3_media_storage,
    s3_storages,
)

__all__ = [
    "aksara_database",
    "db",
    "mailoutbox",
    "memory_media_storage",
    "moto_s3_server",
    "s3_media_storage",
    "s3_storages",
    "smtp_server",
    "transactional_db",
]

TEST_URL_VARIABLE = "AKSARA_TEST_DATABASE_URL"


async def _open_database(tmp_dir: str) -> Database:
    url = os.environ.get(TEST_URL_VARIABLE)
    if url is None:
        server = embedded.start(tmp_dir, cleanup=True)
        url = str(server.get_uri())
    database = await connect(url)
    await database.ensure_vector_extension()
    return database


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def aksara_database() -> AsyncIterator[Database]:
    """The test database, with every model's table created once for the session."""
    # Directly under the temp root: when running as root the server runs as another user,
    # which cannot enter pytest's private (0700) temp directories.
    data_dir = Path(tempfile.gettempdir()) / f"aksara-test-pg-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    database = await _open_database(str(data_dir))
    await drop_all()
    await create_all()
    yield database
    await disconnect()


@pytest_asyncio.fixture(loop_scope="session")
async def db(aksara_database: Database) -> AsyncIterator[Database]:
    """Run the test inside a transaction that is rolled back afterwards."""
    set_database(aksara_database)
    async with aksara_database.pin():
        yield aksara_database


@pytest_asyncio.fixture(loop_scope="session")
async def transactional_db(aksara_database: Database) -> AsyncIterator[Database]:
    """Let the test commit for real; truncate every table afterwards."""
    set_database(aksara_database)
    try:
        yield aksara_database
    finally:
        await truncate_tables(aksara_database)


async def truncate_tables(database: Database) -> None:
    """Empty every model's table (``TRUNCATE ... CASCADE``), names quoted by SQLAlchemy."""
    quote = database.dialect.identifier_preparer.quote
    tables = [quote(t.name) for t in metadata.sorted_tables]
    if tables:
        await database.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
