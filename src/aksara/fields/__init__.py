"""aksara field types. Each family lives in its own module; use them as ``fields.String`` etc."""

from aksara.fields.base import Field, FieldOptions
from aksara.fields.numeric import Integer
from aksara.fields.special import JSON, UUID, Boolean
from aksara.fields.temporal import DateTime
from aksara.fields.text import String, Text

__all__ = [
    "JSON",
    "UUID",
    "Boolean",
    "DateTime",
    "Field",
    "FieldOptions",
    "Integer",
    "String",
    "Text",
]
