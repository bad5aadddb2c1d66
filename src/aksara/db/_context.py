"""What the database layer keeps per process and per task: the connected ``Database``, the
current transaction and the statement timeout. A leaf: every other ``db`` module reads these
without importing each other."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from aksara.exceptions import ConfigurationError

if TYPE_CHECKING:
    from aksara.db.database import Database
    from aksara.db.transaction import Transaction

#: The transaction ``Model.objects`` calls run in (``aksara.transaction()`` sets it).
current: ContextVar[Transaction | None] = ContextVar("aksara_transaction", default=None)

#: The client-side timeout of each statement in a ``statement_timeout()`` block.
statement_timeout_var: ContextVar[float | None] = ContextVar(
    "aksara_statement_timeout", default=None
)

_database: Database | None = None


def get_database() -> Database:
    """The connected database, or a clear error when ``connect()`` was not awaited."""
    if _database is None:
        raise ConfigurationError("aksara is not connected: call `await aksara.connect()` first")
    return _database


def set_database(database: Database | None) -> None:
    """Make ``database`` the process-wide one (``connect()`` and the test plugin do)."""
    global _database
    _database = database


def connected() -> Database | None:
    """The process-wide database, or None."""
    return _database


def current_transaction() -> Transaction | None:
    """The transaction statements of this task join: the current block's, or the database's
    pinned one (see ``Database.pin()``); None outside both."""
    tx = current.get()
    if tx is not None:
        return tx
    return _database.pinned if _database is not None else None
