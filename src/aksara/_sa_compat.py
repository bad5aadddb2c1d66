"""Every part of SQLAlchemy aksara reaches past its documented API, in one module.

aksara checks pooled connections out and in at the pool's queue, without building a
``_ConnectionFairy`` per statement and, when an idle connection is ready, without the
greenlet hop that ``pool.connect()`` needs (see ``aksara.db.database``). Those steps use
attributes SQLAlchemy does not document. Each is wrapped here, ``tests/test_sa_compat.py``
fails loudly on a SQLAlchemy release that changes one of them, and ``pyproject.toml`` pins
SQLAlchemy to the minor release those tests pass on.

Everything else aksara takes from SQLAlchemy is public: compiled statements' ``string``,
``positiontup`` and ``bind_names``, types' ``dialect_impl()`` processors, and the asyncpg
connection as ``driver_connection``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import exc

Processor = Callable[[Any], Any]


# -- the pool (private) -----------------------------------------------------------------------


def checkout_record(pool: Any) -> Any:
    """What ``pool.connect()`` does up to the fairy: take a record from the pool's queue and
    make sure its connection is open (reconnecting is I/O: call it in a greenlet then)."""
    record = pool._do_get()
    try:
        record.get_connection()
    except BaseException as error:
        record._checkin_failed(error, _fairy_was_created=False)
        raise
    return record


def checkin_record(record: Any) -> None:
    """Give a record taken with ``checkout_record()`` back to its pool."""
    record.checkin(_fairy_was_created=False)


def next_idle_is_live(pool: Any) -> bool:
    """True when the connection the pool hands out next is open and will not be recycled or
    invalidated, so checking it out needs no I/O. Anything unexpected means False: the
    caller then takes the greenlet path, which is always correct (only slower)."""
    try:
        idle = pool._pool._queue._queue
        if not idle:
            return False
        record = idle[-1] if pool._pool.use_lifo else idle[0]
    except (AttributeError, IndexError, TypeError):
        return False
    return record_is_live(pool, record)


def record_is_live(pool: Any, record: Any) -> bool:
    """True when ``record``'s connection is open and the pool would hand it out as it is:
    not older than ``pool_recycle``, not opened before the pool or the record was
    invalidated (what ``record.get_connection()`` checks at a checkout)."""
    try:
        started = record.starttime
        return bool(
            record.dbapi_connection is not None
            and (pool._recycle < 0 or time.time() - started <= pool._recycle)
            and pool._invalidate_time <= started
            and record._soft_invalidate_time <= started
        )
    except (AttributeError, TypeError):
        return False


def pool_exhausted(pool: Any) -> bool:
    """True when a checkout would wait: the pool's queue holds no connection and it may open
    no more (``pool_size + max_overflow`` are out). False for a pool of another kind, whose
    checkout then waits (or not) as it does."""
    try:
        if pool._pool.qsize() > 0:
            return False
        limit = pool._max_overflow
        return bool(limit > -1 and pool._overflow >= limit)
    except (AttributeError, TypeError):
        return False


def pool_timeout(pool: Any) -> float | None:
    """How long a checkout waits for a connection (``pool_timeout``; None: as long as it
    takes)."""
    timeout = getattr(pool, "_timeout", None)
    return float(timeout) if isinstance(timeout, (int, float)) else None


def pool_timeout_error(pool: Any) -> Exception:
    """The error SQLAlchemy's queue pool raises when its checkout times out."""
    size = getattr(getattr(pool, "_pool", None), "maxsize", "?")
    return exc.TimeoutError(
        f"QueuePool limit of size {size} overflow {getattr(pool, '_max_overflow', '?')} "
        f"reached, connection timed out, timeout {pool_timeout(pool) or 0:.2f}",
        code="3o7r",
    )


def record_pool(record: Any) -> Any:
    """The pool a record belongs to (an engine's ``dispose()`` gives it a new pool)."""
    return record._ConnectionRecord__pool


# -- the asyncpg dialect's codecs (a documented override point) ------------------------------


def decode_jsonb_with(dialect: Any, decoder: Callable[[bytes], Any]) -> None:
    """Make ``dialect``'s new connections decode ``jsonb`` values with ``decoder`` (given the
    value in PostgreSQL's binary format: a version byte, then the text), writing them as
    SQLAlchemy does. ``setup_asyncpg_jsonb_codec`` is the method SQLAlchemy's asyncpg
    dialect calls on each new connection for this, and documents as one to override."""

    def encode(text: str) -> bytes:
        return b"\x01" + text.encode()  # SQLAlchemy's encoder: the version byte, the text

    async def setup_asyncpg_jsonb_codec(conn: Any) -> None:
        await conn.driver_connection.set_type_codec(
            "jsonb", encoder=encode, decoder=decoder, schema="pg_catalog", format="binary"
        )

    if not callable(getattr(dialect, "setup_asyncpg_jsonb_codec", None)):
        raise RuntimeError("SQLAlchemy's asyncpg dialect no longer sets up a jsonb codec")
    dialect.setup_asyncpg_jsonb_codec = setup_asyncpg_jsonb_codec


# -- public API, gathered here so that callers need no SQLAlchemy knowledge --------------------
# (a pool record's asyncpg connection is public too: ``record.dbapi_connection.driver_connection``)


def bind_processors(compiled: Any) -> dict[str, Processor]:
    """The bind processor of each parameter of a compiled statement, by parameter name."""
    dialect = compiled.dialect
    processors: dict[str, Processor] = {}
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    return processors


def bound_values(compiled: Any) -> dict[str, Any]:
    """The value of each parameter of a compiled statement, by parameter name."""
    return {name: bind.effective_value for bind, name in compiled.bind_names.items()}


def result_processor(type_: Any, dialect: Any, coltype: Any) -> Processor | None:
    """The result processor of ``type_`` for values of the driver's type ``coltype``."""
    return type_.dialect_impl(dialect).result_processor(dialect, coltype)  # type: ignore[no-any-return]


def bind_processor(type_: Any, dialect: Any) -> Processor | None:
    """The bind processor of ``type_`` (None when the driver takes the value as it is)."""
    return type_.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]


def constraint_name(constraint: Any, dialect: Any) -> str | None:
    """A constraint's name as the database has it: the metadata's naming convention applied
    (``level_positive`` → ``ck_post_level_positive``), unquoted. What Alembic itself uses
    to compare named constraints (``_alembic_quote`` is the preparer's switch for it)."""
    if constraint.name is None:
        return None
    return str(dialect.identifier_preparer.format_constraint(constraint, _alembic_quote=False))


# -- expressions (private) ----------------------------------------------------------------------


def cache_key(element: Any) -> Any:
    """SQLAlchemy's cache key of a Core element without its parameter values (the structure
    its compiled SQL depends on), or None when the element cannot be cached. The statement
    cache's own key (``ClauseElement._generate_cache_key``)."""
    key = element._generate_cache_key()
    return None if key is None else key.key


def adapt_to_alias(element: Any, alias: Any) -> Any:
    """``element`` with the columns of ``alias``'s table read from ``alias`` instead (a
    SQLAlchemy expression written on ``Post.c`` inside a subquery on an alias of ``post``).
    ``sqlalchemy.sql.util.ClauseAdapter``, which the ORM uses for the same purpose."""
    from sqlalchemy.sql.util import ClauseAdapter

    return ClauseAdapter(alias).traverse(element)


def set_column_default(column: Any, sql: Any, *, generated: bool) -> None:
    """Give a built column a server default (``DEFAULT sql``) or make it generated
    (``GENERATED ALWAYS AS (sql) STORED``), as ``Column(..., server_default=...)`` or
    ``Column(..., Computed(...))`` would have: through the constructs' ``_set_parent``."""
    import sqlalchemy as sa

    item = sa.Computed(sql, persisted=True) if generated else sa.DefaultClause(sql)
    item._set_parent(column)
