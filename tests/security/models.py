"""Models of the security tests (every name starts with ``Sec``)."""

from aksara import Model, fields


class SecNote(Model):
    title = fields.String(max_length=100)


class SecDoc(Model):
    title = fields.String(max_length=100)
    tags = fields.Array(base_type="text", default=list)
    data = fields.JSON(default=dict)
    spent = fields.Duration(nullable=True)
