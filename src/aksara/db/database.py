"""``Database``: the SQLAlchemy async engine, its pool, and statement execution on asyncpg.

Every statement is a SQLAlchemy Core construct compiled once per shape by SQLAlchemy's
PostgreSQL dialect (see ``aksara.query._compile``). Connections come from the async
engine's pool. Hot paths then run the compiled SQL directly on the pooled asyncpg
connection (asyncpg prepares and caches it), skipping SQLAlchemy's per-statement
execute/result machinery and the greenlet hop; DDL and everything else uses the
engine the usual way.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Coroutine,
    Generator,
    Iterable,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import greenlet_spawn

from aksara import _json
from aksara._sa_compat import (
    checkin_record,
    checkout_record,
    decode_jsonb_with,
    next_idle_is_live,
    pool_exhausted,
    pool_timeout,
    pool_timeout_error,
    record_is_live,
    record_pool,
)
from aksara.conf import get_settings
from aksara.db import builtin_types, vector_codec
from aksara.db._context import current, statement_timeout_var
from aksara.db._line import Line
from aksara.db.errors import is_disconnect, translate
from aksara.db.transaction import Transaction, TransactionError
from aksara.exceptions import ConfigurationError


@contextmanager
def statement_timeout(seconds: float | None) -> Generator[None, None, None]:
    """Give up on every statement in the block after ``seconds``: the query is cancelled on the
    server and ``StatementTimeoutError`` is raised (inside a transaction, the transaction is then
    rolled back by its block). ``None`` lifts the limit.

    ``with aksara.statement_timeout(2.0): rows = await Report.objects.filter(...)``
    """
    if seconds is not None and seconds <= 0:
        raise ConfigurationError(
            f"statement_timeout() needs a positive number of seconds, got {seconds!r}"
        )
    token = statement_timeout_var.set(seconds)
    try:
        yield
    finally:
        statement_timeout_var.reset(token)


def safe_url(url: str) -> str:
    """``url`` without its password: none of the password's places (``user:password@``, a
    ``password=`` parameter, an unencoded ``@`` that pushes part of it into the host) and
    no query parameter but ``host`` (a socket folder) are shown."""
    parsed = make_url(url)
    host = (parsed.host or "").rpartition("@")[2]
    where = f"{host}:{parsed.port}" if parsed.port else host
    user = f"{parsed.username.rpartition('@')[2]}@" if parsed.username else ""
    shown = f"{parsed.drivername}://{user}{where}/{parsed.database or ''}"
    socket = parsed.query.get("host")
    if isinstance(socket, str):
        shown += f"?host={socket}"
    return shown


class State(enum.Enum):
    UNOPENED = 1
    OPEN = 2
    CLOSED = 3


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs and point them at the asyncpg driver.

    A URL that is not one raises ``ConfigurationError`` naming at most its scheme: a URL
    holds a password, which no error message may show.
    """
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+psycopg://",
        "postgresql+psycopg2://",
        "postgresql+asyncpg://",
    ):
        if url.startswith(prefix):
            normalised = "postgresql+asyncpg://" + url[len(prefix) :]
            try:
                port = make_url(normalised).port  # parses the port too
            except (ValueError, sa_exc.ArgumentError):
                port = -1
            if port is not None and not 0 < port < 65536:
                raise ConfigurationError(
                    "The database URL cannot be parsed (postgresql://user:password@host:port/db)"
                )
            return normalised
    scheme, found, _ = url.partition("://")
    shown = f"{scheme}://..." if found and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else "?"
    raise ConfigurationError(
        f"aksara needs a PostgreSQL URL (postgresql://user:password@host/db), got {shown}"
    )


class PoolStatus(NamedTuple):
    """A snapshot of the connection pool (``Database.pool_status()``)."""

    #: Connections the pool keeps (``pool_size``).
    size: int
    #: Connections in use now.
    checked_out: int
    #: Idle connections ready in the pool.
    idle: int
    #: Connections open beyond ``size`` (negative: slots of ``size`` not opened yet).
    overflow: int


class Connection:
    """A pooled connection checked out for one statement or one transaction.

    It holds the pool's record of the connection (SQLAlchemy's ``_ConnectionRecord``),
    checked out and in at the pool's queue: the same accounting, waiting and overflow
    as ``pool.connect()``, without building a ``_ConnectionFairy`` per checkout.
    """

    __slots__ = ("record", "raw")

    def __init__(self, record: Any) -> None:
        self.record = record
        self.raw: asyncpg.Connection = record.dbapi_connection.driver_connection


#: Called with each new ``Database`` once its engine exists: how the layers above adapt to
#: the engine's options (the query layer reads JSON through the driver when the engine has a
#: ``json_deserializer`` of its own).
ENGINE_HOOKS: list[Callable[[Database], None]] = []


class Database:
    """A PostgreSQL database reached through SQLAlchemy's async engine on asyncpg.

    Use ``await aksara.connect()`` rather than building one by hand.
    """

    def __init__(self, url: str, **engine_options: Any) -> None:
        settings = get_settings()
        self.url = normalise_url(url)
        connect_args = dict(engine_options.pop("connect_args", {}))
        connect_args.setdefault("statement_cache_size", settings.statement_cache_size)
        if settings.statement_timeout:
            server_settings = dict(connect_args.get("server_settings", {}))
            server_settings.setdefault(
                "statement_timeout", str(int(settings.statement_timeout * 1000))
            )
            connect_args["server_settings"] = server_settings
        options: dict[str, Any] = {
            "pool_size": settings.pool_size,
            "max_overflow": settings.max_overflow,
            "pool_timeout": settings.pool_timeout,
            "connect_args": connect_args,
        }
        if settings.statement_cache_size == 0:
            # A transaction pooler (PgBouncer) may hand each statement to another server
            # connection: no named prepared statements at all.
            options["connect_args"].setdefault("prepared_statement_cache_size", 0)
        # JSON the driver decodes (reads under OFFSET, raw statements) is decoded as
        # json.loads() does, through aksara._json's shortcut.
        options["json_deserializer"] = _json.loads
        options.update(engine_options)
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        self.dialect = self.engine.dialect
        if options["json_deserializer"] is _json.loads:
            # The same decoding, without SQLAlchemy's copy of each value's text.
            decode_jsonb_with(self.dialect, _json.loads_jsonb)
        # Each new connection knows PostgreSQL's array and range types without asking, and
        # pgvector's type when a model has a vector column.
        event.listen(self.engine.sync_engine, "connect", builtin_types.on_connect)
        event.listen(self.engine.sync_engine, "connect", vector_codec.on_connect)
        for hook in ENGINE_HOOKS:
            hook(self)
        # A QueuePool (size(), overflow()), typed as Pool by SQLAlchemy.
        self._pool: Any = self.engine.sync_engine.pool
        self.state = State.OPEN
        #: The transaction every statement joins while ``pin()`` is in effect.
        self.pinned: Transaction | None = None
        self.embedded: Any = None
        #: Callables ``(sql, args)`` told about every statement (``aksara.testing.capture_queries``).
        self.listeners: list[Any] = []
        self.vector_available: bool | None = None
        #: Connections given back during this turn of the event loop: the next statement of
        #: the turn takes one (no trip through the pool's queue), and the rest go back to
        #: the pool when the turn ends (``_give_back``, scheduled on ``_giving_back``).
        self._held: list[Connection] = []
        self._giving_back: asyncio.AbstractEventLoop | None = None
        #: Tasks waiting in ``acquire()`` (``aksara.db._line``); its deque, for the hot paths.
        self._line = Line(self.engine, self._room)
        self._waiting = self._line.waiting

    def __repr__(self) -> str:
        return f"<Database {safe_url(self.url)} {self.state.name.lower()}>"

    # -- connections ---------------------------------------------------------------------

    def pool_status(self) -> PoolStatus:
        """How many connections the pool holds, lends and keeps idle now."""
        pool: Any = self._pool
        held = len(self._held)  # idle, back in the pool's queue when this turn ends
        return PoolStatus(
            pool.size(), pool.checkedout() - held, pool.checkedin() + held, pool.overflow()
        )

    async def acquire(self) -> Connection:
        """Check a connection out of the engine's pool.

        A pooled connection the server has closed meanwhile (a restart, ``pg_terminate_backend``,
        an idle timeout) is thrown away here and another one taken, so the statement does not
        fail on it. That check costs nothing: it reads the transport's state, no round trip.

        Tasks that find every connection in use wait in line, and each connection given back
        goes to the first of them: a task running statements back to back cannot keep the
        connection from a task that asked before it (``pool_timeout`` bounds the wait).
        """
        if self._waiting:  # places left by tasks of an event loop closed since go
            self._line.settle(asyncio.get_running_loop())
        if not self._waiting:
            conn = self._take_idle()
            if conn is not None:
                return conn
            if not pool_exhausted(self._pool):
                return await self._open()
        elif self.state is not State.OPEN:
            raise _closed()
        return await self._wait_turn()

    async def _open(self) -> Connection:
        """A connection through the pool's checkout, which may open one."""
        for _ in range(self._pool.size() + 1):
            conn = Connection(await self._checkout())
            if not conn.raw.is_closed():
                return conn
            self.discard(conn)
        return Connection(await self._checkout())

    async def _wait_turn(self) -> Connection:
        """Wait in line for a connection: one given back (handed over by ``release()``), or
        the news that the pool has room again."""
        loop = asyncio.get_running_loop()
        timeout = pool_timeout(self._pool)
        deadline = None if timeout is None else loop.time() + timeout
        first = False  # woken, but another took the connection: first in line again
        while True:
            waiter = self._line.join(loop, first, deadline)
            try:
                conn: Connection | None = await waiter
            except BaseException as error:
                self._line.leave(waiter, self.release)
                if not isinstance(error, TimeoutError):
                    raise
                if not self._room():
                    raise translate(pool_timeout_error(self._pool)) from None
                return await self._open()  # room at the deadline, as SQLAlchemy's wait has
            self._line.out(waiter)
            if conn is not None and conn.raw.is_closed():
                self.discard(conn)  # its place in the pool is free: taken below
                conn = None
            if conn is None:
                conn = self._take_idle()
                if conn is None and self._room():
                    conn = await self._open()
            if conn is None:
                first = True
                continue
            if self._waiting and (self._held or self._room()):
                self._line.wake(None)  # room no task was told of while this one was woken
            return conn

    def _room(self) -> bool:
        """True when a checkout would not wait: an idle connection, or room for another."""
        return not pool_exhausted(self._pool)

    def _acquire_idle(self) -> Connection | None:
        """An idle pooled connection that is open, without I/O; None when there is none, or
        when tasks wait in ``acquire()`` (the caller then joins the line)."""
        if self._waiting:
            return None
        return self._take_idle()

    def _take_idle(self) -> Connection | None:
        if self.state is not State.OPEN:
            raise _closed()
        held = self._held
        while held:
            conn = held.pop()
            if conn.raw.is_closed():
                self.discard(conn)
            elif record_is_live(self._pool, conn.record):
                return conn
            else:  # to be recycled (``pool_recycle``) or invalidated: the pool does it
                checkin_record(conn.record)
        if not next_idle_is_live(self._pool):
            return None
        try:
            conn = Connection(checkout_record(self._pool))
        except sa_exc.MissingGreenlet:
            return None  # it had to reconnect after all
        except Exception as error:
            raise translate(error) from error
        if conn.raw.is_closed():
            self.discard(conn)
            return None
        return conn

    async def _checkout(self) -> Any:
        """A record from the pool's queue, its connection open: SQLAlchemy opens a connection
        or waits for one (in its greenlet bridge)."""
        try:
            return await greenlet_spawn(checkout_record, self._pool)
        except Exception as error:
            raise translate(error) from error

    def release(self, conn: Connection) -> None:
        """Return a connection checked out with ``acquire()``."""
        if conn.raw.is_in_transaction():
            # Never hand back a connection in a transaction; the caller failed to end it.
            self.discard(conn)
            return
        if (
            self._waiting
            and record_is_live(self._pool, conn.record)
            and record_pool(conn.record) is self._pool
            and self._line.wake(conn)
        ):
            return  # to the task that has waited longest
        if self._pool.overflow() > 0:
            if record_pool(conn.record) is not self.engine.sync_engine.pool:
                conn.raw.terminate()  # of a pool disposed of, which would keep it open
                return
            # Check-in may close an overflow connection, which is I/O.
            self._schedule(greenlet_spawn(checkin_record, conn.record))
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            checkin_record(conn.record)
            return
        self._held.append(conn)
        if self._giving_back is not loop:
            self._giving_back = loop
            loop.call_soon(self._give_back)

    def _give_back(self) -> None:
        """Check the connections held since this turn of the event loop began back in."""
        self._giving_back = None
        pool = self.engine.sync_engine.pool
        if pool is not self._pool:
            self._pool = pool  # the engine was disposed of (``engine.dispose()``): its new pool
        held = self._held
        while held:
            conn = held.pop()
            if record_pool(conn.record) is pool:
                checkin_record(conn.record)
            else:  # of the pool disposed of, which would keep it open: closed, and dropped
                conn.raw.terminate()

    def discard(self, conn: Connection) -> None:
        """Throw a connection away (after a broken or cancelled statement)."""
        conn.raw.terminate()
        record = conn.record
        try:
            record.invalidate()
        finally:
            # The pool's slot comes back; the next checkout opens a new connection in it.
            checkin_record(record)

    def _schedule(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        _background.add(task)
        task.add_done_callback(_background.discard)

    # -- statements -------------------------------------------------------------------------

    def run(self, method: str, sql: str, args: Sequence[Any]) -> Coroutine[Any, Any, Any]:
        """Run ``conn.<method>(sql, *args)`` on the current transaction's connection or a pooled one.

        A plain function returning the coroutine that does it (as ``fetch()`` and the others
        are): every statement awaits one coroutine fewer on its way to asyncpg."""
        if self.listeners:
            for listener in self.listeners:
                listener(sql, args)
        tx = current.get() or self.pinned
        if tx is not None:
            return tx.run(method, sql, args)
        return self._run_pooled(method, sql, args)

    async def _run_pooled(self, method: str, sql: str, args: Sequence[Any]) -> Any:
        conn = self._acquire_idle() or await self.acquire()
        try:
            timeout = statement_timeout_var.get()
            if timeout is None:
                result = await getattr(conn.raw, method)(sql, *args)
            else:
                result = await getattr(conn.raw, method)(sql, *args, timeout=timeout)
        except BaseException as error:
            if not vector_codec.wants_codec(error):
                raise self._failed(conn, error) from error
            try:
                result = await vector_codec.rerun(
                    conn.raw, error, method, sql, args, statement_timeout_var.get()
                )
            except BaseException as again:
                raise self._failed(conn, again) from again
        self.release(conn)
        return result

    def _failed(self, conn: Connection, error: BaseException) -> BaseException:
        """Give back a connection whose statement raised ``error``; the error to raise."""
        if is_disconnect(error):
            self.discard(conn)
        else:
            self.release(conn)
        return translate(error)

    async def run_with(self, work: Callable[[asyncpg.Connection], Awaitable[Any]]) -> Any:
        """``await work(connection)`` on the current transaction's asyncpg connection or a
        pooled one, with the errors of ``run()``."""
        tx = current.get() or self.pinned
        if tx is not None:
            return await tx.run_with(work)
        conn = self._acquire_idle() or await self.acquire()
        try:
            result = await work(conn.raw)
        except BaseException as error:
            raise self._failed(conn, error) from error
        self.release(conn)
        return result

    async def copy_records(
        self, table: str, columns: Sequence[str], records: Sequence[Sequence[Any]]
    ) -> str:
        """Binary ``COPY table (columns) FROM STDIN`` of ``records``; returns the status tag."""
        if self.listeners:
            quote = self.dialect.identifier_preparer.quote
            names = ", ".join(map(quote, columns))
            statement = f"COPY {quote(table)} ({names}) FROM STDIN (FORMAT binary)"
            for listener in self.listeners:
                listener(statement, records)
        timeout = statement_timeout_var.get()

        async def copy(raw: asyncpg.Connection) -> Any:
            return await raw.copy_records_to_table(
                table, records=records, columns=list(columns), timeout=timeout
            )

        return await self.run_with(copy)  # type: ignore[no-any-return]

    def fetch(
        self, sql: str, args: Sequence[Any] = ()
    ) -> Coroutine[Any, Any, list[asyncpg.Record]]:
        return self.run("fetch", sql, args)

    def fetchrow(
        self, sql: str, args: Sequence[Any] = ()
    ) -> Coroutine[Any, Any, asyncpg.Record | None]:
        return self.run("fetchrow", sql, args)

    def fetchval(self, sql: str, args: Sequence[Any] = ()) -> Coroutine[Any, Any, Any]:
        return self.run("fetchval", sql, args)

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Coroutine[Any, Any, str]:
        """Run a statement; return its status tag (``"UPDATE 3"``)."""
        return self.run("execute", sql, args)

    async def executemany(self, sql: str, args: Iterable[Sequence[Any]]) -> None:
        """Run ``sql`` once per row of ``args``, all or none of them (in one transaction)."""
        rows = list(args)
        for listener in self.listeners:
            listener(sql, rows)
        tx = current.get() or self.pinned
        if tx is not None:
            await tx.run("executemany", sql, (rows,))
            return

        async def run(raw: asyncpg.Connection) -> None:
            async with raw.transaction():
                try:
                    await raw.executemany(sql, rows)
                except BaseException as error:
                    if not vector_codec.wants_codec(error):
                        raise
                    await vector_codec.rerun(raw, error, "executemany", sql, (rows,), None)

        await self.run_with(run)

    # -- pinning ----------------------------------------------------------------------------

    @asynccontextmanager
    async def pin(self) -> AsyncGenerator[Transaction, None]:
        """Run every statement on one connection, in one transaction rolled back at the end.

        This is test isolation (the pytest plugin's ``db`` fixture): statements of any task
        join the pinned transaction, ``aksara.transaction()`` blocks inside it become
        savepoints, and their ``on_commit`` hooks run when they end, as a commit would.
        """
        if self.pinned is not None:
            raise TransactionError("This database is already pinned")
        root = Transaction(self, None, pinned=True)
        await root.start()
        self.pinned = root
        try:
            yield root
        finally:
            self.pinned = None
            await root.rollback()

    # -- schema ---------------------------------------------------------------------------

    async def run_ddl(self, fn: Any, *args: Any) -> Any:
        """Run ``fn(sync_connection, *args)`` through SQLAlchemy in its own transaction."""
        async with self.engine.begin() as conn:
            try:
                return await conn.run_sync(fn, *args)
            finally:  # DDL made SQLAlchemy clear the connection's type cache, even if it failed
                with suppress(Exception):  # a connection that broke: the error above tells
                    builtin_types.register((await conn.get_raw_connection()).driver_connection)

    async def ensure_vector_extension(self) -> bool:
        """``CREATE EXTENSION IF NOT EXISTS vector``; False when the server lacks pgvector."""
        if self.vector_available is None:
            try:
                await self.execute("CREATE EXTENSION IF NOT EXISTS vector")
                self.vector_available = True
            except Exception:
                self.vector_available = False
        return self.vector_available

    async def close_connections(self) -> None:
        """Close every pooled connection; the database stays usable and opens new ones.

        Connections belong to the event loop that opened them. Call this before that loop
        ends when another loop will use the database afterwards (the pytest plugin does,
        after each test, when every test has an event loop of its own).
        """
        if self.pinned is not None:
            raise TransactionError("close_connections() while pinned: the pin holds one")
        self._give_back()
        await _checked_in()
        await self.engine.dispose()
        self._pool = self.engine.sync_engine.pool

    async def close(self) -> None:
        if self.state is State.OPEN:
            self.state = State.CLOSED
            self._give_back()
            self._line.fail(_closed)  # tasks waiting for a connection learn why none comes
            await _checked_in()
            await self.engine.dispose()


def _closed() -> ConfigurationError:
    return ConfigurationError("The database is closed: call `await aksara.connect()` first")


_background: set[Any] = set()


async def _checked_in() -> None:
    """Wait for the check-ins running in the background (overflow connections being closed):
    a pool disposed of meanwhile would leave their connections open."""
    loop = asyncio.get_running_loop()
    pending = [task for task in _background if task.get_loop() is loop]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
