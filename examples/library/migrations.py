"""``alembic upgrade head`` for the library, from Python, with the repository's alembic.ini."""

import os
from pathlib import Path

from alembic import command
from alembic.config import Config

#: The repository's root, where alembic.ini and alembic/ are.
REPOSITORY = Path(__file__).resolve().parents[2]
MODELS = "examples.library.models"


def alembic_config(url: str | None = None) -> Config:
    """The repository's alembic.ini; ``url`` replaces the database it would pick.

    Without ``url``: ``AKSARA_DATABASE_URL``, else the embedded PostgreSQL in
    ``.aksara/pgdata`` (see alembic/env.py).
    """
    config = Config(str(REPOSITORY / "alembic.ini"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None) -> None:
    """Create or update the library's tables: ``AKSARA_MODELS=examples.library.models alembic upgrade head``.

    Runs its own event loop (as the alembic command does), so call it before
    ``asyncio.run()``, or in a thread.
    """
    os.environ["AKSARA_MODELS"] = MODELS
    command.upgrade(alembic_config(url), "head")
