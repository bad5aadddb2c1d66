"""What instances read their fields as: the field's value type, ``| None`` when it is
declared ``nullable=True``."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any, Literal, assert_type

from aksara import Model, fields
from aksara.fields.files import FieldFile
from aksara.types import JSONValue, Range


class Gadget(Model):
    name = fields.String(max_length=100)
    nickname = fields.String(max_length=100, nullable=True)
    notes = fields.Text(nullable=True)
    email = fields.Email()
    count = fields.Integer(default=0)
    big = fields.BigInteger(nullable=True)
    ratio = fields.Float()
    price = fields.Decimal(precision=8, scale=2)
    discount = fields.Decimal(precision=8, scale=2, nullable=True)
    active = fields.Boolean(default=True)
    token = fields.UUID(nullable=True)
    data = fields.JSON(default=dict)
    created = fields.DateTime(auto_now_add=True)
    day = fields.Date(nullable=True)
    at = fields.Time()
    took = fields.Duration(nullable=True)
    blob = fields.Binary(nullable=True)
    manual = fields.FileField(upload_to="manuals/", nullable=True)


def values(g: Gadget) -> None:
    assert_type(g.name, str)
    assert_type(g.nickname, str | None)
    assert_type(g.notes, str | None)
    assert_type(g.email, str)
    assert_type(g.count, int)
    assert_type(g.big, int | None)
    assert_type(g.ratio, float)
    assert_type(g.price, decimal.Decimal)
    assert_type(g.discount, decimal.Decimal | None)
    assert_type(g.active, bool)
    assert_type(g.token, uuid.UUID | None)
    assert_type(g.data, Any)
    assert_type(g.created, dt.datetime)
    assert_type(g.day, dt.date | None)
    assert_type(g.at, dt.time)
    assert_type(g.took, dt.timedelta | None)
    assert_type(g.blob, bytes | None)
    assert_type(g.manual, FieldFile)
    assert_type(g.manual.url, str)


def classes() -> None:
    # Class access gives the field itself; its second parameter is its nullability
    # (a declared nullable=True is Literal[True] to mypy and bool to pyright).
    assert_type(Gadget.name, fields.String[Literal[False]])


def assignments(g: Gadget) -> None:
    g.name = "x"
    g.count = 3
    g.name = 3  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]


class Listing(Model):
    tags = fields.Array(default=list)
    scores = fields.Array(base_type="integer", nullable=True)
    ratings = fields.Array(base_type="float")
    flags = fields.Array(base_type="boolean")
    refs = fields.Array(base_type="uuid")
    embedding = fields.Vector(dimensions=3)


def arrays(item: Listing, kind: str) -> None:
    # An array reads as a list of its base type's Python type.
    assert_type(item.tags, list[str])
    assert_type(item.scores, list[int] | None)
    assert_type(item.ratings, list[float])
    assert_type(item.flags, list[bool])
    assert_type(item.refs, list[uuid.UUID])
    assert_type(item.embedding, list[float])
    # A base type known only when the code runs: list[Any].
    assert_type(fields.Array(base_type=kind), fields.Array[Any, Literal[False]])
    assert_type(fields.Array(base_type=kind, nullable=bool(kind)), fields.Array[Any, bool])
    item.scores = None
    item.tags = [1]  # type: ignore[list-item]  # pyright: ignore[reportAttributeAccessIssue]
    fields.Array(base_type="integer", nullable=True, max_length=3)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]


def field_options() -> None:
    """A FilePath's choices are a directory scan: called for a fresh one, or iterated."""
    templates = fields.FilePath(path="templates", match=r".*\.html$")
    assert_type(templates.choices(), list[tuple[str, str]])
    assert_type(fields.String(choices=["a", "b"]).choices, list[tuple[Any, str]] | None)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Booking(Model):
    colour = fields.Enum(enum_class=Colour, default=Colour.RED)
    second = fields.Enum(enum_class=Colour, nullable=True)
    seats = fields.IntegerRange()
    during = fields.DateTimeRange(nullable=True)
    days = fields.DateRange()
    budget = fields.DecimalRange()


def enums_and_ranges(b: Booking) -> None:
    """An Enum field reads as its enum class; a range field as a Range of its bounds' type."""
    assert_type(b.colour, Colour)
    assert_type(b.second, Colour | None)
    assert_type(b.seats, Range[int])
    assert_type(b.during, Range[dt.datetime] | None)
    assert_type(b.days, Range[dt.date])
    assert_type(b.budget, Range[decimal.Decimal])
    b.colour = "green"  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]


class Profile(Model):
    anything = fields.JSON(default=dict)
    counts = fields.JSON[dict[str, int]](default=dict)
    document = fields.JSON[JSONValue, bool](nullable=True)


async def json_documents(p: Profile) -> None:
    """A JSON field reads as Any unless it names its type."""
    assert_type(p.anything, Any)
    assert_type(p.counts, dict[str, int])
    assert_type(p.document, JSONValue | None)
    p.counts = {"a": 1}
    p.counts = ["a"]  # type: ignore[assignment]  # pyright: ignore[reportAttributeAccessIssue]
    saved = await Profile.objects.create(counts={"a": 1})
    assert_type(saved.counts["a"], int)
