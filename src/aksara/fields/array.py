"""``Array``: a PostgreSQL array of text, integers, floats, booleans or UUIDs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Literal, Unpack, cast, overload

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from typing_extensions import TypeVar

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import CommonOptions, Field, N


def _element_fields() -> dict[str, Callable[[], Field[Any, Any]]]:
    from aksara.fields.numeric import Float, Integer
    from aksara.fields.special import UUID, Boolean
    from aksara.fields.text import Text

    return {"text": Text, "integer": Integer, "float": Float, "boolean": Boolean, "uuid": UUID}


#: An array's element type: ``Array[int]`` for ``base_type="integer"``.
E = TypeVar("E", default=Any)

#: ``base_type`` → the PostgreSQL element type.
BASE_TYPES: dict[str, Callable[[], sa.types.TypeEngine[Any]]] = {
    "text": sa.Text,
    "integer": sa.Integer,
    "float": sa.Double,
    "boolean": sa.Boolean,
    "uuid": lambda: pg.UUID(as_uuid=True),
}


class Array(Field[list[E], N]):
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

    @overload
    def __init__(
        self: Array[str, Literal[False]],
        *,
        base_type: Literal["text"] = "text",
        nullable: Literal[False] = False,
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[str, Literal[True]],
        *,
        base_type: Literal["text"] = "text",
        nullable: Literal[True],
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[int, Literal[False]],
        *,
        base_type: Literal["integer"],
        nullable: Literal[False] = False,
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[int, Literal[True]],
        *,
        base_type: Literal["integer"],
        nullable: Literal[True],
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[float, Literal[False]],
        *,
        base_type: Literal["float"],
        nullable: Literal[False] = False,
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[float, Literal[True]],
        *,
        base_type: Literal["float"],
        nullable: Literal[True],
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[bool, Literal[False]],
        *,
        base_type: Literal["boolean"],
        nullable: Literal[False] = False,
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[bool, Literal[True]],
        *,
        base_type: Literal["boolean"],
        nullable: Literal[True],
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[uuid.UUID, Literal[False]],
        *,
        base_type: Literal["uuid"],
        nullable: Literal[False] = False,
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[uuid.UUID, Literal[True]],
        *,
        base_type: Literal["uuid"],
        nullable: Literal[True],
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[Any, Literal[False]],
        *,
        base_type: str,
        nullable: Literal[False] = False,
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[Any, Literal[True]],
        *,
        base_type: str,
        nullable: Literal[True],
        **options: Unpack[CommonOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Array[Any, bool],
        *,
        base_type: str = "text",
        nullable: bool = False,
        **options: Unpack[CommonOptions],
    ) -> None: ...

    def __init__(self, *, base_type: str = "text", **options: Any) -> None:
        # Each base type reads as a list of its Python type: base_type="integer" as
        # list[int] (list[int] | None with nullable=True).
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
        if not isinstance(value, (list, tuple)):
            raise ValidationError(f"Expected a list, got {type(value).__name__}")
        items = cast("list[Any] | tuple[Any, ...]", value)
        base = self.base_field
        out: list[Any] = []
        for index, item in enumerate(items):
            if item is None:
                raise ValidationError(f"Item {index}: array elements cannot be null")
            try:
                item = base.clean(item)
            except ValidationError as error:
                raise ValidationError(f"Item {index}: {error.messages[0]}") from None
            out.append(item)
        return out

    def snapshot(self, value: Any) -> Any:
        return cast("list[Any]", value).copy() if isinstance(value, list) else value

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return pg.ARRAY(BASE_TYPES[self.base_type]())

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["items"] = {"type": self.base_field.ai_type}
        if self.base_type == "uuid":
            info["items"]["format"] = "uuid"
        return info
