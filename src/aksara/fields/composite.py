"""``CompositeKey``: the primary key of a model keyed by several columns.

``Meta.primary_key = ("order", "line_no")`` makes the pair the key: the table gets
``PRIMARY KEY (order_id, line_no)``, ``obj.pk`` is the tuple ``(order_id, line_no)``, and
``filter(pk=(1, 2))`` or ``filter(pk__in=[(1, 2), (1, 3)])`` compare both columns. The
key is not a column itself: its fields are ordinary fields of the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from aksara.exceptions import ValidationError
from aksara.fields.base import Field

if TYPE_CHECKING:
    from aksara.models.base import Model


class CompositeKey(Field[Any, Any]):
    """The primary key made of ``fields``; its value is the tuple of their values."""

    concrete: ClassVar[bool] = False
    #: Lookups of composite keys, registered by the query layer (row comparisons only).
    composite_lookups: ClassVar[dict[str, Any]] = {}

    def __init__(self, model: type[Model], fields: Sequence[Field[Any, Any]]) -> None:
        super().__init__(ai_agent_writable=False)
        self.primary_key = True
        self.fields = tuple(fields)
        self.attnames = tuple(f.attname for f in self.fields)
        self.model = model
        self.name = self.attname = "pk"

    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        return key_value(instance.__dict__, self.attnames)

    def __set__(self, instance: Any, value: Any) -> None:
        values = self.components(value)
        for field, part in zip(self.fields, values, strict=True):
            setattr(instance, field.attname, part)

    def components(self, value: Any) -> tuple[Any, ...]:
        """``value`` as one value per field; ``ValidationError`` for anything else."""
        names = ", ".join(f.name for f in self.fields)
        # ``parts`` is narrowed (to a tuple or list of Any); ``value`` would stay Any.
        parts: Sequence[Any] = value
        if isinstance(parts, (str, bytes)) or not isinstance(parts, (tuple, list)):
            raise ValidationError(
                f"The key of {self.model.__name__} is a tuple ({names}), got {value!r}"
            )
        if len(parts) != len(self.fields):
            raise ValidationError(
                f"The key of {self.model.__name__} has {len(self.fields)} values ({names}), "
                f"got {len(parts)}"
            )
        return tuple(parts)

    def to_python(self, value: Any) -> Any:
        parts = self.components(value)
        return tuple(f.to_python(v) for f, v in zip(self.fields, parts, strict=True))

    def to_query(self, value: Any) -> Any:
        parts = self.components(value)
        return tuple(f.to_query(v) for f, v in zip(self.fields, parts, strict=True))

    def to_db(self, value: Any) -> Any:
        return tuple(f.to_db(v) for f, v in zip(self.fields, value, strict=True))

    def validate(self, value: Any) -> None:
        for field, part in zip(self.fields, value, strict=True):
            field.validate(part)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.types.NullType()

    @property
    def db_generated(self) -> bool:
        return False

    def get_lookup(self, name: str) -> Any:
        return self.composite_lookups.get(name)

    def get_transform(self, name: str) -> Any:
        return None

    def describe(self) -> dict[str, Any]:
        return {"type": "composite", "fields": [f.name for f in self.fields]}

    def __repr__(self) -> str:
        return f"<CompositeKey {self.model.__name__}({', '.join(self.attnames)})>"


def key_value(d: dict[str, Any], attnames: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The key of an instance ``__dict__``: the tuple of its parts, None while one is None."""
    parts = tuple(d.get(a) for a in attnames)
    return None if any(p is None for p in parts) else parts
