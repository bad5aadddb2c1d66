"""What an Alembic ``env.py`` needs from aksara: its options, the models, the database URL."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from aksara.conf import get_settings
from aksara.db.database import normalise_url
from aksara.migrations.autogenerate import (
    compare_type,
    include_object,
    process_revision_directives,
    render_item,
)


def context_options(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for Alembic's ``context.configure()`` that make autogenerate aksara-aware.

    ``render_item``, ``compare_type``, ``include_object`` and ``process_revision_directives``
    (see ``aksara.migrations.autogenerate``). ``overrides`` replace them, except a
    ``process_revision_directives`` of your own, which runs before aksara's.
    """
    options: dict[str, Any] = {
        "render_item": render_item,
        "compare_type": compare_type,
        "include_object": include_object,
        "process_revision_directives": process_revision_directives,
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
    imported = []
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
