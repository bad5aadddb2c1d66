"""Date and time fields: DateTime, Date, Time, Duration."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import TYPE_CHECKING, Any, ClassVar, Unpack

import sqlalchemy as sa

from aksara.exceptions import ValidationError
from aksara.fields.base import Field, FieldOptions, N
from aksara.types import DurationType

if TYPE_CHECKING:
    from aksara.models.base import Model


def now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


_FIRST = dt.datetime.min.replace(tzinfo=dt.UTC)
_LAST = dt.datetime.max.replace(tzinfo=dt.UTC)


class DateTime(Field[dt.datetime, N]):
    """Timestamp with time zone. PostgreSQL type: ``TIMESTAMP WITH TIME ZONE``.

    ``created_at = fields.DateTime(auto_now_add=True)``; naive values are taken as UTC.
    """

    ai_type: ClassVar[str] = "string"

    def __init__(
        self,
        *,
        auto_now: bool = False,
        auto_now_add: bool = False,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(**options)
        self.auto_now = auto_now
        self.auto_now_add = auto_now_add
        # Per field (the class's ClassVar is the default): set in the instance's own dict.
        vars(self)["has_pre_save"] = auto_now or auto_now_add
        if auto_now or auto_now_add:
            # Filled on save; the agent and API layers treat it as read-only.
            self.ai_agent_writable = options.get("ai_agent_writable", False)

    def to_python(self, value: Any) -> dt.datetime:
        moment: dt.datetime
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, str):
            try:
                moment = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(f"Invalid datetime {value!r}: expected ISO 8601") from None
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day)
        else:
            raise ValidationError(f"Expected datetime, got {type(value).__name__}")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        utc = moment.astimezone(dt.UTC).replace(tzinfo=None)  # OverflowError past year 1/9999
        if utc in (dt.datetime.min, dt.datetime.max):
            # asyncpg sends these as -infinity/infinity, not as the instants themselves.
            raise ValidationError(f"Datetime {moment.isoformat()} is out of the supported range")
        return moment

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        # An aware UTC datetime inside the range is returned as it is (see to_python()).
        names.update(datetime=dt.datetime, UTC=dt.UTC, FIRST=_FIRST, LAST=_LAST)
        return "type(v) is datetime and v.tzinfo is UTC and FIRST < v < LAST"

    def pre_save(self, instance: Model, add: bool) -> None:
        if self.auto_now or (add and self.auto_now_add):
            vars(instance)[self.name] = now()

    @property
    def pre_saves_updates(self) -> bool:
        # A subclass's own pre_save() may do anything on an update.
        return self.auto_now or type(self).pre_save is not DateTime.pre_save

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.DateTime(timezone=True)

    def existing_rows_default(self) -> Any:
        # auto_now/auto_now_add: the rows get the time of the migration.
        if self.auto_now or self.auto_now_add:
            return sa.func.now()
        return super().existing_rows_default()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "date-time"
        if self.auto_now or self.auto_now_add:
            info["auto"] = "auto_now" if self.auto_now else "auto_now_add"
        return info


class Date(Field[dt.date, N]):
    """A calendar date. PostgreSQL type: ``DATE``.

    ``birth_date = fields.Date()``; accepts ``date``, ISO strings (``"2024-02-29"``) and
    ``datetime`` (its date; an aware one is converted to UTC first).
    """

    def to_python(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            moment = value.astimezone(dt.UTC) if value.tzinfo is not None else value
            return moment.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(f"Invalid date {value!r}: expected YYYY-MM-DD") from None
        raise ValidationError(f"Expected date, got {type(value).__name__}")

    def validate(self, value: dt.date) -> None:
        if value in (dt.date.min, dt.date.max):
            # asyncpg sends these as -infinity/infinity, not as the dates themselves.
            raise ValidationError(f"Date {value.isoformat()} is out of the supported range")

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Date()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "date"
        return info


class Time(Field[dt.time, N]):
    """A time of day without a date or time zone. PostgreSQL type: ``TIME``.

    ``start_time = fields.Time()``; accepts ``time``, ``datetime`` (its time part) and ISO
    8601 strings such as ``"07:30"``, ``"07:30:00"`` or ``"07:30:00.123456"``.
    """

    def to_python(self, value: Any) -> dt.time:
        if isinstance(value, dt.datetime):
            return value.time()
        if isinstance(value, dt.time):
            if value.tzinfo is not None:
                raise ValidationError("Expected a time without time zone (the column is TIME)")
            return value
        if isinstance(value, str):
            try:
                parsed = dt.time.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(
                    f"Invalid time {value!r}: expected HH:MM[:SS[.ffffff]]"
                ) from None
            if parsed.tzinfo is not None:
                raise ValidationError("Expected a time without time zone (the column is TIME)")
            return parsed
        raise ValidationError(f"Expected time, got {type(value).__name__}")

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Time()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "time"
        return info


# "[-][D day[s], ]HH:MM:SS[.ffffff]", the text of str(timedelta) and of PostgreSQL intervals.
_DURATION_TEXT = re.compile(
    r"(?:(?P<days>-?\d+) days?,? ?)?(?P<sign>-)?(?P<hours>\d+):(?P<minutes>\d\d):"
    r"(?P<seconds>\d\d(?:\.\d{1,6})?)"
)


class Duration(Field[dt.timedelta, N]):
    """A span of time. PostgreSQL type: ``INTERVAL``.

    ``cooking_time = fields.Duration()``; accepts ``timedelta`` or a number of seconds
    (``1800`` → 30 minutes), and the text ``str(timedelta)`` gives (``"1 day, 2:00:00"``).
    Values read back are ``timedelta``.
    """

    def to_python(self, value: Any) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        if isinstance(value, bool):
            raise ValidationError("Expected duration, got bool")
        if isinstance(value, (int, float, decimal.Decimal)):
            try:
                return dt.timedelta(seconds=float(value))
            except (OverflowError, ValueError):
                raise ValidationError(f"Duration of {value} seconds is out of range") from None
        if isinstance(value, str):
            match = _DURATION_TEXT.fullmatch(value.strip())
            if match is not None:
                span = dt.timedelta(
                    hours=int(match["hours"]),
                    minutes=int(match["minutes"]),
                    seconds=float(match["seconds"]),
                )
                if match["sign"]:
                    span = -span
                return span + dt.timedelta(days=int(match["days"] or 0))
            raise ValidationError(
                f"Invalid duration {value!r}: expected a timedelta or a number of seconds"
            )
        raise ValidationError(
            f"Expected duration (a timedelta or a number of seconds), got {type(value).__name__}"
        )

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return DurationType()

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "duration"
        return info
