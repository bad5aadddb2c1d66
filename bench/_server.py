"""The one embedded PostgreSQL the benchmarks share, and fresh databases on it."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import asyncpg

DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "aksara-bench-pg18"


def start_server(data_dir: Path = DEFAULT_DATA_DIR) -> Any:
    """Start (or reuse) the embedded PostgreSQL with pgvector; ``cleanup()`` stops it."""
    from aksara.db import embedded

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        return embedded.start(data_dir)


def database_url(server_uri: str, name: str) -> str:
    """The server's URI with another database name (``postgresql://postgres:@/postgres?host=...``)."""
    head, _, query = server_uri.partition("?")
    base, _, _ = head.rpartition("/")
    return f"{base}/{name}" + (f"?{query}" if query else "")


async def admin(server_uri: str, *statements: str) -> None:
    """Run statements that cannot run in a transaction (CREATE/DROP DATABASE) one by one."""
    conn = await asyncpg.connect(server_uri)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def fresh_database(server_uri: str, name: str) -> str:
    """Drop and recreate database ``name``; return its URI.

    Durability is not what the benchmarks compare, so commits do not wait for the
    disk (``synchronous_commit = off``): an autocommit insert measures the client.
    """
    await admin(
        server_uri,
        f"DROP DATABASE IF EXISTS {name}",
        f"CREATE DATABASE {name}",
        f"ALTER DATABASE {name} SET synchronous_commit = off",
    )
    return database_url(server_uri, name)


async def drop_database(server_uri: str, name: str) -> None:
    await admin(server_uri, f"DROP DATABASE IF EXISTS {name}")
