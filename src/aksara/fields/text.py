"""Text fields: String, Text, Email, URL."""

from __future__ import annotations

import re
from typing import Any, Unpack

import sqlalchemy as sa

from aksara.exceptions import ValidationError
from aksara.fields.base import Field, FieldOptions


class _TextField(Field[str]):
    """Shared behaviour of text fields: length bounds, strip, choices, regex, in that order."""

    def __init__(
        self,
        *,
        max_length: int | None = None,
        min_length: int | None = None,
        regex: str | None = None,
        strip_whitespace: bool = False,
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(**options)
        if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
            from aksara.exceptions import ConfigurationError

            raise ConfigurationError(f"max_length must be a positive integer, got {max_length!r}")
        self.max_length = max_length
        self.min_length = min_length
        self.regex = regex
        self._pattern = re.compile(regex) if regex is not None else None
        self.strip_whitespace = strip_whitespace

    def clean(self, value: Any, instance: Any = None) -> str | None:
        if value is None:
            return super().clean(value, instance)
        value = self.to_python(value)
        # Documented order: strip_whitespace -> min_length -> choices -> regex.
        if self.strip_whitespace:
            value = value.strip()
        if self.min_length is not None and len(value) < self.min_length:
            raise ValidationError(
                f"Ensure this value has at least {self.min_length} characters (it has {len(value)})"
            )
        if self.choices is not None:
            self.validate_choices(value)
        if self._pattern is not None and self._pattern.fullmatch(value) is None:
            raise ValidationError(f"Value does not match the pattern {self.regex!r}")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                f"Ensure this value has at most {self.max_length} characters (it has {len(value)})"
            )
        if "\x00" in value:
            raise ValidationError("Text cannot contain NUL characters")
        self.validate(value)
        return value

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        raise ValidationError(f"Expected string, got {type(value).__name__}")

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        if self.max_length is not None:
            info["max_length"] = self.max_length
        if self.min_length is not None:
            info["min_length"] = self.min_length
        if self.regex is not None:
            info["pattern"] = self.regex
        return info


class String(_TextField):
    """Variable-length text with a maximum length. PostgreSQL type: ``VARCHAR(max_length)``.

    ``name = fields.String(max_length=100)``
    """

    def __init__(self, *, max_length: int = 255, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(self.max_length)


class Text(_TextField):
    """Unlimited text. PostgreSQL type: ``TEXT`` (``max_length`` is validated in Python only).

    ``content = fields.Text()``
    """

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Text()
