"""The example library driven in process: an httpx client on its app, local media, fresh databases."""

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url

from aksara import conf
from aksara.db import Database
from examples.library.app import create_app


@pytest.fixture
def media_root(tmp_path: Path) -> Iterator[Path]:
    """Local media storage in a temporary folder, served at /media/ by the app in debug mode."""
    previous = conf.get_settings()
    root = tmp_path / "media"
    conf.configure(media_storage="filesystem", media_root=str(root), media_url="/media/")
    yield root
    conf.configure(previous)


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: Database, media_root: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The library's app (debug mode) behind httpx's ASGI transport, inside the test's transaction."""
    transport = httpx.ASGITransport(app=create_app(debug=True))
    async with httpx.AsyncClient(transport=transport, base_url="http://library") as client:
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_database_url(aksara_database: Database) -> AsyncIterator[str]:
    """An empty database on the test server, dropped afterwards."""
    name = f"aksara_library_{uuid.uuid4().hex[:12]}"
    await aksara_database.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(aksara_database.url).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await aksara_database.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
