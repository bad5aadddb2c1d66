"""``create_all()`` and ``drop_all()``: every model's table, for tests and quick starts.

Alembic owns real schemas (``aksara.migrations``). These create what the model registry
holds on the connected database.
"""

from __future__ import annotations

import sqlalchemy as sa
from pgvector.sqlalchemy import HALFVEC, SPARSEVEC, VECTOR
from sqlalchemy.dialects.postgresql import ExcludeConstraint

from aksara.db import get_database
from aksara.exceptions import ConfigurationError
from aksara.registry import metadata, registry


async def create_all() -> None:
    """Create every model's table (and the vector extension when needed)."""
    database = get_database()
    missing = registry.unresolved()
    if missing:
        raise ConfigurationError(
            f"Relations point at models that were never defined: {', '.join(missing)}"
        )
    if uses_vector(metadata):
        if not await database.ensure_vector_extension():
            raise ConfigurationError(
                "A model has a Vector field but the PostgreSQL server has no `vector` "
                "extension (pgvector); install it or use the embedded server"
            )
    if uses_btree_gist(metadata):
        await database.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    await database.run_ddl(metadata.create_all)


def uses_btree_gist(metadata: sa.MetaData) -> bool:
    """True when a table of ``metadata`` has an exclusion constraint: GiST compares scalar
    columns (``room WITH =``) only with the ``btree_gist`` extension."""
    return any(
        isinstance(c, ExcludeConstraint) for t in metadata.tables.values() for c in t.constraints
    )


async def drop_all() -> None:
    """Drop every model's table."""
    await get_database().run_ddl(metadata.drop_all)


def uses_vector(metadata: sa.MetaData) -> bool:
    """True when a table of ``metadata`` has a pgvector column."""
    kinds = (VECTOR, HALFVEC, SPARSEVEC)
    return any(
        isinstance(column.type, kinds)
        for table in metadata.tables.values()
        for column in table.columns
    )
