"""``Array``: a PostgreSQL array of text, integers, floats, booleans or UUIDs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Unpack

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import Field, FieldOptions, N


def _element_fields() -> dict[str, Callable[[], Field[Any, Any]]]:
    from aksara.fields.numeric import Float, Integer
    from aksara.fields.special import UUID, Boolean
    from aksara.fields.text import Text

    return {"text": Text, "integer": Integer, "float": Float, "boolean": Boolean, "uuid": UUID}


#: ``base_type`` → the PostgreSQL element type.
BASE_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "text": sa.Text,
    "integer": sa.Integer,
    "float": sa.Double,
    "boolean": sa.Boolean,
    "uuid": lambda: pg.UUID(as_uuid=True),
}


class Array(Field[list[Any], N]):
    """A list of values of one type. PostgreSQL type: ``TEXT[]``, ``INTEGER[]``,
    ``DOUBLE PRECISION[]``, ``BOOLEAN[]`` or ``UUID[]`` for ``base_type`` ``"text"``
    (the default), ``"integer"``, ``"float"``, ``"boolean"`` or ``"uuid"``.

    ``tags = fields.Array(base_type="text", default=list)``

    Each element is validated as the field of its type would validate it (``None``
    elements are rejected); values read back are lists, and in-place changes
    (``article.tags.append("x")``) are saved. Lookups: ``contains`` (``@>``: has all of
    these), ``contained_by`` (``<@``), ``overlap`` (``&&``: has any of these), ``len``
    (``tags__len__gte=2``) and an index (``tags__0="python"``).
    """

    mutable: ClassVar[bool] = True
    ai_type: ClassVar[str] = "array"

    def __init__(self, *, base_type: str = "text", **options: Unpack[FieldOptions[N]]) -> None:
        if base_type not in BASE_TYPES:
            raise ConfigurationError(
                f"Array(base_type=...) must be one of {', '.join(BASE_TYPES)}, got {base_type!r}"
            )
        super().__init__(**options)
        self.base_type = base_type
        self.base_field = self.element_field()

    def element_field(self) -> Field[Any, Any]:
        """A field that validates one element (what ``tags__0`` compares with)."""
        return _element_fields()[self.base_type]()

    def to_python(self, value: Any) -> list[Any]:
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
            raise ValidationError(f"Expected a list, got {type(value).__name__}")
        base = self.base_field
        out = []
        for index, item in enumerate(value):
            if item is None:
                raise ValidationError(f"Item {index}: array elements cannot be null")
            try:
                item = base.clean(item)
            except ValidationError as error:
                raise ValidationError(f"Item {index}: {error.messages[0]}") from None
            out.append(item)
        return out

    def snapshot(self, value: Any) -> Any:
        return list(value) if isinstance(value, list) else value

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.ARRAY(BASE_TYPES[self.base_type]())

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["items"] = {"type": self.base_field.ai_type}
        if self.base_type == "uuid":
            info["items"]["format"] = "uuid"
        return info
