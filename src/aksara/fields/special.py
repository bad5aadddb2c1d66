"""Special fields: Boolean, UUID, JSON."""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.exceptions import ValidationError
from aksara.fields.base import Field


class Boolean(Field[bool]):
    """True/False. PostgreSQL type: ``BOOLEAN``.

    ``is_active = fields.Boolean(default=True)``
    """

    ai_type: ClassVar[str] = "boolean"

    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        raise ValidationError(f"Expected boolean, got {type(value).__name__}")

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Boolean()


class UUID(Field[uuid.UUID]):
    """Universally unique identifier. PostgreSQL type: ``UUID``.

    ``external_id = fields.UUID()``; strings in any standard form are accepted.
    """

    def to_python(self, value: Any) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str):
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        raise ValidationError(f"Invalid UUID {value!r}")

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.UUID(as_uuid=True)

    def sa_column_kwargs(self) -> dict[str, Any]:
        if self.primary_key:
            return {"server_default": sa.text("gen_random_uuid()")}
        return {}

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "uuid"
        return info


def _copy_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if kind is list:
        return [_copy_json(v) for v in value]
    return value


class JSON(Field[Any]):
    """JSON data stored as ``JSONB``. Nested keys can be queried: ``filter(preferences__theme="dark")``.

    ``metadata = fields.JSON(default=dict)``
    """

    mutable: ClassVar[bool] = True
    ai_type: ClassVar[str] = "object"

    def clean(self, value: Any, instance: Any = None) -> Any:
        # JSON null is a value of its own: None is stored as SQL NULL when nullable.
        if value is None:
            return super().clean(value, instance)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"Value is not JSON serialisable: {exc}") from None
        if self.choices is not None:
            self.validate_choices(value)
        self.validate(value)
        return value

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.JSONB(none_as_null=True)

    def snapshot(self, value: Any) -> Any:
        return _copy_json(value)
