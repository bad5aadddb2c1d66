"""The library's models: authors, tags and assets (a document with its file, preview and embedding)."""

import enum

from aksara import PROTECT, Index, Model, fields

from .embeddings import DIMENSIONS, embed


class AssetStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class LibraryAuthor(Model):
    """Someone who publishes assets in the library."""

    name = fields.String(max_length=100, strip_whitespace=True, ai_description="Display name")
    # ai_sensitive: agents never see addresses (not in the AI context, tools or results).
    email = fields.Email(unique=True, ai_sensitive=True)
    bio = fields.Text(nullable=True, ai_description="A few lines about the author")
    joined_at = fields.DateTime(auto_now_add=True)

    class Meta:
        table_name = "library_author"
        ordering = ("name",)


class LibraryTag(Model):
    """A keyword that groups assets, such as "postgres" or "recipes"."""

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
        dimensions=DIMENSIONS,
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

    async def save(
        self,
        *,
        update_fields: list[str] | tuple[str, ...] | None = None,
        force_insert: bool = False,
    ) -> None:
        """Save, with the embedding computed from the text: the API, agents' tool calls and
        scripts all keep it up to date."""
        self.embedding = embed(f"{self.title}\n{self.description}")
        if update_fields is not None and {"title", "description"} & set(update_fields):
            update_fields = [*update_fields, "embedding"]
        await super().save(update_fields=update_fields, force_insert=force_insert)
