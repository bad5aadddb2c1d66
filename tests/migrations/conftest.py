"""A fresh database per migration test, on the test server, dropped afterwards."""

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy.engine import make_url

from aksara.db import Database


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_database_url(aksara_database: Database) -> AsyncIterator[str]:
    name = f"aksara_migrations_{uuid.uuid4().hex[:12]}"
    await aksara_database.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(aksara_database.url).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await aksara_database.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
