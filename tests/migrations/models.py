"""Versions of a small library schema, built on a ``MetaData`` of their own.

The models are compiled (onto ``aksara.metadata``, as every model is), copied to a
separate ``MetaData`` and unregistered at once, so the test session never creates
their tables and the migration tests see only them.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from pgvector.sqlalchemy import VECTOR

from aksara import Index, Model, fields
from aksara.fields.files import FileField, ImageField
from aksara.models.registry import NAMING_CONVENTION, registry


@contextmanager
def detached(target: sa.MetaData) -> Iterator[None]:
    """Copy the tables of the models defined in the block to ``target``; unregister them."""
    before = dict(registry.models)
    try:
        yield
        created = [m for name, m in registry.models.items() if before.get(name) is not m]
        for model in created:
            model._meta.table.to_metadata(target)
    finally:
        for name, model in list(registry.models.items()):
            if before.get(name) is not model:
                registry.unregister(model)


def library(version: int) -> sa.MetaData:
    """Version 1, or version 2: a column added, one altered, one dropped, an index added."""
    target = sa.MetaData(naming_convention=NAMING_CONVENTION)
    with detached(target):

        class MigShelf(Model):
            label = fields.String(max_length=50, unique=True)
            opened = fields.DateTime(auto_now_add=True)

        class MigBook(Model):
            title = fields.String(max_length=100 if version == 1 else 200, db_index=True)
            pages = fields.Integer(default=0, nullable=version == 2)
            in_print = fields.Boolean(default=True)
            data = fields.JSON(default=dict)
            isbn = fields.UUID(nullable=True)
            cover = ImageField(upload_to="covers", nullable=True)
            scan = FileField(upload_to="scans", max_length=300)
            if version == 1:
                blurb = fields.Text(nullable=True)
            else:
                subtitle = fields.String(max_length=80, nullable=True)

            class Meta:
                indexes = [Index("pages")] + ([Index("in_print", "pages")] if version == 2 else [])

    # pgvector directly, until the Vector field is part of the field catalogue.
    embedding = sa.Table(
        "mig_passage",
        target,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("embedding", VECTOR(3 if version == 1 else 4)),
    )
    sa.Index(
        "ix_mig_passage_embedding_hnsw",
        embedding.c.embedding,
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
        postgresql_with={"m": 16, "ef_construction": 64},
    )
    return target
