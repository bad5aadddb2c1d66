"""What an Alembic ``env.py`` needs from aksara: its options, the models, the database URL."""

from __future__ import annotations

import asyncio
import importlib
import os
import re
from collections.abc import Callable, Iterable
from logging.config import fileConfig
from types import ModuleType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import pool
from sqlalchemy.ext.asyncio import create_async_engine

from aksara.conf import get_settings
from aksara.db.database import normalise_url
from aksara.migrations.autogenerate import (
    PLUGIN,
    compare_type,
    include_object,
    process_revision_directives,
    render_item,
)
from aksara.registry import metadata as aksara_metadata

if TYPE_CHECKING:
    from alembic.runtime.environment import EnvironmentContext
    from sqlalchemy.engine import Connection


def context_options(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for Alembic's ``context.configure()`` that make autogenerate aksara-aware.

    ``render_item``, ``compare_type``, ``include_object``, ``process_revision_directives``
    and ``autogenerate_plugins`` (Alembic's comparisons and aksara's CHECK constraints; see
    ``aksara.migrations.autogenerate``). ``overrides`` replace them, except a
    ``process_revision_directives`` of your own, which runs before aksara's.
    """
    options: dict[str, Any] = {
        "render_item": render_item,
        "compare_type": compare_type,
        "include_object": include_object,
        "process_revision_directives": process_revision_directives,
        "autogenerate_plugins": ["alembic.autogenerate.*", PLUGIN],
    }
    own_directives = overrides.pop("process_revision_directives", None)
    options.update(overrides)
    if own_directives is not None:
        options["process_revision_directives"] = _chain(own_directives)
    return options


def _chain(first: Callable[..., None]) -> Callable[..., None]:
    def both(context: Any, revision: Any, directives: list[Any]) -> None:
        first(context, revision, directives)
        process_revision_directives(context, revision, directives)

    return both


def import_models(modules: str | Iterable[str] | None) -> list[str]:
    """Import the modules that define your models, so their tables are on ``aksara.metadata``.

    ``modules`` is a list or a comma/space separated string (``AKSARA_MODELS="shop.models,
    blog.models"``); returns the names imported.
    """
    if modules is None:
        return []
    names = re.split(r"[\s,]+", modules) if isinstance(modules, str) else list(modules)
    imported: list[str] = []
    for name in names:
        if name:
            importlib.import_module(name)
            imported.append(name)
    return imported


def database_url(url: str | None = None) -> str:
    """The asyncpg URL migrations run against.

    ``url`` when given (``sqlalchemy.url`` of alembic.ini), else ``AKSARA_DATABASE_URL`` /
    ``settings.database_url``, else the embedded PostgreSQL in ``settings.embedded_data_dir``
    (started if needed; the one ``aksara.connect()`` uses in development).
    """
    settings = get_settings()
    url = url or settings.database_url_value()
    if url is None:
        from aksara.db import embedded

        url = str(embedded.start(settings.embedded_data_dir).get_uri())
    return normalise_url(url)


def run_environment(
    context: EnvironmentContext | ModuleType,
    *,
    target_metadata: sa.MetaData | None = None,
    **options: Any,
) -> None:
    """Everything an aksara ``env.py`` does: ``run_environment(context)`` is the whole file.

    - Logging: configured from the ini file's ``[loggers]`` sections, when it has them.
    - Models: the modules named by ``AKSARA_MODELS`` (else ``aksara_models`` in alembic.ini),
      comma-separated, are imported so their tables are on ``aksara.metadata``.
    - Database: ``sqlalchemy.url`` in alembic.ini when set, else ``AKSARA_DATABASE_URL``,
      else the embedded PostgreSQL that ``aksara.connect()`` uses in development
      (``database_url()``); migrations run on asyncpg.
    - Offline (``alembic upgrade head --sql``): the SQL is written for PostgreSQL.
    - Programmatic use: ``config.attributes["connection"]`` (a SQLAlchemy ``Connection``) is
      used instead of opening one, and ``config.attributes["target_metadata"]`` replaces
      ``aksara.metadata``.

    ``target_metadata`` replaces ``aksara.metadata``; ``options`` go to
    ``context.configure()`` after ``context_options()`` (``compare_server_default=True``,
    ``include_schemas=True``, your own ``process_revision_directives``, ...).
    """
    config = context.config
    if config.config_file_name is not None and _has_logging(config.file_config):
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    import_models(os.environ.get("AKSARA_MODELS") or config.get_main_option("aksara_models"))
    metadata = target_metadata or config.attributes.get("target_metadata", aksara_metadata)
    configure = context_options(**options)

    def run(connection: Connection | None) -> None:
        if connection is None:
            context.configure(
                dialect_name="postgresql",
                target_metadata=metadata,
                literal_binds=True,
                **configure,
            )
        else:
            context.configure(connection=connection, target_metadata=metadata, **configure)
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        run(None)
    elif (connection := config.attributes.get("connection")) is not None:
        run(connection)
    else:
        asyncio.run(_run_online(database_url(config.get_main_option("sqlalchemy.url")), run))


async def _run_online(url: str, run: Callable[[Connection], None]) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


def _has_logging(parser: Any) -> bool:
    return bool(parser.has_section("loggers") and parser.has_section("formatters"))
