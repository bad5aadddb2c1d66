"""Models shared by the FastAPI integration tests."""

from aksara import Model, ValidationError, fields
from aksara.fields.files import FileField, ImageField


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
