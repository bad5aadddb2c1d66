"""JSON Schema for field values, and field values as JSON, derived from field metadata.

Everything comes from what a field class declares (``ai_type``) and what ``describe()``
reports (``max_length``, ``pattern``, ``choices``, ``enum``, ``minimum``, ``precision``,
``format``, ``items``, ``dimensions``, ...), so new field classes are described without
changes here.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import ipaddress
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

from aksara.exceptions import ValidationError
from aksara.fields.relations import RelatedField
from aksara.fields.special import JSON

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from aksara.fields.base import Field
    from aksara.fields.ranges import RangeField

#: ``describe()`` formats that JSON Schema defines with the same meaning.
JSON_SCHEMA_FORMATS: Final = {
    "email": "email",
    "uri": "uri",
    "uuid": "uuid",
    "date": "date",
    "date-time": "date-time",
    "ipv4": "ipv4",
    "ipv6": "ipv6",
}
#: JSON Schema's ``time`` needs a UTC offset, which a ``TIME`` column has none of.
TIME_PATTERN: Final = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
ASCII_SLUG_PATTERN: Final = r"^[-a-zA-Z0-9_]+$"
UNICODE_SLUG_PATTERN: Final = r"^[-\w]+$"
#: More choices than this are described, not enumerated (a directory scan can be long).
MAX_ENUM: Final = 100
#: Keywords that constrain stored values but not what a filter may compare with.
_VALUE_BOUNDS: Final = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
)


def choices_of(field: Field[Any, Any], info: Mapping[str, Any]) -> list[Any] | None:
    """The allowed values (an Enum's values or ``choices``) as JSON, or None."""
    values = info.get("enum", info.get("choices"))
    if values is None or len(values) > MAX_ENUM:
        return None
    return [to_json(v) for v in values]


def value_schema(field: Field[Any, Any]) -> dict[str, Any]:
    """The JSON Schema of one non-null value of ``field``."""
    if isinstance(field, RelatedField):
        target = field.related_model
        if target is not None:
            return value_schema(target._meta.pk)
        return {"type": "string", "format": "uuid"}
    if isinstance(field, JSON):
        return {}  # any JSON value
    info = field.describe()
    fmt = info.get("format")
    schema: dict[str, Any]
    if fmt == "duration":
        schema = {"type": "number"}  # seconds
    elif fmt == "time":
        schema = {"type": "string", "pattern": TIME_PATTERN}
    elif fmt == "binary":
        schema = {"type": "string", "contentEncoding": "base64"}
    elif "range_of" in info:  # a range field: its bounds are values of its element field
        element = value_schema(cast("RangeField[Any]", field).base_field)
        schema = {
            "type": "object",
            "properties": {
                "lower": element,
                "upper": element,
                "bounds": {"type": "string", "enum": ["[)", "(]", "[]", "()"]},
                "empty": {"type": "boolean"},
            },
            "additionalProperties": False,
        }
    elif field.ai_type == "array":
        items = dict(info.get("items") or {})
        item_format = JSON_SCHEMA_FORMATS.get(items.pop("format", ""))
        if item_format:
            items["format"] = item_format
        schema = {"type": "array", "items": items}
        dimensions = info.get("dimensions")
        if dimensions is not None:
            schema["minItems"] = schema["maxItems"] = dimensions
    elif field.ai_type == "number" and "scale" in info:
        schema = _decimal_schema(info)
    else:
        schema = {"type": field.ai_type}
    if schema.get("type") == "string" and fmt != "binary":
        _string_keywords(field, info, schema)
    if field.ai_type in ("integer", "number"):
        for key in ("minimum", "maximum"):
            if key in info:
                schema[key] = info[key]
    values = choices_of(field, info)
    if values is not None:
        schema["enum"] = values
    return schema


def _string_keywords(
    field: Field[Any, Any], info: Mapping[str, Any], schema: dict[str, Any]
) -> None:
    fmt = info.get("format")
    if "max_length" in info:
        schema["maxLength"] = info["max_length"]
    if info.get("min_length"):
        schema["minLength"] = info["min_length"]
    if "pattern" in info:
        # A field's regex must match the whole value; a JSON Schema pattern may match anywhere.
        schema["pattern"] = f"^(?:{info['pattern']})$"
    elif fmt == "slug":
        unicode = getattr(field, "allow_unicode", False)
        schema["pattern"] = UNICODE_SLUG_PATTERN if unicode else ASCII_SLUG_PATTERN
    if fmt in JSON_SCHEMA_FORMATS:
        schema["format"] = JSON_SCHEMA_FORMATS[fmt]
    elif fmt == "ip":
        schema["anyOf"] = [{"format": "ipv4"}, {"format": "ipv6"}]


def _decimal_schema(info: Mapping[str, Any]) -> dict[str, Any]:
    """A number, or a numeric string for exact values; at most ``precision - scale`` digits
    before the point (JSON Schema's ``multipleOf`` is not used: it misjudges 0.01 steps)."""
    precision, scale = info["precision"], info["scale"]
    fraction = rf"(\.[0-9]{{1,{scale}}})?" if scale else ""
    bound = 10 ** (precision - scale)
    return {
        "type": ["number", "string"],
        "pattern": rf"^-?[0-9]{{1,{precision - scale}}}{fraction}$"
        if precision > scale
        else rf"^-?0?{fraction}$",
        "exclusiveMinimum": -bound,
        "exclusiveMaximum": bound,
    }


def filter_value_schema(field: Field[Any, Any]) -> dict[str, Any]:
    """The schema of a value compared with ``field`` in a filter: its type without the bounds
    a stored value must respect (``gt: 0`` is a fine filter on a field with ``min_value=1``)."""
    schema = value_schema(field)
    for key in _VALUE_BOUNDS:
        schema.pop(key, None)
    return schema


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` that also accepts null."""
    if not schema:
        return schema  # any JSON value, null included
    schema = dict(schema)
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list):
        schema["type"] = [*kind, "null"]
    else:
        return {"anyOf": [schema, {"type": "null"}]}
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    return schema


def field_schema(field: Field[Any, Any], *, with_default: bool = True) -> dict[str, Any]:
    """The JSON Schema of the field in write data: its value (or null when nullable), its
    description and, with ``with_default``, its default."""
    schema = value_schema(field)
    if field.nullable:
        schema = nullable(schema)
    description = describe_value(field)
    if description:
        schema["description"] = description
    if with_default:
        default = json_default(field)
        if default is not NO_DEFAULT:
            schema["default"] = default
    return schema


def describe_value(field: Field[Any, Any]) -> str:
    """The field's ``ai_description`` and what its schema cannot say."""
    parts = [field.ai_description.rstrip(".")] if field.ai_description else []
    info = field.describe()
    fmt = info.get("format")
    if isinstance(field, RelatedField):
        parts.append(f"ID of a {field.target_name()}")
    elif fmt == "duration":
        parts.append("Duration in seconds")
    elif fmt == "time":
        parts.append("Time of day, HH:MM[:SS[.ffffff]]")
    elif fmt == "path" and (path := getattr(field, "path", "")):
        parts.append(f"Path of a file under {path}")
    elif "scale" in info and field.ai_type == "number":
        parts.append(
            f"Decimal with at most {info['scale']} decimal places; a string keeps it exact"
        )
    return "; ".join(parts)


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


#: ``json_default()`` of a field without a default that JSON can show.
NO_DEFAULT: Final = _NoDefault()


def json_default(field: Field[Any, Any]) -> Any:
    """The field's default as JSON, or ``NO_DEFAULT`` (none, or a callable other than dict/list)."""
    if not field.has_default():
        return NO_DEFAULT
    default = field.default
    if default is dict or default is list:
        return {} if default is dict else []
    if callable(default):
        return NO_DEFAULT
    return to_json(default)


def to_json(value: Any) -> Any:
    """A field value as JSON: decimals as exact strings, dates in ISO 8601, durations in
    seconds, bytes in base64, UUIDs, addresses and stored files as strings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(cast("Buffer", value))).decode("ascii")
    if isinstance(value, (uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in cast("Mapping[object, Any]", value).items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in cast("Sequence[Any]", value)]
    if hasattr(value, "storage") and hasattr(value, "name"):
        return value.name  # a stored file (FieldFile): its name
    return str(value)


def from_json(field: Field[Any, Any], value: Any) -> Any:
    """Undo the JSON encodings ``to_json`` applies that the field does not read itself (base64)."""
    if value is not None and field.describe().get("format") == "binary":
        if not isinstance(value, str):
            raise ValidationError(f"Expected a base64 string, got {type(value).__name__}")
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise ValidationError("Invalid base64 data") from None
    return value
