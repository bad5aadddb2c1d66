"""Models of the field tests (names start with ``Fc``: model and table names are global)."""

import enum
import os

import aksara
from aksara import Model, fields


class FcText(Model):
    name = fields.String(max_length=100, nullable=True)
    code = fields.String(max_length=10, unique=True, nullable=True)
    severity = fields.String(
        max_length=20, choices=["low", "medium", "high", "critical"], default="medium"
    )
    level = fields.String(max_length=10, choices=[("lo", "Low"), ("hi", "High")], nullable=True)
    password = fields.String(max_length=128, min_length=8, nullable=True)
    phone = fields.String(max_length=20, regex=r"^\+?[\d\s\-]{7,15}$", nullable=True)
    clean_name = fields.String(max_length=100, strip_whitespace=True, nullable=True)
    ordered = fields.String(
        max_length=10,
        min_length=3,
        choices=["abc", "abcd", "x"],
        regex=r"a.*",
        strip_whitespace=True,
        nullable=True,
    )
    content = fields.Text(default="")
    bio = fields.Text(min_length=20, strip_whitespace=True, nullable=True)
    summary = fields.Text(max_length=10, nullable=True)
    email = fields.Email(nullable=True)
    website = fields.URL(nullable=True)
    indexed = fields.String(max_length=30, db_index=True, nullable=True)


class FcNumber(Model):
    age = fields.Integer(nullable=True)
    rating = fields.Integer(min_value=1, max_value=5, nullable=True)
    priority = fields.Integer(choices=[1, 2, 3, 4, 5], default=3)
    views = fields.BigInteger(default=0)
    small = fields.SmallInteger(nullable=True)
    day_of_week = fields.SmallInteger(choices=[0, 1, 2, 3, 4, 5, 6], nullable=True)
    positive = fields.PositiveInteger(default=0)
    positive_small = fields.PositiveSmallInteger(default=0)
    positive_big = fields.PositiveBigInteger(default=0)
    score = fields.Float(nullable=True)
    latitude = fields.Float(min_value=-90, max_value=90, nullable=True)
    price = fields.Decimal(precision=10, scale=2, nullable=True)
    tax_rate = fields.Decimal(precision=5, scale=4, nullable=True)
    percentage = fields.Decimal(precision=5, scale=2, min_value=0, max_value=100, nullable=True)


class FcTime(Model):
    created_at = fields.DateTime(auto_now_add=True)
    updated_at = fields.DateTime(auto_now=True)
    scheduled_at = fields.DateTime(nullable=True)
    birth_date = fields.Date(nullable=True)
    start_time = fields.Time(nullable=True)
    cooking_time = fields.Duration(nullable=True)


class FcStatus(str, enum.Enum):  # noqa: UP042 - as the spec writes it
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class FcPriority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class FcSpecial(Model):
    is_active = fields.Boolean(default=True)
    opted_in = fields.Boolean(nullable=True)
    external_id = fields.UUID(nullable=True)
    reference = fields.UUID(unique=True, nullable=True)
    status = fields.Enum(enum_class=FcStatus, default=FcStatus.DRAFT)
    priority = fields.Enum(enum_class=FcPriority, nullable=True)
    short_status = fields.Enum(enum_class=FcStatus, max_length=12, nullable=True)
    server_ip = fields.IPAddress(nullable=True)
    client_ip = fields.IPAddress(protocol="ipv4", nullable=True)
    gateway = fields.IPAddress(protocol="ipv6", nullable=True)
    unpacked = fields.GenericIPAddress(unpack_ipv4=True, nullable=True)
    file_hash = fields.Binary(nullable=True)
    small_blob = fields.Binary(max_length=4, nullable=True)


class FcDocument(Model):
    metadata = fields.JSON(default=dict)
    config = fields.JSON(nullable=True)


class FcArray(Model):
    tags = fields.Array(base_type="text", default=list)
    scores = fields.Array(base_type="integer", nullable=True)
    ratings = fields.Array(base_type="float", nullable=True)
    flags = fields.Array(base_type="boolean", nullable=True)
    refs = fields.Array(base_type="uuid", nullable=True)


class FcArticle(Model):
    title = fields.String(max_length=200)
    slug = fields.Slug(max_length=30, auto_from="title", unique=True)


class FcSlugged(Model):
    title = fields.String(max_length=200, nullable=True)
    slug = fields.Slug(nullable=True)
    unicode_slug = fields.Slug(allow_unicode=True, nullable=True)
    auto = fields.Slug(auto_from="title", db_index=True, nullable=True)


class FcEmbedding(Model):
    title = fields.String(max_length=200, default="")
    embedding = fields.Vector(dimensions=3, nullable=True)
    free = fields.Vector(nullable=True)

    class Meta:
        indexes = [
            aksara.Index(
                "embedding",
                name="ix_fc_embedding_cosine",
                using="hnsw",
                opclasses=["vector_cosine_ops"],
            ),
        ]


class FcNeighbour(Model):
    """Points for the nearest-neighbour tests, with HNSW and IVFFlat indexes."""

    label = fields.Integer()
    embedding = fields.Vector(dimensions=8)
    other = fields.Vector(dimensions=8, nullable=True)

    class Meta:
        indexes = [
            aksara.Index(
                "embedding",
                using="hnsw",
                opclasses=["vector_l2_ops"],
                with_={"m": 16, "ef_construction": 64},
            ),
            aksara.Index("other", using="ivfflat", opclasses=["vector_ip_ops"], with_={"lists": 4}),
        ]


TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


class FcTemplate(Model):
    template = fields.FilePath(path=TEMPLATES, match=r".*\.html$", recursive=True, max_length=200)
    top_level = fields.FilePath(path=TEMPLATES, nullable=True)
    folder = fields.FilePath(
        path=TEMPLATES, allow_files=False, allow_folders=True, recursive=True, nullable=True
    )
