"""Models shared by the FastAPI integration tests."""

import enum
from pathlib import Path

from aksara import Model, ValidationError, fields
from aksara.fields.files import FileField
from aksara.fields.images import ImageField


class Gizmo(Model):
    """A gizmo sold in the shop."""

    name = fields.String(max_length=100, min_length=2, help_text="Display name")
    sku = fields.String(max_length=20, unique=True, regex=r"[A-Z]{3}-\d{3}")
    level = fields.String(max_length=10, choices=["low", "high"], default="low")
    stock = fields.Integer(min_value=0, max_value=1000, default=0)
    notes = fields.Text(nullable=True)
    active = fields.Boolean(default=True)
    extra = fields.JSON(default=dict)
    created_at = fields.DateTime(auto_now_add=True)
    ref = fields.UUID(nullable=True)

    def clean(self) -> None:
        if self.name.lower() == "forbidden":
            raise ValidationError({"name": ["This name is reserved"]})
        if self.level == "high" and self.stock == 0:
            raise ValidationError("A high-level gizmo needs stock")


class GizmoMaker(Model):
    code = fields.String(max_length=8, primary_key=True)
    name = fields.String(max_length=100, db_index=True)
    since = fields.DateTime(nullable=True)
    favourite = fields.JSON(choices=[{"tone": "warm"}, {"tone": "cool"}], nullable=True)


class GizmoAsset(Model):
    name = fields.String(max_length=200)
    file = FileField(upload_to="assets")
    preview = ImageField(upload_to="previews", nullable=True)


class Level(enum.StrEnum):
    LOW = "low"
    HIGH = "high"


class GizmoSpec(Model):
    """Every field family of the catalogue, through the API."""

    title = fields.String(max_length=100)
    slug = fields.Slug(max_length=100, auto_from="title", unique=True)
    email = fields.Email()
    website = fields.URL(nullable=True)
    big = fields.BigInteger(default=0)
    small = fields.SmallInteger(choices=[0, 1, 2], default=0)
    positive = fields.PositiveInteger(default=0)
    ratio = fields.Float(min_value=0.0, max_value=1.0)
    price = fields.Decimal(precision=6, scale=2, min_value=0)
    born = fields.Date(nullable=True)
    alarm = fields.Time(nullable=True)
    cooking = fields.Duration(nullable=True)
    embedding = fields.Vector(dimensions=3, nullable=True)
    level = fields.Enum(enum_class=Level, default=Level.LOW)
    tags = fields.Array(base_type="text", default=list)
    scores = fields.Array(base_type="integer", nullable=True)
    server = fields.IPAddress(nullable=True)
    digest = fields.Binary(nullable=True)
    template = fields.FilePath(
        path=str(Path(__file__).parent), match=r"^models\.py$", nullable=True
    )


class GizmoPart(Model):
    gizmo = fields.ForeignKey(Gizmo, on_delete=fields.RESTRICT, related_name="parts")
    maker = fields.ForeignKey(GizmoMaker, on_delete=fields.SET_NULL, nullable=True)
    name = fields.String(max_length=50)
