"""Alembic environment for aksara: ``run_environment`` reads the models (``AKSARA_MODELS`` or
``aksara_models`` in alembic.ini) and the database (``sqlalchemy.url``, else
``AKSARA_DATABASE_URL``, else the embedded server) and runs the migrations on asyncpg."""

from alembic import context

from aksara.migrations import run_environment

run_environment(context)
