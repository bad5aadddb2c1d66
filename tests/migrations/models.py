"""Versions of a small library schema, built on a ``MetaData`` of their own.

The models are compiled (onto ``aksara.metadata``, as every model is), their tables copied
to a separate ``MetaData``, and then they are unregistered and their tables (junction
tables included) removed, so the test session never creates them and the migration tests
see only them.
"""

import datetime
import decimal
import enum
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

import aksara
from aksara import Index, Model, fields
from aksara.fields import CASCADE, SET_NULL
from aksara.fields.files import FileField
from aksara.fields.images import ImageField
from aksara.registry import NAMING_CONVENTION, registry


class Genre(enum.StrEnum):
    NOVEL = "novel"
    POETRY = "poetry"


@contextmanager
def detached(target: sa.MetaData) -> Iterator[None]:
    """Copy the tables made by the models defined in the block to ``target``; then forget them."""
    models_before = dict(registry.models)
    tables_before = set(aksara.metadata.tables)
    try:
        yield
        for name, table in aksara.metadata.tables.items():
            if name not in tables_before:
                table.to_metadata(target)
    finally:
        for name, model in list(registry.models.items()):
            if models_before.get(name) is not model:
                registry.unregister(model)
        for name in list(aksara.metadata.tables):
            if name not in tables_before:
                aksara.metadata.remove(aksara.metadata.tables[name])


def library(version: int) -> sa.MetaData:
    """Version 1, or version 2: columns added, altered (a varchar, an aksara type, a vector,
    a nullability) and dropped, and an index added."""
    first = version == 1
    target = sa.MetaData(naming_convention=NAMING_CONVENTION)
    with detached(target):

        class MigShelf(Model):
            label = fields.String(max_length=50, unique=True)
            opened = fields.DateTime(auto_now_add=True)

        class MigTag(Model):
            number = fields.Integer(primary_key=True)  # an identity column
            name = fields.Slug(max_length=40, unique=True)

        class MigBook(Model):
            title = fields.String(max_length=100 if first else 200, db_index=True)
            slug = fields.Slug(max_length=60 if first else 80, auto_from="title", unique=True)
            pages = fields.Integer(default=0, nullable=not first)
            summary = fields.Text(nullable=True)
            contact = fields.Email(nullable=True)
            homepage = fields.URL(nullable=True)
            copies = fields.BigInteger(default=0)
            shelf_row = fields.SmallInteger(default=0)
            stock = fields.PositiveInteger(default=0)
            weight = fields.Float(nullable=True)
            price = fields.Decimal(precision=8, scale=2)
            in_print = fields.Boolean(default=True)
            published = fields.Date(nullable=True)
            reading_time = fields.Duration(nullable=True)
            opens_at = fields.Time(nullable=True)
            isbn = fields.UUID(nullable=True)
            data = fields.JSON(default=dict)
            genre = fields.Enum(enum_class=Genre, default=Genre.NOVEL)
            keywords = fields.Array(base_type="text", default=list)
            ratings = fields.Array(base_type="integer", nullable=True)
            mirror = fields.IPAddress(nullable=True)
            checksum = fields.Binary(nullable=True)
            template = fields.FilePath(path=str(Path(__file__).parent), nullable=True)
            embedding = fields.Vector(dimensions=3 if first else 4, nullable=True)
            cover = ImageField(upload_to="covers", nullable=True)
            scan = FileField(upload_to="scans", max_length=300)
            shelf = fields.ForeignKey(MigShelf, on_delete=SET_NULL, nullable=True)
            tags = fields.ManyToMany(MigTag, related_name="books")
            if first:
                blurb = fields.Text(nullable=True)
            else:
                subtitle = fields.String(max_length=80, nullable=True)

            class Meta:
                indexes = [
                    Index("pages"),
                    Index(
                        "embedding",
                        using="hnsw",
                        opclasses=["vector_cosine_ops"],
                        with_={"m": 16, "ef_construction": 64},
                    ),
                ] + ([] if first else [Index("in_print", "pages")])

        class MigReview(Model):
            book = fields.OneToOne(MigBook, on_delete=CASCADE, related_name="review")
            text = fields.Text()

    return target


class Status(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


def articles(version: int) -> sa.MetaData:
    """Version 1: a table. Version 2: required columns with defaults added to it (as to a
    table that already has rows), a positive column with its CHECK, and a unique required
    column no default can fill."""
    target = sa.MetaData(naming_convention=NAMING_CONVENTION)
    with detached(target):

        class MigArticle(Model):
            title = fields.String(max_length=100)
            if version >= 2:
                featured = fields.Boolean(default=False)
                views = fields.PositiveSmallInteger(default=0)
                tagline = fields.String(max_length=50, default="it's new")
                status = fields.Enum(enum_class=Status, default=Status.DRAFT)
                keywords = fields.Array(base_type="text", default=list)
                extra = fields.JSON(default=dict)
                price = fields.Decimal(precision=6, scale=2, default=decimal.Decimal("9.50"))
                touched = fields.DateTime(auto_now=True)
                note = fields.Text(nullable=True)
                # Values whose SQL is easy to get wrong: quotes, colons, percent signs,
                # bytes, NaN, text forms that must be cleaned first.
                motto = fields.String(max_length=60, default="It's :todo, 100% \\ done")
                settings = fields.JSON(default={"k": "a :b", "p": "5%", "n": [1, 2]})
                blob = fields.Binary(default=b"a\\b\x00\xff")
                address = fields.IPAddress(default="10.0.0.1")
                ratio = fields.Float(default=0.25)
                wait = fields.Duration(default=datetime.timedelta(days=1, seconds=5))
                since = fields.Date(default="2024-01-01")
                moment = fields.DateTime(default=datetime.datetime(2024, 1, 1, 12))
                point = fields.Vector(dimensions=2, default=(1, 2))

    return target


def constrained(version: int) -> sa.MetaData:
    """A model with every kind of constraint and index; version 2 drops the exclusion
    constraint and a check, adds another check and a partial index."""
    from aksara import Q
    from aksara.models.constraints import (
        CheckConstraint,
        Deferrable,
        ExclusionConstraint,
        UniqueConstraint,
    )
    from aksara.query.functions import Func, Lower

    first = version == 1
    target = sa.MetaData(naming_convention=NAMING_CONVENTION)
    with detached(target):
        price = Q(price__gt=0) if version < 3 else Q(price__gte=1)  # v3: the same name
        checks = [CheckConstraint(condition=price, name="price_positive")]
        live = Q(active=True) if version < 3 else Q(active=True, slot__gt=0)
        if first:
            checks.append(CheckConstraint(condition=Q(room__gte=1), name="room_positive"))
        else:
            checks.append(CheckConstraint(condition=Q(room__lte=999), name="room_bounded"))
        exclusion = [
            ExclusionConstraint(
                name="no_overlap",
                expressions=[
                    (
                        Func("starts", "ends", function="tstzrange", output_field=fields.Text()),
                        "&&",
                    ),
                    ("room", "=") if version < 4 else ("slot", "="),  # v4: the same name
                ],
            )
        ]

        class MigBooking(Model):
            room = fields.Integer()
            starts = fields.DateTime()
            ends = fields.DateTime()
            email = fields.String(max_length=100, default="")
            price = fields.Decimal(precision=8, scale=2, default=decimal.Decimal(1))
            active = fields.Boolean(default=True)
            slot = fields.Integer(default=0)

            class Meta:
                constraints = [
                    *checks,
                    UniqueConstraint(
                        fields=["room", "slot"], deferrable=Deferrable.DEFERRED, name="room_slot"
                    ),
                    UniqueConstraint(Lower("email"), name="booking_email_ci"),
                    UniqueConstraint(fields=["slot"], condition=Q(active=True), name="active_slot"),
                    *(exclusion if version != 2 else []),
                ]
                indexes = [] if first else [Index("room", condition=live, name="live_room")]

    return target


def filled() -> sa.MetaData:
    """A model whose database fills columns: a constant and an expression default, and a
    generated column; its lines have a composite primary key."""
    from aksara import F
    from aksara.query.functions import Now

    target = sa.MetaData(naming_convention=NAMING_CONVENTION)
    with detached(target):

        class MigInvoice(Model):
            net = fields.Integer()
            tax = fields.Integer(default=0)
            gross = fields.Integer(generated=F("net") + F("tax"))
            state = fields.String(max_length=10, db_default="open")
            issued = fields.DateTime(db_default=Now())

        class MigInvoiceLine(Model):
            invoice = fields.ForeignKey(MigInvoice)
            line_no = fields.Integer()
            amount = fields.Integer(default=0)

            class Meta:
                primary_key = ("invoice", "line_no")

    return target
