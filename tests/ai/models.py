"""Models of the AI tests: the reference's User, Customer and Product examples, and friends.

Names carry an ``Ai`` prefix so that they never clash with models of other test modules.
"""

from __future__ import annotations

import enum
from pathlib import Path

from aksara import Index, Model, fields
from aksara.exceptions import ValidationError
from aksara.fields import CASCADE, SET_NULL


class AiUser(Model):
    """A person who signs in to the shop."""

    email = fields.Email(
        unique=True,
        ai_description="User's email address for login and notifications",
        ai_sensitive=False,
        ai_agent_writable=True,
    )
    hashed_password = fields.String(
        ai_description="Bcrypt-hashed password (never expose raw)",
        ai_sensitive=True,
        ai_agent_writable=False,
    )
    role = fields.String(
        max_length=20,
        default="user",
        ai_description="User role: 'user', 'admin', or 'moderator'",
        ai_agent_writable=True,
    )


class AiCustomer(Model):
    email = fields.Email(ai_description="Primary contact email for the customer")
    stripe_customer_id = fields.String(
        ai_sensitive=True,
        ai_description="Internal billing identifier",
    )
    lifetime_value = fields.Decimal(
        precision=10,
        scale=2,
        ai_description="Computed revenue total in USD",
        ai_agent_writable=False,
    )

    class Meta:
        ai_description = "A paying customer of the shop"


class AiProductStatus(str, enum.Enum):  # noqa: UP042 - as the reference writes it
    DRAFT = "draft"
    ACTIVE = "active"
    DISCONTINUED = "discontinued"


class AiCategory(Model):
    """A group of products in the catalogue."""

    name = fields.String(max_length=100, ai_description="Category name shown in the shop")
    internal_code = fields.String(max_length=20, default="", ai_sensitive=True)

    def clean(self) -> None:
        if self.internal_code == "RETIRED":
            raise ValidationError({"internal_code": ["retired categories cannot change"]})


class AiProduct(Model):
    """E-commerce product model."""

    name = fields.String(max_length=200, ai_description="Product display name")
    slug = fields.Slug(max_length=200, unique=True, ai_description="URL-friendly identifier")
    description = fields.Text(nullable=True, ai_description="Full product description")
    price = fields.Decimal(precision=10, scale=2, ai_description="Current price in USD")
    compare_at_price = fields.Decimal(
        precision=10,
        scale=2,
        nullable=True,
        ai_description="Original price for showing discounts",
    )
    sku = fields.String(max_length=50, unique=True, ai_description="Stock keeping unit")
    quantity = fields.Integer(default=0, ai_description="Available inventory count")
    status = fields.Enum(
        enum_class=AiProductStatus,
        default=AiProductStatus.DRAFT,
        ai_description="Product visibility status",
    )
    category = fields.ForeignKey(
        "AiCategory", on_delete=SET_NULL, nullable=True, related_name="products"
    )
    metadata = fields.JSON(default=dict, ai_description="Additional product attributes")
    created_at = fields.DateTime(auto_now_add=True)
    updated_at = fields.DateTime(auto_now=True)


class AiTag(Model):
    name = fields.String(max_length=30, unique=True, ai_description="Keyword")


class AiPost(Model):
    """A blog post written by a user."""

    title = fields.String(max_length=200, ai_description="Headline of the post")
    author = fields.ForeignKey(AiUser, on_delete=CASCADE, related_name="posts")
    reviewer = fields.ForeignKey(
        AiUser, on_delete=SET_NULL, nullable=True, related_name="reviews", ai_sensitive=True
    )
    views = fields.PositiveInteger(default=0)
    tags = fields.ManyToMany(AiTag, related_name="posts")

    class Meta:
        ordering = ("title",)


class AiDocument(Model):
    """A document searchable by meaning."""

    title = fields.String(max_length=200)
    embedding = fields.Vector(dimensions=3, ai_description="Embedding of the title")
    raw = fields.Binary(nullable=True)

    class Meta:
        indexes = [Index("embedding", using="hnsw", opclasses=["vector_cosine_ops"])]


class AiColour(enum.Enum):
    RED = "red"
    GREEN = "green"


class AiSample(Model):
    """One field of every family, for schema and round-trip tests."""

    code = fields.String(max_length=10, regex=r"[A-Z]{2}-\d+", ai_description="Internal code")
    level = fields.String(max_length=10, choices=["low", "high"], default="low")
    notes = fields.Text(nullable=True, min_length=2)
    contact = fields.Email(nullable=True)
    homepage = fields.URL(nullable=True)
    rating = fields.Integer(min_value=1, max_value=5, nullable=True)
    big = fields.BigInteger(default=0)
    small = fields.SmallInteger(default=0)
    positive = fields.PositiveInteger(default=0)
    ratio = fields.Float(min_value=0, max_value=1, nullable=True)
    amount = fields.Decimal(precision=6, scale=2, min_value=0, nullable=True)
    active = fields.Boolean(default=True)
    happened_at = fields.DateTime(nullable=True)
    day = fields.Date(nullable=True)
    alarm = fields.Time(nullable=True)
    wait = fields.Duration(nullable=True)
    reference = fields.UUID(nullable=True)
    extra = fields.JSON(default=dict)
    colour = fields.Enum(enum_class=AiColour, nullable=True)
    tags = fields.Array(base_type="text", default=list)
    scores = fields.Array(base_type="integer", nullable=True)
    keys = fields.Array(base_type="uuid", nullable=True)
    slug = fields.Slug(nullable=True)
    server = fields.IPAddress(protocol="ipv4", nullable=True)
    peer = fields.IPAddress(nullable=True)
    blob = fields.Binary(nullable=True, ai_sensitive=False, ai_agent_writable=True)
    template = fields.FilePath(
        path=str(Path(__file__).parent), match=r"^models\.py$", nullable=True
    )
    attachment = fields.FileField(upload_to="samples", nullable=True)
