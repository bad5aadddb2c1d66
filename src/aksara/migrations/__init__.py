"""Alembic migrations for aksara models.

``python -m aksara.migrations init migrations --models blog.models`` writes an alembic.ini
and a ``migrations/`` directory whose ``env.py`` is ``run_environment(context)``: it imports
the models, finds the database (``AKSARA_DATABASE_URL`` or the embedded server) and runs on
asyncpg. In an ``env.py`` of your own, three lines make autogenerate understand aksara:

```python
import aksara, myapp.models  # your models: their tables are on aksara.metadata
from aksara.migrations import context_options
context.configure(connection=connection, target_metadata=aksara.metadata, **context_options())
```

(in ``run_migrations_offline()`` too, with ``url=`` or ``dialect_name="postgresql"``).

``context_options()`` installs ``render_item`` (aksara's column types are written as the
PostgreSQL types they store; pgvector's as ``pgvector.sqlalchemy.VECTOR(dim=...)``),
``compare_type`` (a changed ``max_length`` or vector dimension is detected),
``include_object`` (extension tables are left alone) and ``process_revision_directives``
(an upgrade that adds a vector column first runs ``CREATE EXTENSION IF NOT EXISTS vector``).
``database_url()`` gives the URL aksara itself would use (``AKSARA_DATABASE_URL`` or the
embedded server) and ``import_models("a.models, b.models")`` imports modules named in a
setting. Nothing here runs at import time.
"""

from aksara.migrations.autogenerate import (
    CREATE_VECTOR_EXTENSION,
    EXTENSION_TABLES,
    compare_type,
    include_object,
    is_aksara_type,
    is_vector_type,
    process_revision_directives,
    render_item,
)
from aksara.migrations.environment import (
    context_options,
    database_url,
    import_models,
    run_environment,
)

__all__ = [
    "CREATE_VECTOR_EXTENSION",
    "EXTENSION_TABLES",
    "compare_type",
    "context_options",
    "database_url",
    "import_models",
    "include_object",
    "is_aksara_type",
    "is_vector_type",
    "process_revision_directives",
    "render_item",
    "run_environment",
]
