"""Alembic environment for aksara.

``run_environment`` imports the models (``AKSARA_MODELS``, else ``aksara_models`` in
alembic.ini), finds the database (``sqlalchemy.url`` in alembic.ini, else
``AKSARA_DATABASE_URL``, else the embedded PostgreSQL ``aksara.connect()`` uses) and runs the
migrations on asyncpg, online or with ``--sql``. Keyword arguments go to
``context.configure()``: ``run_environment(context, compare_server_default=True)``.
"""

from alembic import context

from aksara.migrations import run_environment

run_environment(context)
