"""Models of the property tests, one per field family (names start with ``Pp``: model and
table names are global). Every field is nullable so that a row can hold one field's value;
the ``required`` fields (not nullable, with a default) check that ``None`` is refused."""

import enum

from aksara import Model, fields


class PpText(Model):
    name = fields.String(max_length=10, nullable=True)
    body = fields.Text(nullable=True)
    trimmed = fields.String(max_length=12, min_length=2, strip_whitespace=True, nullable=True)
    email = fields.Email(nullable=True)
    website = fields.URL(nullable=True)
    slug = fields.Slug(max_length=12, nullable=True)
    unicode_slug = fields.Slug(max_length=12, allow_unicode=True, nullable=True)
    required = fields.String(max_length=10, default="")


class PpInteger(Model):
    integer = fields.Integer(nullable=True)
    small = fields.SmallInteger(nullable=True)
    big = fields.BigInteger(nullable=True)
    positive = fields.PositiveInteger(nullable=True)
    positive_small = fields.PositiveSmallInteger(nullable=True)
    positive_big = fields.PositiveBigInteger(nullable=True)
    rating = fields.Integer(min_value=-3, max_value=5, nullable=True)
    required = fields.Integer(default=0)


class PpFloat(Model):
    number = fields.Float(nullable=True)
    latitude = fields.Float(min_value=-90, max_value=90, nullable=True)
    required = fields.Float(default=0.0)


class PpDecimal(Model):
    price = fields.Decimal(precision=10, scale=2, nullable=True)
    rate = fields.Decimal(precision=5, scale=4, nullable=True)
    whole = fields.Decimal(precision=3, scale=0, nullable=True)
    wide = fields.Decimal(precision=40, scale=20, nullable=True)
    percentage = fields.Decimal(precision=5, scale=2, min_value=0, max_value=100, nullable=True)


class PpBoolean(Model):
    flag = fields.Boolean(nullable=True)
    required = fields.Boolean(default=False)


class PpTemporal(Model):
    moment = fields.DateTime(nullable=True)
    day = fields.Date(nullable=True)
    clock = fields.Time(nullable=True)
    span = fields.Duration(nullable=True)


class PpUUID(Model):
    identifier = fields.UUID(nullable=True)


class PpJSON(Model):
    data = fields.JSON(nullable=True)
    required = fields.JSON(default=dict)


class PpArray(Model):
    texts = fields.Array(base_type="text", nullable=True)
    integers = fields.Array(base_type="integer", nullable=True)
    floats = fields.Array(base_type="float", nullable=True)
    booleans = fields.Array(base_type="boolean", nullable=True)
    uuids = fields.Array(base_type="uuid", nullable=True)


class PpColour(str, enum.Enum):  # noqa: UP042 - a str mixin, as applications write it
    RED = "red"
    GREEN = "green"
    EMPTY = ""
    SNOWMAN = "☃"


class PpLevel(enum.IntEnum):
    LOW = 1
    HIGH = 2
    NEGATIVE = -7


class PpEnum(Model):
    colour = fields.Enum(enum_class=PpColour, nullable=True)
    level = fields.Enum(enum_class=PpLevel, nullable=True)
    short_colour = fields.Enum(enum_class=PpColour, max_length=5, nullable=True)


class PpIPAddress(Model):
    any_ip = fields.IPAddress(nullable=True)
    ipv4 = fields.IPAddress(protocol="ipv4", nullable=True)
    ipv6 = fields.IPAddress(protocol="ipv6", nullable=True)
    unpacked = fields.IPAddress(unpack_ipv4=True, nullable=True)


class PpBinary(Model):
    blob = fields.Binary(nullable=True)
    small_blob = fields.Binary(max_length=4, nullable=True)


class PpVector(Model):
    embedding = fields.Vector(dimensions=3, nullable=True)
    free = fields.Vector(nullable=True)
