"""Numeric fields: the integer family, Float, Decimal."""

from __future__ import annotations

from typing import Any, ClassVar, Unpack

import sqlalchemy as sa

from aksara.exceptions import ValidationError
from aksara.fields.base import Field, FieldOptions


class Integer(Field[int]):
    """Standard 32-bit integer. PostgreSQL type: ``INTEGER``.

    ``rating = fields.Integer(min_value=1, max_value=5)``
    """

    ai_type: ClassVar[str] = "integer"
    range_min: ClassVar[int] = -(2**31)
    range_max: ClassVar[int] = 2**31 - 1

    def __init__(
        self,
        *,
        min_value: int | None = None,
        max_value: int | None = None,
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(**options)
        self.min_value = min_value
        self.max_value = max_value

    def to_python(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Expected integer, got bool")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValidationError("Expected integer")

    def validate(self, value: int) -> None:
        if not self.range_min <= value <= self.range_max:
            raise ValidationError(
                f"Value {value} is out of range for {type(self).__name__} "
                f"({self.range_min} to {self.range_max})"
            )
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(f"Ensure this value is greater than or equal to {self.min_value}")
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(f"Ensure this value is less than or equal to {self.max_value}")

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Integer()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["minimum"] = max(self.range_min, self.min_value if self.min_value is not None else self.range_min)
        info["maximum"] = min(self.range_max, self.max_value if self.max_value is not None else self.range_max)
        return info
