"""Date and time fields: DateTime, Date, Time, Duration."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Unpack

import sqlalchemy as sa

from aksara.exceptions import ValidationError
from aksara.fields.base import Field, FieldOptions

if TYPE_CHECKING:
    from aksara.models.base import Model


def now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class DateTime(Field[dt.datetime]):
    """Timestamp with time zone. PostgreSQL type: ``TIMESTAMP WITH TIME ZONE``.

    ``created_at = fields.DateTime(auto_now_add=True)``; naive values are taken as UTC.
    """

    ai_type: ClassVar[str] = "string"

    def __init__(
        self,
        *,
        auto_now: bool = False,
        auto_now_add: bool = False,
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(**options)
        self.auto_now = auto_now
        self.auto_now_add = auto_now_add
        self.has_pre_save = auto_now or auto_now_add  # type: ignore[misc]
        if auto_now or auto_now_add:
            # Filled on save; the agent and API layers treat it as read-only.
            self.ai_agent_writable = options.get("ai_agent_writable", False)

    def to_python(self, value: Any) -> dt.datetime:
        if isinstance(value, dt.datetime):
            pass
        elif isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(f"Invalid datetime {value!r}: expected ISO 8601") from None
        elif isinstance(value, dt.date):
            value = dt.datetime(value.year, value.month, value.day)
        else:
            raise ValidationError(f"Expected datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value

    def pre_save(self, instance: Model, add: bool) -> None:
        if self.auto_now or (add and self.auto_now_add):
            instance.__dict__[self.name] = now()

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.DateTime(timezone=True)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "date-time"
        if self.auto_now or self.auto_now_add:
            info["auto"] = "auto_now" if self.auto_now else "auto_now_add"
        return info
