"""The library's models: authors, tags and assets (a document with its file, preview and embedding)."""

import enum

from aksara import PROTECT, Index, Model, fields

#: Length of the toy embeddings (see ``services.embed``); real models use 384, 768, ...
EMBEDDING_DIMENSIONS = 16


class AssetStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class LibraryAuthor(Model):
    """Someone who publishes assets in the library."""

    name = fields.String(max_length=100, strip_whitespace=True, ai_description="Display name")
    email = fields.Email(unique=True, ai_description="Login and contact address")
    bio = fields.Text(nullable=True, ai_description="A few lines about the author")
    joined_at = fields.DateTime(auto_now_add=True)

    class Meta:
        table_name = "library_author"
        ordering = ("name",)


class LibraryTag(Model):
    """A keyword that groups assets (``postgres``, ``recipes``)."""

    name = fields.String(max_length=50, unique=True, ai_description="Lower-case keyword")

    class Meta:
        table_name = "library_tag"
        ordering = ("name",)


class LibraryAsset(Model):
    """A document in the library: its text, an uploaded file and an optional preview image."""

    title = fields.String(max_length=200, min_length=1, ai_description="The asset's title")
    slug = fields.Slug(max_length=200, auto_from="title", unique=True)
    description = fields.Text(default="", ai_description="What the asset is about")
    file = fields.FileField(upload_to="library/files", nullable=True, max_size=10 * 1024 * 1024)
    preview = fields.ImageField(upload_to="library/previews", nullable=True)
    embedding = fields.Vector(
        dimensions=EMBEDDING_DIMENSIONS,
        nullable=True,
        ai_description="Computed from the title and description, for similarity search",
        ai_agent_writable=False,
    )
    tags = fields.ManyToMany(LibraryTag, related_name="assets")
    # PROTECT: an author who still has assets cannot be deleted (the API answers 409).
    author = fields.ForeignKey(LibraryAuthor, on_delete=PROTECT, related_name="assets")
    status = fields.Enum(
        enum_class=AssetStatus,
        max_length=20,
        default=AssetStatus.DRAFT,
        ai_description="Publication state",
    )
    metadata = fields.JSON(default=dict, ai_description="Free-form details: pages, language, ...")
    created_at = fields.DateTime(auto_now_add=True)

    class Meta:
        table_name = "library_asset"
        ordering = ("-created_at", "title")
        indexes = [Index("embedding", using="hnsw", opclasses=["vector_cosine_ops"])]
