"""aksara field types. Each family lives in its own module; use them as ``fields.String`` etc."""

from aksara.fields.array import Array
from aksara.fields.base import Field, FieldOptions
from aksara.fields.declarations import declared
from aksara.fields.filepath import FilePath
from aksara.fields.files import FieldFile, FileField, StoredFile
from aksara.fields.images import ImageField, ImageFieldFile
from aksara.fields.numeric import (
    BigInteger,
    Decimal,
    Float,
    Integer,
    PositiveBigInteger,
    PositiveInteger,
    PositiveSmallInteger,
    SmallInteger,
)
from aksara.fields.ranges import (
    BigIntegerRange,
    DateRange,
    DateTimeRange,
    DecimalRange,
    IntegerRange,
    RangeField,
)
from aksara.fields.relations import (
    CASCADE,
    PROTECT,
    RESTRICT,
    SET_NULL,
    ForeignKey,
    ManyToMany,
    OneToOne,
)
from aksara.fields.slug import Slug
from aksara.fields.special import JSON, UUID, Binary, Boolean, Enum, IPAddress
from aksara.fields.temporal import Date, DateTime, Duration, Time
from aksara.fields.text import URL, Email, String, Text
from aksara.fields.vector import Vector

#: The reference also names some fields with a ``Field`` suffix; these are the same classes.
GenericIPAddress = IPAddress
IPAddressField = IPAddress
GenericIPAddressField = IPAddress
BinaryField = Binary

__all__ = [
    "CASCADE",
    "JSON",
    "PROTECT",
    "RESTRICT",
    "SET_NULL",
    "URL",
    "UUID",
    "Array",
    "BigIntegerRange",
    "DateRange",
    "DateTimeRange",
    "DecimalRange",
    "IntegerRange",
    "RangeField",
    "BigInteger",
    "Binary",
    "BinaryField",
    "Boolean",
    "Date",
    "DateTime",
    "Decimal",
    "Duration",
    "Email",
    "Enum",
    "Field",
    "FieldFile",
    "FieldOptions",
    "FileField",
    "FilePath",
    "Float",
    "ForeignKey",
    "GenericIPAddress",
    "GenericIPAddressField",
    "IPAddress",
    "IPAddressField",
    "ImageField",
    "ImageFieldFile",
    "Integer",
    "ManyToMany",
    "OneToOne",
    "PositiveBigInteger",
    "PositiveInteger",
    "PositiveSmallInteger",
    "Slug",
    "SmallInteger",
    "StoredFile",
    "String",
    "Text",
    "Time",
    "Vector",
    "declared",
]
