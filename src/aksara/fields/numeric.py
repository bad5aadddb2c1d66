"""Numeric fields: the integer family, Float, Decimal."""

from __future__ import annotations

import decimal
import math
from typing import Any, ClassVar, Unpack

import sqlalchemy as sa

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import Field, FieldOptions, N


def check_constraint_name(column: str, suffix: str) -> str:
    """A CHECK constraint name (the metadata's convention prefixes ``ck_<table>_``)."""
    return f"{column}_{suffix}"


class Integer(Field[int, N]):
    """Standard 32-bit integer. PostgreSQL type: ``INTEGER``.

    ``rating = fields.Integer(min_value=1, max_value=5)``; ``priority = fields.Integer(choices=[1, 2, 3])``.
    Values outside the column's range are rejected before they reach the database;
    booleans are not integers.
    """

    ai_type: ClassVar[str] = "integer"
    range_min: ClassVar[int] = -(2**31)
    range_max: ClassVar[int] = 2**31 - 1

    def __init__(
        self,
        *,
        min_value: int | None = None,
        max_value: int | None = None,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(**options)
        if min_value is not None and max_value is not None and min_value > max_value:
            raise ConfigurationError(
                f"min_value ({min_value}) is greater than max_value ({max_value})"
            )
        self.min_value = min_value
        self.max_value = max_value

    def to_python(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValidationError("Expected integer, got bool")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, decimal.Decimal) and value.is_finite() and value == int(value):
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValidationError("Expected integer")

    def to_query(self, value: Any) -> Any:
        # Outside the column's type a parameter cannot even be sent: say so before SQL.
        number = self.to_python(value)
        self._check_range(number)
        return number

    def _check_range(self, value: int) -> None:
        if not self.range_min <= value <= self.range_max:
            raise ValidationError(
                f"Value {value} is out of range for {type(self).__name__} "
                f"({self.range_min} to {self.range_max})"
            )

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

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        low = self.range_min if self.min_value is None else max(self.range_min, self.min_value)
        high = self.range_max if self.max_value is None else min(self.range_max, self.max_value)
        return f"type(v) is int and {int(low)} <= v <= {int(high)}"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Integer()

    def sa_constraints(self, table_name: str) -> list[sa.schema.SchemaItem]:
        if self.range_min != 0:
            return []
        # The positive variants: the database refuses negatives written by other clients too.
        name = check_constraint_name(self.column_name, "positive")
        # An expression, so that SQLAlchemy quotes the column name (never text built by hand).
        return [sa.CheckConstraint(sa.column(self.column_name) >= 0, name=name)]

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        low = self.range_min if self.min_value is None else max(self.range_min, self.min_value)
        high = self.range_max if self.max_value is None else min(self.range_max, self.max_value)
        info["minimum"] = low
        info["maximum"] = high
        return info


class BigInteger(Integer[N]):
    """64-bit integer. PostgreSQL type: ``BIGINT``.

    ``view_count = fields.BigInteger(default=0)``
    """

    range_min: ClassVar[int] = -(2**63)
    range_max: ClassVar[int] = 2**63 - 1

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()


class SmallInteger(Integer[N]):
    """16-bit integer. PostgreSQL type: ``SMALLINT``.

    ``day_of_week = fields.SmallInteger(choices=[0, 1, 2, 3, 4, 5, 6])``
    """

    range_min: ClassVar[int] = -(2**15)
    range_max: ClassVar[int] = 2**15 - 1

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.SmallInteger()


class PositiveInteger(Integer[N]):
    """``INTEGER`` from 0 to 2,147,483,647, with a ``CHECK (column >= 0)`` constraint.

    ``view_count = fields.PositiveInteger(default=0)``
    """

    range_min: ClassVar[int] = 0


class PositiveSmallInteger(SmallInteger[N]):
    """``SMALLINT`` from 0 to 32,767, with a ``CHECK (column >= 0)`` constraint.

    ``retry_count = fields.PositiveSmallInteger(default=0)``
    """

    range_min: ClassVar[int] = 0


class PositiveBigInteger(BigInteger[N]):
    """``BIGINT`` from 0 to 9,223,372,036,854,775,807, with a ``CHECK (column >= 0)`` constraint.

    ``big_counter = fields.PositiveBigInteger(default=0)``
    """

    range_min: ClassVar[int] = 0


def _bounds_message(value: Any, low: Any, high: Any) -> str | None:
    if low is not None and value < low:
        return f"Ensure this value is greater than or equal to {low}"
    if high is not None and value > high:
        return f"Ensure this value is less than or equal to {high}"
    return None


class Float(Field[float, N]):
    """Double-precision floating point. PostgreSQL type: ``DOUBLE PRECISION``.

    ``latitude = fields.Float(min_value=-90, max_value=90)``. NaN and infinities are
    rejected. Use ``Decimal`` for money.
    """

    ai_type: ClassVar[str] = "number"

    def __init__(
        self,
        *,
        min_value: float | None = None,
        max_value: float | None = None,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(**options)
        self.min_value = min_value
        self.max_value = max_value

    def to_python(self, value: Any) -> float:
        if isinstance(value, bool):
            raise ValidationError("Expected number, got bool")
        if isinstance(value, (int, float, decimal.Decimal)):
            try:
                number = float(value)
            except OverflowError:
                raise ValidationError(f"Value {value} is out of range for Float") from None
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ValidationError("Expected number") from None
        else:
            raise ValidationError(f"Expected number, got {type(value).__name__}")
        if not math.isfinite(number):
            raise ValidationError("Expected a finite number (not NaN or infinity)")
        return number

    def validate(self, value: float) -> None:
        message = _bounds_message(value, self.min_value, self.max_value)
        if message:
            raise ValidationError(message)

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        if self.min_value is not None or self.max_value is not None:
            return None
        names["isfinite"] = math.isfinite
        return "type(v) is float and isfinite(v)"

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Double()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        if self.min_value is not None:
            info["minimum"] = self.min_value
        if self.max_value is not None:
            info["maximum"] = self.max_value
        return info


class Decimal(Field[decimal.Decimal, N]):
    """Exact decimal for money and other counted quantities. PostgreSQL type: ``NUMERIC(precision, scale)``.

    ``price = fields.Decimal(precision=10, scale=2)`` holds ``12345678.90`` but rejects
    ``123456789.00`` (9 digits before the point, 8 allowed) and ``3.14159`` (5 decimal
    places, 2 allowed) instead of rounding them. Strings and ints convert exactly; a
    float converts through its shortest repr (``0.1`` → ``Decimal("0.1")``). Clean values
    carry ``scale`` decimal places, as the database returns them.
    """

    ai_type: ClassVar[str] = "number"

    def __init__(
        self,
        *,
        precision: int = 10,
        scale: int = 2,
        min_value: float | int | decimal.Decimal | None = None,
        max_value: float | int | decimal.Decimal | None = None,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(**options)
        # Run-time checks: untyped callers may pass anything.
        if not isinstance(precision, int) or not 1 <= precision <= 1000:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(
                f"precision must be an integer from 1 to 1000, got {precision!r}"
            )
        if not isinstance(scale, int) or not 0 <= scale <= precision:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(f"scale must be an integer from 0 to precision, got {scale!r}")
        self.precision = precision
        self.scale = scale
        self.min_value = min_value
        self.max_value = max_value
        self._quantum = decimal.Decimal(1).scaleb(-scale)
        self._context = decimal.Context(prec=precision + 1)

    def to_python(self, value: Any) -> decimal.Decimal:
        if isinstance(value, bool):
            raise ValidationError("Expected decimal number, got bool")
        if isinstance(value, decimal.Decimal):
            number = value
        elif isinstance(value, int):
            number = decimal.Decimal(value)
        elif isinstance(value, float):
            number = decimal.Decimal(repr(value))
        elif isinstance(value, str):
            try:
                number = decimal.Decimal(value.strip())
            except decimal.InvalidOperation:
                raise ValidationError("Expected decimal number") from None
        else:
            raise ValidationError(f"Expected decimal number, got {type(value).__name__}")
        if not number.is_finite():
            raise ValidationError("Expected a finite decimal number (not NaN or infinity)")
        return number

    def clean(self, value: Any, instance: Any = None) -> decimal.Decimal | None:
        if type(value) is decimal.Decimal and self._plain():
            quick = self._quantized(value)
            if quick is not None:
                return quick
        cleaned = super().clean(value, instance)
        if cleaned is None:
            return None
        return cleaned.quantize(self._quantum, context=self._context)

    def _plain(self) -> bool:
        """No choices and no bounds: digits alone decide whether a value is valid."""
        return self.choices is None and self.min_value is None and self.max_value is None

    def _quantized(self, value: decimal.Decimal) -> decimal.Decimal | None:
        """``value`` with ``scale`` places when that loses no digit and it fits the column;
        None otherwise (the full ``clean()`` then says what is wrong)."""
        if not value.is_finite():
            return None
        try:
            quantized = value.quantize(self._quantum, context=self._context)
        except decimal.InvalidOperation:
            return None
        if quantized != value:
            return None  # more places than the scale: refused, not rounded
        if not quantized.is_zero() and quantized.adjusted() >= self.precision - self.scale:
            return None
        return quantized

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        if not self._plain():
            return None
        names["Decimal"] = decimal.Decimal
        names[key + "scaled"] = self._at_scale
        return f"type(v) is Decimal and {key}scaled(v)"

    def _at_scale(self, value: decimal.Decimal) -> bool:
        """True for a finite value that already has ``scale`` places and fits the column."""
        _, digits, exponent = value.as_tuple()
        return exponent == -self.scale and len(digits) <= self.precision

    def to_query(self, value: Any) -> Any:
        # A number with more digits before the point than the column holds overflows the
        # parameter's NUMERIC(precision, scale): refuse it before SQL.
        number = self.to_python(value)
        whole, _ = _digits(number)
        if whole > self.precision - self.scale:
            raise ValidationError(
                f"{str(number)!r} is out of range for NUMERIC({self.precision}, {self.scale})"
            )
        return number

    def validate(self, value: decimal.Decimal) -> None:
        whole, places = _digits(value)
        if places > self.scale:
            unit = "place" if self.scale == 1 else "places"
            raise ValidationError(
                f"expected at most {self.scale} decimal {unit}, got {str(value)!r}"
            )
        if whole > self.precision - self.scale:
            allowed = self.precision - self.scale
            raise ValidationError(
                f"expected at most {allowed} digit{'' if allowed == 1 else 's'} before the decimal "
                f"point (precision={self.precision}, scale={self.scale}), got {str(value)!r}"
            )
        message = _bounds_message(value, self.min_value, self.max_value)
        if message:
            raise ValidationError(message)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Numeric(self.precision, self.scale, asdecimal=True)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["precision"] = self.precision
        info["scale"] = self.scale
        if self.min_value is not None:
            info["minimum"] = float(self.min_value)
        if self.max_value is not None:
            info["maximum"] = float(self.max_value)
        return info


def _digits(value: decimal.Decimal) -> tuple[int, int]:
    """Significant digits before and after the point, ignoring trailing zeros (``1.50`` → 1, 1)."""
    if value.is_zero():
        return 0, 0
    # Strip trailing zeros by hand: normalize() rounds in the 28-digit default context.
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    kept = len(digits)
    while kept > 1 and digits[kept - 1] == 0:
        kept -= 1
    exponent += len(digits) - kept
    digits = digits[:kept]
    if exponent >= 0:
        return len(digits) + exponent, 0
    places = -exponent
    return max(len(digits) - places, 0), places
