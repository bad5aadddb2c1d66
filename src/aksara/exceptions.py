"""The one exception hierarchy of aksara.

AksaraError
 ├── ConfigurationError
 ├── ValidationError            .errors: {field: [messages]}
 ├── QueryError                 unknown field or lookup, bad query shape
 │    ├── DoesNotExist          get() found nothing (each model has its own subclass)
 │    └── MultipleObjectsReturned
 ├── DatabaseError              any error the database reported
 │    ├── IntegrityError        a constraint refused the change (.model, .constraint, .fields)
 │    │    ├── UniqueViolation
 │    │    ├── ForeignKeyViolation
 │    │    ├── CheckViolation
 │    │    ├── ExclusionViolation
 │    │    ├── NotNullViolation
 │    │    └── ProtectedError   a RESTRICT/PROTECT reference blocked a delete
 │    ├── StaleObjectError      a save or delete found its row changed since it was loaded
 │    ├── DatabaseConnectionError   the connection broke or could not be made
 │    │    └── CommitOutcomeUnknownError   it broke during COMMIT and the outcome is unknown
 │    ├── PoolTimeoutError      no pooled connection became free in time
 │    └── StatementTimeoutError a statement ran past its timeout and was cancelled
 ├── StorageError
 │    └── SuspiciousFileOperation   a file name or path that leaves the storage root
 ├── MailError
 │    └── BadHeaderError        CR/LF in a subject, address or header
 └── PermissionDenied           an AI agent tried to touch what it may not
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any


class AksaraError(Exception):
    """Base class of every error aksara raises."""


class ConfigurationError(AksaraError):
    """aksara is configured wrongly, or a model or field is defined wrongly."""


class ValidationError(AksaraError, ValueError):
    """One or more field values are invalid. Nothing was written.

    ``errors`` maps a field name (or ``"__all__"``) to its list of messages;
    ``model`` names the model when the error comes from one.
    """

    def __init__(
        self,
        message: str | Mapping[str, Iterable[str]],
        *,
        model: str | None = None,
        field: str | None = None,
    ) -> None:
        self.model = model
        if isinstance(message, Mapping):
            self.errors: dict[str, list[str]] = {k: list(v) for k, v in message.items()}
        else:
            self.errors = {field or "__all__": [message]}
        super().__init__(self._render())

    def _render(self) -> str:
        parts: list[str] = []
        for name, messages in self.errors.items():
            if name == "__all__":
                prefix = f"{self.model}: " if self.model else ""
            else:
                prefix = f"{self.model}.{name}: " if self.model else f"{name}: "
            parts.extend(prefix + m for m in messages)
        return "; ".join(parts)

    @property
    def messages(self) -> list[str]:
        return [m for ms in self.errors.values() for m in ms]

    def __str__(self) -> str:
        return self._render()


class QueryError(AksaraError):
    """A query names an unknown field or lookup, or cannot be built."""


class FieldError(QueryError):
    """A name that is no field of the model: ``model``, the ``name`` and the valid ``choices``."""

    def __init__(self, model: str, name: str, choices: list[str]) -> None:
        self.model = model
        self.name = name
        self.choices = choices
        super().__init__(f"{model} has no field {name!r}. Choices are: {', '.join(choices)}")


class DoesNotExist(QueryError, LookupError):
    """``get()`` matched no row."""


class MultipleObjectsReturned(QueryError):
    """``get()`` matched more than one row."""


class DatabaseError(AksaraError):
    """The database reported an error. ``__cause__`` holds the driver's exception."""

    def __init__(self, message: str, *, sqlstate: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.details = details


class IntegrityError(DatabaseError):
    """A unique, foreign key, check, exclusion or not-null constraint was violated.

    ``model`` names the model whose table refused the change and ``fields`` the fields the
    constraint covers, when aksara knows them (None and ``()`` otherwise); ``constraint``
    is the constraint's (or unique index's) name as the database has it.
    """

    model: str | None = None
    constraint: str | None = None
    fields: tuple[str, ...] = ()


class UniqueViolation(IntegrityError):
    """A unique constraint or unique index refused a duplicate."""


class ForeignKeyViolation(IntegrityError):
    """A foreign key refused a value with no row to refer to."""


class CheckViolation(IntegrityError):
    """A CHECK constraint refused a value."""


class ExclusionViolation(IntegrityError):
    """An exclusion constraint refused a row that conflicts with another
    (two bookings of one room that overlap)."""


class NotNullViolation(IntegrityError):
    """A NOT NULL column was given no value."""


class ProtectedError(IntegrityError):
    """A delete was blocked by RESTRICT/PROTECT references from another model.

    ``blocking_model`` names the model whose rows still refer to the deleted ones (None when
    the table belongs to no model); ``details["table"]`` is its table.
    """

    blocking_model: str | None = None


class StaleObjectError(DatabaseError):
    """A save or delete of an instance of a model with ``Meta.version_field`` found its
    row changed (or deleted) since the instance was loaded: another writer came first.
    ``model`` and ``pk`` name the row; reload it (``refresh_from_db()``) and try again."""

    def __init__(self, message: str, *, model: str, pk: Any) -> None:
        super().__init__(message)
        self.model = model
        self.pk = pk


class DatabaseConnectionError(DatabaseError):
    """The database connection broke or could not be opened.

    Called ``ConnectionError`` before 0.2, a name that shadowed Python's own; the old name
    still works, with a ``DeprecationWarning``, until 0.3.
    """


class CommitOutcomeUnknownError(DatabaseConnectionError):
    """The connection broke while COMMIT was in flight and whether the transaction committed
    could not be found out (the server is unreachable, or the transaction had no hooks to
    protect, so aksara did not note its id). No ``on_commit`` and no ``on_rollback`` hook ran.
    ``xid`` is the transaction's id when known, for reconciling by hand."""

    xid: int | None = None


class PoolTimeoutError(DatabaseError):
    """No pooled connection became free within the pool timeout."""


class StatementTimeoutError(DatabaseError):
    """A statement ran longer than the configured statement timeout."""


class StorageError(AksaraError):
    """A media storage operation failed."""


class SuspiciousFileOperation(StorageError):
    """A file name or path would leave the storage root, or is otherwise unsafe."""


class MailError(AksaraError):
    """Sending mail failed."""


class BadHeaderError(MailError, ValueError):
    """A subject, address or header value contains a newline."""


class PermissionDenied(AksaraError):
    """An AI agent tried to read or write a field it may not."""


def __getattr__(name: str) -> Any:
    if name == "ConnectionError":
        warnings.warn(
            "aksara.exceptions.ConnectionError is renamed DatabaseConnectionError",
            DeprecationWarning,
            stacklevel=2,
        )
        return DatabaseConnectionError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
