"""Models shared by the query tests."""

from aksara import Model, fields


class Author(Model):
    name = fields.String(max_length=100)
    email = fields.String(max_length=200, unique=True)
    active = fields.Boolean(default=True)
    age = fields.Integer(nullable=True)
    joined = fields.DateTime(auto_now_add=True)
    touched = fields.DateTime(auto_now=True)
    profile = fields.JSON(default=dict)

    class Meta:
        ordering = ("name",)


class Note(Model):
    title = fields.String(max_length=200, db_index=True)
    body = fields.Text(default="")
    rank = fields.Integer(default=0)
    ref = fields.UUID(nullable=True)


class QsTagged(Model):
    tags = fields.Array(base_type="text", default=list)
