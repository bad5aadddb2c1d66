"""The one boundary where driver and pool errors become aksara errors."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import sqlalchemy.exc

from aksara import exceptions as exc
from aksara.registry import registry

# Lost or refused connections: connection exceptions, shutdowns, no such database,
# authentication failures, too many connections.
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03", "3D000", "28", "53300")


def translate(error: BaseException) -> BaseException:
    """Map a driver/pool exception to the aksara exception to raise ``from`` it."""
    if isinstance(error, exc.AksaraError):
        return error
    if isinstance(error, sqlalchemy.exc.TimeoutError):
        return exc.PoolTimeoutError(
            f"No database connection became free within the pool timeout ({error})"
        )
    if isinstance(error, asyncpg.PostgresError):
        state: str = getattr(error, "sqlstate", None) or ""
        message = str(error)
        detail = getattr(error, "detail", None)
        if detail:
            message = f"{message} ({detail})"
        details: dict[str, Any] = {
            "constraint": getattr(error, "constraint_name", None),
            "table": getattr(error, "table_name", None),
            "column": getattr(error, "column_name", None),
        }
        # RESTRICT refuses with restrict_violation (23001) from PostgreSQL 18 on, with
        # foreign_key_violation (23503) before, as NO ACTION always does.
        if state == "23001" or (
            state == "23503" and str(error).startswith("update or delete on table")
        ):
            # The database layer knows tables; the query layer names the model
            # (``aksara.query.deletion``).
            return exc.ProtectedError(
                f"Cannot delete: rows of table {details['table']} still reference it "
                f"(constraint {details['constraint']})",
                sqlstate=state,
                **details,
            )
        if state.startswith("23"):
            return _integrity_error(state, message, details)
        if state == "57014":
            return exc.StatementTimeoutError(
                f"The statement was cancelled: {message}", sqlstate=state
            )
        if state.startswith(_CONNECTION_STATES):
            return exc.DatabaseConnectionError(
                f"Database connection lost: {message}", sqlstate=state
            )
        return exc.DatabaseError(message, sqlstate=state, **details)
    if isinstance(error, asyncio.TimeoutError):  # before OSError: TimeoutError is one
        return exc.StatementTimeoutError(
            "The statement ran longer than its timeout and was cancelled"
        )
    if isinstance(error, (asyncpg.InterfaceError, ConnectionError, OSError)):
        return exc.DatabaseConnectionError(f"Database connection failed: {error}")
    if isinstance(error, sqlalchemy.exc.DBAPIError) and error.orig is not None:
        cause = getattr(error.orig, "__cause__", None) or error.orig
        return translate(cause)
    if type(error).__module__.startswith("sqlalchemy.") and isinstance(
        error.__cause__, (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)
    ):
        # The DBAPI adapter's own error (raised by pool.connect() without SQLAlchemy's
        # wrapping): translate the asyncpg error it carries.
        return translate(error.__cause__)
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        # The connection is thrown away (``is_disconnect``): to the caller it is a lost one.
        return exc.DatabaseConnectionError(
            f"The database connection is in an unusable state: {error}"
        )
    if isinstance(error, sqlalchemy.exc.SQLAlchemyError):
        return exc.DatabaseError(str(error))
    return error


#: The IntegrityError of each SQLSTATE of class 23, and what to call its constraint.
_INTEGRITY: dict[str, tuple[type[exc.IntegrityError], str]] = {
    "23505": (exc.UniqueViolation, "unique constraint"),
    "23503": (exc.ForeignKeyViolation, "foreign key"),
    "23514": (exc.CheckViolation, "check constraint"),
    "23P01": (exc.ExclusionViolation, "exclusion constraint"),
    "23502": (exc.NotNullViolation, "NOT NULL constraint"),
}


def _integrity_error(state: str, message: str, details: dict[str, Any]) -> exc.IntegrityError:
    """The IntegrityError subclass for ``state``, naming the model and the constraint's fields."""
    kind, what = _INTEGRITY.get(state, (exc.IntegrityError, "constraint"))
    constraint = details["constraint"]
    model, fields = registry.describe_constraint(details["table"], constraint)
    if state == "23502" and details["column"]:
        model, fields = registry.describe_constraint(
            details["table"], f"column:{details['column']}"
        )
    if model is not None:
        named = f"{what} {constraint}" if constraint else what
        on = f" on {', '.join(fields)}" if fields else ""
        message = f"{model}: the {named}{on} refused the change: {message}"
    error = kind(message, sqlstate=state, **details)
    error.model, error.constraint, error.fields = model, constraint, fields
    return error


def is_disconnect(error: BaseException) -> bool:
    """True when the connection that raised ``error`` cannot be used again."""
    if isinstance(error, asyncpg.PostgresError):
        return (getattr(error, "sqlstate", "") or "").startswith(_CONNECTION_STATES)
    return isinstance(
        error,
        (
            asyncpg.InterfaceError,
            # The client's protocol state is out of step with the server's (say, a FATAL
            # error arrived while the connection sat idle): it cannot be trusted again.
            asyncpg.exceptions.InternalClientError,
            asyncpg.exceptions.ConnectionDoesNotExistError,
            OSError,
            ConnectionError,
            asyncio.CancelledError,
            asyncio.TimeoutError,
        ),
    )
