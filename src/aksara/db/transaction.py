"""Transactions: ``async with aksara.transaction():`` with savepoints and commit/rollback hooks.

The current transaction lives in a context variable, so every ``Model.objects`` call
inside the block runs on its connection. BEGIN is sent by asyncpg when the block
starts (never lazily), so nothing inside it can autocommit by accident.

```
transaction(...)        a TransactionBlock: options, reusable, re-entrant, a decorator too
  async with block      each entry opens a Transaction (BEGIN, or SAVEPOINT when nested)
    as tx               the Transaction: its connection and its hooks
```
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeAlias, TypeVar, cast

from aksara._concurrency import settle
from aksara.db import vector_codec
from aksara.db._context import current, get_database, statement_timeout_var
from aksara.db.errors import is_disconnect, translate
from aksara.db.hooks import Hook, run_hooks
from aksara.exceptions import AksaraError, CommitOutcomeUnknownError

if TYPE_CHECKING:
    from aksara.db.database import Connection, Database

P = ParamSpec("P")
R = TypeVar("R")

logger = logging.getLogger("aksara.db")

#: How long the outcome of a COMMIT whose connection broke is looked for, in seconds.
OUTCOME_WAIT = 30.0


#: The isolation levels ``transaction(isolation=...)`` takes.
IsolationLevel: TypeAlias = Literal[
    "read_committed", "read_uncommitted", "repeatable_read", "serializable"
]


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
        "pinned",
        "isolation",
        "readonly",
        "active",
        "scratch",
    )

    def __init__(
        self,
        database: Database,
        parent: Transaction | None,
        *,
        isolation: IsolationLevel | None = None,
        readonly: bool = False,
        pinned: bool = False,
    ) -> None:
        self.database = database
        self.parent = parent
        self.conn: Connection | None = parent.conn if parent is not None else None
        self._driver_tx: Any = None
        self.on_commit_hooks: list[Hook] = []
        self.on_rollback_hooks: list[Hook] = []
        #: The root transaction of ``Database.pin()``: never committed, rolled back at the end.
        self.pinned = pinned
        self.isolation: IsolationLevel | None = isolation
        self.readonly = readonly
        self.active = False
        #: Data the layers above keep for the length of this transaction (a field's values
        #: reserved by saves not inserted yet); it goes with the transaction.
        self.scratch: dict[Any, Any] = {}

    @property
    def is_outermost(self) -> bool:
        """True when committing this block really commits (or, when pinned, acts so)."""
        return self.parent is None or self.parent.pinned

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
        timeout = statement_timeout_var.get()
        try:
            if timeout is None:
                return await getattr(self.conn.raw, method)(sql, *args)
            return await getattr(self.conn.raw, method)(sql, *args, timeout=timeout)
        except BaseException as error:
            if not vector_codec.wants_codec(error):
                raise translate(error) from error
            first = error
        try:
            return await vector_codec.rerun(self.conn.raw, first, method, sql, args, timeout)
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

    async def commit(self) -> bool:
        """COMMIT (RELEASE SAVEPOINT when nested). The caller runs ``on_commit`` hooks after it.

        The COMMIT is shielded from cancellation: a task cancelled meanwhile waits for its
        outcome, and ``True`` is returned to say that the caller must raise
        ``CancelledError`` once the hooks ran. When the connection breaks during the COMMIT
        of a transaction with hooks, its outcome is looked up on another connection
        (``pg_xact_status``), so that the right hooks run; ``CommitOutcomeUnknownError``
        (and no hook at all) when it cannot be found out.
        """
        self.active = False
        if self.parent is not None:
            await self._release_savepoint()
            return False
        follows = bool(self.on_commit_hooks or self.on_rollback_hooks)
        xid = await self._xid() if follows else None
        work = asyncio.ensure_future(self._driver_tx.commit())
        cancelled = await settle(work)  # a cancelled task learns the outcome first
        error = work.exception() if not work.cancelled() else asyncio.CancelledError()
        if error is None:
            self.database.release(cast("Connection", self.conn))
            return cancelled
        self._drop_connection(error)
        if not is_disconnect(error) or (follows and xid is None):
            # The server refused the COMMIT, or the transaction wrote nothing: rolled back.
            raise translate(error) from error
        status = await self._outcome(xid) if xid is not None else None
        if status == "committed":
            return cancelled
        if status == "aborted":
            raise translate(error) from error
        unknown = CommitOutcomeUnknownError(
            f"The connection broke during COMMIT; whether it committed is unknown ({error})"
        )
        unknown.xid = xid
        raise unknown from error

    async def _xid(self) -> int | None:
        """The transaction's id, None when it wrote nothing (so has none)."""
        assert self.conn is not None
        try:
            value = await self.conn.raw.fetchval("SELECT pg_current_xact_id_if_assigned()::text")
        except BaseException as error:
            self._drop_connection(error)
            raise translate(error) from error
        return int(value) if value is not None else None

    async def _outcome(self, xid: int) -> str | None:
        """``"committed"`` or ``"aborted"``, as the server tells on another connection; None
        when it cannot be found out within ``OUTCOME_WAIT`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + OUTCOME_WAIT
        while True:
            try:
                status = await self.database.fetchval(
                    "SELECT pg_xact_status($1::text::xid8)", [str(xid)]
                )
            except AksaraError:
                status = None  # the server is unreachable for now
            if status in ("committed", "aborted"):
                logger.warning("the COMMIT of transaction %s lost its connection: %s", xid, status)
                return str(status)
            if loop.time() >= deadline:
                logger.error("the outcome of transaction %s (COMMIT interrupted) is unknown", xid)
                return None
            await asyncio.sleep(0.1)  # in progress: the server is still ending it

    async def _release_savepoint(self) -> None:
        try:
            await self._driver_tx.commit()
        except BaseException as error:
            raise translate(error) from error
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
            await run_hooks(self.on_rollback_hooks, "on_rollback")
            raise translate(error) from error
        if self.parent is None:
            self.database.release(cast("Connection", self.conn))
        await run_hooks(self.on_rollback_hooks, "on_rollback")

    def _drop_connection(self, error: BaseException) -> None:
        if self.conn is None:
            return
        if is_disconnect(error) or self.conn.raw.is_in_transaction():
            self.database.discard(self.conn)
        else:
            self.database.release(self.conn)


class _Entry:
    """What one ``async with`` of a block opened: its transaction and what to restore."""

    __slots__ = ("tx", "token", "previous_timeout")

    def __init__(self, tx: Transaction, token: Any) -> None:
        self.tx = tx
        self.token = token
        self.previous_timeout: str | None = None


class TransactionBlock:
    """Run a block in a database transaction; nested blocks use savepoints.

    Made by ``aksara.transaction(...)``. The block commits when it ends normally and rolls
    back when it raises. Hooks registered with ``on_commit`` run after the outermost
    commit; ``on_rollback`` hooks run when the block they were registered in rolls back.

    One block may be entered again while it is open (a savepoint inside its own
    transaction), reused afterwards, and shared by tasks: each entry keeps its own state.
    As a decorator (``@aksara.transaction()``) it runs each call of a coroutine function
    in a transaction of its own.
    """

    __slots__ = ("isolation", "readonly", "timeout", "database", "_entries")

    def __init__(
        self,
        *,
        isolation: IsolationLevel | None = None,
        readonly: bool = False,
        timeout: float | None = None,
        database: Database | None = None,
    ) -> None:
        if timeout is not None and timeout <= 0:
            raise TransactionError(f"transaction(timeout=...) must be positive, got {timeout!r}")
        self.isolation: IsolationLevel | None = isolation
        self.readonly = readonly
        self.timeout = timeout
        self.database = database
        self._entries: list[_Entry] = []

    def _copy(self) -> TransactionBlock:
        return TransactionBlock(
            isolation=self.isolation,
            readonly=self.readonly,
            timeout=self.timeout,
            database=self.database,
        )

    def __call__(self, function: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """Use the block as a decorator of a coroutine function."""

        @functools.wraps(function)
        async def in_transaction(*args: P.args, **kwargs: P.kwargs) -> R:
            async with self._copy():
                return await function(*args, **kwargs)

        return in_transaction

    async def __aenter__(self) -> Transaction:
        database = self.database or get_database()
        parent = current.get() or database.pinned
        tx = Transaction(database, parent, isolation=self.isolation, readonly=self.readonly)
        await tx.start()
        entry = _Entry(tx, current.set(tx))
        self._entries.append(entry)
        if self.timeout is not None:
            try:
                # Local to the transaction (a savepoint's rollback undoes it too); a value, not SQL.
                entry.previous_timeout = await tx.run(
                    "fetchval",
                    "SELECT current_setting('statement_timeout'), "
                    "set_config('statement_timeout', $1, true)",
                    (f"{max(int(self.timeout * 1000), 1)}ms",),
                )
            except BaseException:
                await self.__aexit__(*sys.exc_info())
                raise
        return tx

    def _pop_entry(self) -> _Entry:
        """This task's innermost entry: the one whose transaction is current here."""
        tx = current.get()
        for index in range(len(self._entries) - 1, -1, -1):
            if self._entries[index].tx is tx:
                return self._entries.pop(index)
        if not self._entries:
            raise TransactionError("This transaction block was exited more often than entered")
        return self._entries.pop()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        entry = self._pop_entry()
        tx = entry.tx
        try:
            current.reset(entry.token)
        except ValueError:
            # Exited in another context than it was entered in: still end the transaction.
            current.set(tx.parent if tx.parent is not None and not tx.parent.pinned else None)
        if exc_type is not None:
            try:
                await tx.rollback()
            except Exception:
                # The error that ended the block is the one to raise, not the failed
                # ROLLBACK's (the connection is thrown away, which ends the transaction).
                logger.warning("ROLLBACK after %s failed", exc_type.__name__, exc_info=True)
            return
        if entry.previous_timeout is not None and tx.parent is not None:
            # A savepoint inside a longer transaction: give the rest of it its own limit back.
            try:
                await tx.run(
                    "execute",
                    "SELECT set_config('statement_timeout', $1, true)",
                    (entry.previous_timeout,),
                )
            except BaseException:
                await tx.rollback()  # neither released nor kept: undone, with its hooks
                raise
        try:
            cancelled = await tx.commit()
        except CommitOutcomeUnknownError:
            # Neither hook would be right on a guess: a rollback hook may delete the file
            # of a committed row, a commit hook send mail about a row that is not there.
            logger.error("COMMIT outcome unknown: no on_commit or on_rollback hook ran")
            raise
        except BaseException:
            # The COMMIT itself failed: nothing was committed. A RELEASE SAVEPOINT that
            # failed leaves the enclosing transaction aborted, so the savepoint's work is
            # lost too: its hooks run now (they were not handed to the parent).
            await run_hooks(tx.on_rollback_hooks, "on_rollback")
            raise
        if tx.is_outermost:
            # Committed: a failing hook is logged, and undoes nothing (no rollback hooks).
            await run_hooks(tx.on_commit_hooks, "on_commit")
        if cancelled:
            raise asyncio.CancelledError


def transaction(
    *,
    isolation: IsolationLevel | None = None,
    readonly: bool = False,
    timeout: float | None = None,
    database: Database | None = None,
) -> TransactionBlock:
    """A transaction block: ``async with aksara.transaction(): ...`` or ``@aksara.transaction()``.

    ``isolation`` (``"serializable"``, ``"repeatable_read"``, ``"read_committed"``) and
    ``readonly`` apply to the outermost block. ``timeout`` (seconds) is the server's
    ``statement_timeout`` for every statement of the block: one that runs longer is
    cancelled, raises ``StatementTimeoutError``, and the block rolls back. ``database``
    defaults to the connected one.
    """
    return TransactionBlock(
        isolation=isolation, readonly=readonly, timeout=timeout, database=database
    )
