"""Transactions: ``async with aksara.transaction():`` with savepoints and commit/rollback hooks.

The current transaction lives in a context variable, so every ``Model.objects`` call
inside the block runs on its connection. BEGIN is sent by asyncpg when the block
starts (never lazily), so nothing inside it can autocommit by accident.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aksara.db import vector_codec
from aksara.db.database import current, rerun_with_vector_codec, statement_timeout_var
from aksara.db.errors import is_disconnect, translate
from aksara.exceptions import AksaraError

if TYPE_CHECKING:
    from aksara.db.database import Connection, Database

Hook = Callable[[], Any] | Callable[[], Awaitable[Any]]

logger = logging.getLogger("aksara.db")


class TransactionError(AksaraError):
    """A transaction was used in a way that cannot work (closed, or left from another task)."""


class Transaction:
    """One ``transaction()`` block: the outermost one holds a connection, nested ones a savepoint."""

    __slots__ = (
        "database",
        "conn",
        "parent",
        "_driver_tx",
        "on_commit_hooks",
        "on_rollback_hooks",
        "is_test_root",
        "isolation",
        "readonly",
        "active",
    )

    def __init__(
        self,
        database: Database,
        parent: Transaction | None,
        *,
        isolation: str | None = None,
        readonly: bool = False,
    ) -> None:
        self.database = database
        self.parent = parent
        self.conn: Connection | None = parent.conn if parent is not None else None
        self._driver_tx: Any = None
        self.on_commit_hooks: list[Hook] = []
        self.on_rollback_hooks: list[Hook] = []
        self.is_test_root = False
        self.isolation = isolation
        self.readonly = readonly
        self.active = False

    @property
    def is_outermost(self) -> bool:
        """True when committing this block really commits (or, under test isolation, acts so)."""
        return self.parent is None or self.parent.is_test_root

    async def start(self) -> None:
        if self.parent is None:
            self.conn = await self.database.acquire()
        assert self.conn is not None
        try:
            if self.parent is None:
                self._driver_tx = self.conn.raw.transaction(
                    isolation=self.isolation, readonly=self.readonly
                )
            else:
                self._driver_tx = self.conn.raw.transaction()  # a SAVEPOINT
            await self._driver_tx.start()
        except BaseException as error:
            if self.parent is None:
                self._drop_connection(error)
            raise translate(error) from error
        self.active = True

    async def run(self, method: str, sql: str, args: Sequence[Any]) -> Any:
        if not self.active:
            raise TransactionError("This transaction has already ended")
        assert self.conn is not None
        try:
            timeout = statement_timeout_var.get()
            if timeout is None:
                return await getattr(self.conn.raw, method)(sql, *args)
            return await getattr(self.conn.raw, method)(sql, *args, timeout=timeout)
        except BaseException as error:
            if not vector_codec.wants_codec(error):
                raise translate(error) from error
            first = error
        try:
            return await rerun_with_vector_codec(self.conn.raw, first, method, sql, args)
        except BaseException as error:
            raise translate(error) from error

    async def run_with(self, work: Callable[[Any], Awaitable[Any]]) -> Any:
        if not self.active:
            raise TransactionError("This transaction has already ended")
        assert self.conn is not None
        try:
            return await work(self.conn.raw)
        except BaseException as error:
            raise translate(error) from error

    async def commit(self) -> None:
        """COMMIT (RELEASE SAVEPOINT when nested). The caller runs ``on_commit`` hooks after it."""
        self.active = False
        try:
            await self._driver_tx.commit()
        except BaseException as error:
            if self.parent is None:
                self._drop_connection(error)
            raise translate(error) from error
        if self.parent is None:
            self.database.release(self.conn)  # type: ignore[arg-type]
        if not self.is_outermost:
            assert self.parent is not None
            self.parent.on_commit_hooks.extend(self.on_commit_hooks)
            self.parent.on_rollback_hooks.extend(self.on_rollback_hooks)

    async def rollback(self) -> None:
        self.active = False
        try:
            await self._driver_tx.rollback()
        except BaseException as error:
            if self.parent is None:
                self._drop_connection(error)
            await _run_hooks(self.on_rollback_hooks)
            raise translate(error) from error
        if self.parent is None:
            self.database.release(self.conn)  # type: ignore[arg-type]
        await _run_hooks(self.on_rollback_hooks)

    def _drop_connection(self, error: BaseException) -> None:
        if self.conn is None:
            return
        if is_disconnect(error) or self.conn.raw.is_in_transaction():
            self.database.discard(self.conn)
        else:
            self.database.release(self.conn)


class transaction:
    """Run a block in a database transaction; nested blocks use savepoints.

    The block commits when it ends normally and rolls back when it raises. Hooks
    registered with ``on_commit`` run after the outermost commit; ``on_rollback``
    hooks run when the block they were registered in rolls back.

    ``isolation`` (``"serializable"``, ``"repeatable_read"``, ``"read_committed"``) and
    ``readonly`` apply to the outermost block. ``timeout`` (seconds) is the server's
    ``statement_timeout`` for every statement of the block: one that runs longer is
    cancelled, raises ``StatementTimeoutError``, and the block rolls back.
    """

    __slots__ = ("_tx", "_token", "isolation", "readonly", "database", "timeout", "_previous")

    def __init__(
        self,
        *,
        isolation: str | None = None,
        readonly: bool = False,
        timeout: float | None = None,
        database: Database | None = None,
    ) -> None:
        if timeout is not None and timeout <= 0:
            raise TransactionError(f"transaction(timeout=...) must be positive, got {timeout!r}")
        self.isolation = isolation
        self.readonly = readonly
        self.timeout = timeout
        self.database = database
        self._tx: Transaction | None = None
        self._previous: str | None = None

    async def __aenter__(self) -> Transaction:
        from aksara.db.connection import get_database

        database = self.database or get_database()
        parent = current.get() or database.pinned
        tx = Transaction(database, parent, isolation=self.isolation, readonly=self.readonly)
        await tx.start()
        self._tx = tx
        self._token = current.set(tx)
        if self.timeout is not None:
            try:
                # Local to the transaction (a savepoint's rollback undoes it too); a value, not SQL.
                self._previous = await tx.run(
                    "fetchval",
                    "SELECT current_setting('statement_timeout'), "
                    "set_config('statement_timeout', $1, true)",
                    (f"{max(int(self.timeout * 1000), 1)}ms",),
                )
            except BaseException:
                await self.__aexit__(*sys.exc_info())
                raise
        return tx

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tx = self._tx
        assert tx is not None
        try:
            current.reset(self._token)
        except ValueError:
            # Exited in another context than it was entered in: still end the transaction.
            current.set(tx.parent if tx.parent is not None and not tx.parent.is_test_root else None)
        if exc_type is None:
            if self._previous is not None and tx.parent is not None:
                # A savepoint inside a longer transaction: give the rest of it its own limit back.
                await tx.run(
                    "execute", "SELECT set_config('statement_timeout', $1, true)", (self._previous,)
                )
            try:
                await tx.commit()
            except BaseException:
                # The COMMIT itself failed: nothing was committed. A RELEASE SAVEPOINT that
                # failed leaves the enclosing transaction aborted, so the savepoint's work is
                # lost too: its hooks run now (they were not handed to the parent).
                await _run_hooks(tx.on_rollback_hooks)
                raise
            if tx.is_outermost:
                # Committed: a failing hook is reported, but undoes nothing (no rollback hooks).
                await _run_hooks(tx.on_commit_hooks)
        else:
            await tx.rollback()


async def _run_hooks(hooks: list[Hook]) -> None:
    """Run every hook in order; if some fail, the others still run and the first error is raised.

    Once a transaction's outcome is decided its hooks run to the end even if the task is
    cancelled meanwhile (a client disconnect): a rollback must not leave an uploaded file
    behind, nor a commit lose its deferred mail.
    """
    if not hooks:
        return
    pending, hooks[:] = list(hooks), []
    task = asyncio.ensure_future(_run_all(pending))
    _running_hooks.add(task)
    task.add_done_callback(_running_hooks.discard)
    await asyncio.shield(task)


_running_hooks: set[asyncio.Future[None]] = set()


async def _run_all(pending: list[Hook]) -> None:
    first: BaseException | None = None
    for hook in pending:
        try:
            result = hook()
            if inspect.isawaitable(result):
                await result
        except Exception as error:
            if first is None:
                first = error
            else:
                logger.error("transaction hook %r failed", hook, exc_info=error)
    if first is not None:
        raise first


def in_transaction() -> bool:
    """True inside an ``aksara.transaction()`` block (or a test's isolating transaction)."""
    if current.get() is not None:
        return True
    from aksara.db.connection import _database

    return _database is not None and _database.pinned is not None


def current_transaction() -> Transaction | None:
    tx = current.get()
    if tx is not None:
        return tx
    from aksara.db.connection import _database

    return _database.pinned if _database is not None else None


async def on_commit(callback: Hook) -> None:
    """Run ``callback`` after the current transaction commits; at once when there is none.

    ``callback`` takes no arguments and may be a coroutine function.
    """
    tx = current_transaction()
    if tx is None or tx.is_test_root:
        await _run_hooks([callback])
    else:
        tx.on_commit_hooks.append(callback)


async def on_rollback(callback: Hook) -> None:
    """Run ``callback`` if the current transaction block rolls back; never when there is none."""
    tx = current_transaction()
    if tx is not None:
        tx.on_rollback_hooks.append(callback)
