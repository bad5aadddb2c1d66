"""The aksara pytest plugin (registered through the ``pytest11`` entry point).

Fixtures (the database ones need pytest-asyncio: ``pip install "aksara-orm[testing]"``; without
it the plugin still loads, and a test asking for them is told what to install):

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

Any event loop scope works: connections belong to the loop that opened them, so unless
fixtures share one loop for the whole session (``asyncio_default_fixture_loop_scope =
"session"``, the fastest setup), they are closed after each test and the next test opens its
own (a few milliseconds).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

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

try:
    import pytest_asyncio
except ImportError:  # the database fixtures say what to install when a test asks for them
    pytest_asyncio = None  # type: ignore[assignment]

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

NEEDS_PYTEST_ASYNCIO = (
    "aksara's database fixtures need pytest-asyncio: pip install 'aksara-orm[testing]' "
    "(or pytest-asyncio)"
)


def _fixture_loop_scope(config: pytest.Config) -> str:
    """The event loop scope of function-scoped async fixtures (pytest-asyncio's setting)."""
    try:
        scope = config.getini("asyncio_default_fixture_loop_scope")
    except ValueError:  # pytest-asyncio is not active
        return "function"
    return str(scope or "function")


if pytest_asyncio is not None:

    @pytest_asyncio.fixture(scope="session", loop_scope="session")
    async def aksara_database() -> AsyncIterator[Database]:
        """The test database, with every model's table created once for the session."""
        # Directly under the temp root: when running as root the server runs as another user,
        # which cannot enter pytest's private (0700) temp directories.
        name = f"aksara-test-pg-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        url = os.environ.get(TEST_URL_VARIABLE)
        if url is None:
            server = embedded.start(str(Path(tempfile.gettempdir()) / name), cleanup=True)
            url = str(server.get_uri())
        database = await connect(url)
        await database.ensure_vector_extension()
        await drop_all()
        await create_all()
        # These connections belong to this (session) loop; each test opens what it needs.
        await database.close_connections()
        yield database
        await disconnect()

    @pytest_asyncio.fixture
    async def _aksara_connections(
        aksara_database: Database, request: pytest.FixtureRequest
    ) -> AsyncIterator[Database]:
        set_database(aksara_database)
        try:
            yield aksara_database
        finally:
            if _fixture_loop_scope(request.config) != "session":
                # This test's loop ends with it; the next one opens connections of its own.
                await aksara_database.close_connections()

    @pytest_asyncio.fixture
    async def db(_aksara_connections: Database) -> AsyncIterator[Database]:
        """Run the test inside a transaction that is rolled back afterwards."""
        async with _aksara_connections.pin():
            yield _aksara_connections

    @pytest_asyncio.fixture
    async def transactional_db(_aksara_connections: Database) -> AsyncIterator[Database]:
        """Let the test commit for real; truncate every table afterwards."""
        try:
            yield _aksara_connections
        finally:
            await truncate_tables(_aksara_connections)

else:

    def _needs_pytest_asyncio() -> Iterator[Any]:
        raise pytest.UsageError(NEEDS_PYTEST_ASYNCIO)

    aksara_database = pytest.fixture(scope="session", name="aksara_database")(_needs_pytest_asyncio)
    db = pytest.fixture(name="db")(_needs_pytest_asyncio)
    transactional_db = pytest.fixture(name="transactional_db")(_needs_pytest_asyncio)


async def truncate_tables(database: Database) -> None:
    """Empty every model's table (``TRUNCATE ... CASCADE``), names quoted by SQLAlchemy."""
    quote = database.dialect.identifier_preparer.quote
    tables = [quote(t.name) for t in metadata.sorted_tables]
    if tables:
        await database.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
