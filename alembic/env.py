"""Alembic environment for aksara applications: async, on asyncpg.

- Models: the modules named by ``AKSARA_MODELS`` (else ``aksara_models`` in alembic.ini),
  comma-separated, are imported so their tables are on ``aksara.metadata``.
- Database: ``sqlalchemy.url`` in alembic.ini when set, else ``AKSARA_DATABASE_URL``, else
  the embedded PostgreSQL that ``aksara.connect()`` uses in development.
- Programmatic use: ``config.attributes["connection"]`` (a SQLAlchemy ``Connection``) is
  used instead of opening one, and ``config.attributes["target_metadata"]`` replaces
  ``aksara.metadata``.
"""

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import aksara
from aksara.migrations import context_options, database_url, import_models

config = context.config

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

import_models(os.environ.get("AKSARA_MODELS") or config.get_main_option("aksara_models"))
target_metadata = config.attributes.get("target_metadata", aksara.metadata)


def run_migrations_offline() -> None:
    """Write the SQL of the migrations (``alembic upgrade head --sql``) without a database."""
    context.configure(
        dialect_name="postgresql",
        target_metadata=target_metadata,
        literal_binds=True,
        **context_options(),
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, **context_options())
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(
        database_url(config.get_main_option("sqlalchemy.url")), poolclass=pool.NullPool
    )
    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
