"""library: authors, tags, assets (examples/library/models.py)

The vector extension first (for the embedding column and its HNSW index), then the
tables; downgrade drops the tables and leaves the extension, which other schemas may use.

Revision ID: e0988b0abc49
Revises:
Create Date: 2026-11-23 12:16:38.136607

"""

from collections.abc import Sequence

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "e0988b0abc49"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "library_author",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_author")),
        sa.UniqueConstraint("email", name=op.f("uq_library_author_email")),
    )
    op.create_table(
        "library_tag",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_tag")),
        sa.UniqueConstraint("name", name=op.f("uq_library_tag_name")),
    )
    op.create_table(
        "library_asset",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=True),
        sa.Column("preview", sa.String(length=500), nullable=True),
        sa.Column("embedding", pgvector.sqlalchemy.VECTOR(dim=16), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "metadata", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["library_author.id"],
            name=op.f("fk_library_asset_author_id_library_author"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_asset")),
        sa.UniqueConstraint("slug", name=op.f("uq_library_asset_slug")),
    )
    op.create_index(
        op.f("ix_library_asset_author_id"), "library_asset", ["author_id"], unique=False
    )
    op.create_index(
        "ix_library_asset_embedding_hnsw",
        "library_asset",
        ["embedding"],
        unique=False,
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_table(
        "library_asset_tags",
        sa.Column("library_asset_id", sa.UUID(), nullable=False),
        sa.Column("library_tag_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["library_asset_id"],
            ["library_asset.id"],
            name=op.f("fk_library_asset_tags_library_asset_id_library_asset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["library_tag_id"],
            ["library_tag.id"],
            name=op.f("fk_library_asset_tags_library_tag_id_library_tag"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "library_asset_id", "library_tag_id", name=op.f("pk_library_asset_tags")
        ),
    )
    op.create_index(
        op.f("ix_library_asset_tags_library_tag_id"),
        "library_asset_tags",
        ["library_tag_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_library_asset_tags_library_tag_id"), table_name="library_asset_tags")
    op.drop_table("library_asset_tags")
    op.drop_index(
        "ix_library_asset_embedding_hnsw",
        table_name="library_asset",
        postgresql_using="hnsw",
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.drop_index(op.f("ix_library_asset_author_id"), table_name="library_asset")
    op.drop_table("library_asset")
    op.drop_table("library_tag")
    op.drop_table("library_author")
