"""New connections know PostgreSQL's built-in array, range and multirange types without
asyncpg's type introspection query (``aksara.db.builtin_types``), and decode and encode
their values exactly as an introspecting connection does."""

import asyncio
import datetime
import decimal
import ipaddress
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy import event

from aksara.db import Database, builtin_types, vector_codec

INTROSPECTION = "FROM\n            pg_catalog.pg_type"  # in asyncpg's introspection queries


@pytest_asyncio.fixture(loop_scope="session")
async def one(aksara_database: Database) -> AsyncIterator[Database]:
    """A database of its own with one connection, opened by the test."""
    database = Database(aksara_database.url, pool_size=1, max_overflow=0)
    try:
        yield database
    finally:
        await database.close()


@pytest_asyncio.fixture(loop_scope="session")
async def introspecting(aksara_database: Database) -> AsyncIterator[Database]:
    """The same, but its connections learn the types as asyncpg does: by asking."""
    database = Database(aksara_database.url, pool_size=1, max_overflow=0)
    event.remove(database.engine.sync_engine, "connect", builtin_types.on_connect)
    # pgvector's codec, set as a connection opens, gives the types too (see below).
    event.remove(database.engine.sync_engine, "connect", vector_codec.on_connect)
    try:
        yield database
    finally:
        await database.close()


@pytest_asyncio.fixture(loop_scope="session")
async def plain(aksara_database: Database) -> AsyncIterator[asyncpg.Connection]:
    """A connection of asyncpg's own, which introspects as it always has."""
    conn = await asyncpg.connect(aksara_database.url.replace("postgresql+asyncpg", "postgresql"))
    try:
        yield conn
    finally:
        await conn.close()


class Log:
    """The statements a connection runs (asyncpg's query logger, its public API)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.queries: list[str] = []
        conn.add_query_logger(lambda record: self.queries.append(record.query))

    async def introspected(self) -> bool:
        await asyncio.sleep(0)  # asyncpg calls its loggers soon after each statement
        return any(INTROSPECTION in query for query in self.queries)


async def raw(database: Database) -> asyncpg.Connection:
    """The asyncpg connection ``database`` hands out next (given back at once)."""
    conn = await database.acquire()
    database.release(conn)
    return conn.raw


async def test_the_catalog_is_the_servers(plain):
    rows = await plain.fetch(
        """
        SELECT t.oid, t.typname, t.typtype, t.typelem, e.typdelim,
               coalesce(r.rngsubtype, m.rngsubtype) AS subtype
        FROM pg_type t
        LEFT JOIN pg_type e ON e.oid = t.typelem
        LEFT JOIN pg_range r ON r.rngtypid = t.oid
        LEFT JOIN pg_range m ON m.rngmultitypid = t.oid
        WHERE t.oid = ANY($1::oid[])
        """,
        [t["oid"] for t in builtin_types.TYPES],
    )
    server = {row["oid"]: row for row in rows}
    assert len(server) == len(builtin_types.TYPES)
    settings = plain._protocol.get_settings()
    known = set()
    for t in builtin_types.TYPES:
        row = server[t["oid"]]
        assert (t["name"], t["kind"], t["elemtype"]) == (
            row["typname"],
            row["typtype"],
            row["typelem"],
        ), t
        assert t["range_subtype"] == row["subtype"], t
        if t["elemtype"]:
            assert t["elemdelim"] == row["typdelim"], t
            # An element asyncpg has a codec for, or a type listed before it.
            assert settings.get_data_codec(t["elemtype"]) or t["elemtype"] in known, t
        else:
            assert settings.get_data_codec(t["range_subtype"]) is not None, t
        known.add(t["oid"])


async def test_the_first_array_statement_of_a_connection_runs_alone(one, plain):
    sql = "SELECT $1::int[], ARRAY['a', 'b']::varchar[], int4range(1, 5), ARRAY[(1, 'x')]"
    log = Log(await raw(one))
    got = await one.fetchrow(sql, [[1, 2, None]])
    assert not await log.introspected() and log.queries == [sql]
    # An introspecting connection runs the query first: the log would tell.
    control = Log(plain)
    assert await plain.fetchrow(sql, [1, 2, None]) == got
    assert await control.introspected()


async def test_values_come_and_go_as_on_an_introspecting_connection(one, introspecting):
    samples = {
        "int2[]": [1, None, -3],
        "int4[]": [2**31 - 1, None],
        "int8[]": [2**62],
        "numeric[]": [decimal.Decimal("1.50"), decimal.Decimal("-1E-30")],
        "float4[]": [1.5, None],
        "float8[]": [0.1],
        "bool[]": [True, False, None],
        "text[]": ["a", "b,c", '"q"', None],
        "varchar[]": ["x y"],
        "bpchar[]": ["ab"],
        "uuid[]": [uuid.UUID(int=7)],
        "date[]": [datetime.date(2024, 2, 29)],
        "time[]": [datetime.time(1, 2, 3)],
        "timestamp[]": [datetime.datetime(2024, 1, 1, 12)],
        "timestamptz[]": [datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC)],
        "interval[]": [datetime.timedelta(days=1, seconds=5)],
        "bytea[]": [b"\x00\x01"],
        "inet[]": [ipaddress.ip_interface("10.0.0.1/8")],
        "cidr[]": [ipaddress.ip_network("10.0.0.0/8")],
        "jsonb[]": ['{"a": [1, 2]}'],
        "json[]": ['{"b": null}'],
        "int4range[]": [asyncpg.Range(1, 5)],
    }
    conn, control = await raw(one), await raw(introspecting)
    log, asked = Log(conn), Log(control)
    for name, value in samples.items():
        sql = f"SELECT $1::{name}, $1::{name}::text"
        assert await conn.fetchrow(sql, value) == await control.fetchrow(sql, value), name
    literals = {
        "int4range": "'[1,5)'",
        "int8range": "'[1,9223372036854775806]'",
        "numrange": "'(1.5,2.5]'",
        "daterange": "'[2024-01-01,2024-02-01)'",
        "tsrange": "'[2024-01-01 10:00,)'",
        "tstzrange": "'empty'",
        "int4multirange": "'{[1,3), [5,7)}'",
        "nummultirange": "'{}'",
        "datemultirange": "'{[2024-01-01,2024-01-05)}'",
        "int8multirange": "'{[1,2)}'",
        "tsmultirange": "'{[2024-01-01 10:00,2024-01-01 11:00)}'",
        "tstzmultirange": "'{}'",
    }
    for name, literal in literals.items():
        sql = f"SELECT {literal}::{name}, ARRAY[{literal}::{name}, NULL]"
        assert await conn.fetchrow(sql) == await control.fetchrow(sql), name
    # Every type of the catalog decodes: an array of one NULL, or an empty range.
    for t in builtin_types.TYPES:
        cast = f"{t['name'][1:]}[]" if t["elemtype"] else t["name"]
        if t["name"] == "_record":
            sql = "SELECT ARRAY[ROW(1, 'a'), NULL]"
        else:
            sql = f"SELECT '{{NULL}}'::{cast}" if t["elemtype"] else f"SELECT 'empty'::{cast}"
            if t["kind"] == b"m":
                sql = f"SELECT '{{}}'::{cast}"
        assert await conn.fetchrow(sql) == await control.fetchrow(sql), t["name"]
    assert not await log.introspected()
    assert await asked.introspected()


async def test_ddl_through_sqlalchemy_keeps_the_types(one):
    # SQLAlchemy's asyncpg dialect clears a connection's type cache after DDL.
    await one.run_ddl(lambda conn: conn.execute(sa.DDL("CREATE TEMP TABLE t (n int[])")))
    log = Log(await raw(one))
    assert await one.fetchval("SELECT $1::int8[]", [[1]]) == [1]
    assert not await log.introspected()


async def test_setting_a_codec_keeps_the_types(one):
    conn = await raw(one)
    await vector_codec.register(conn)  # the test database has pgvector
    log = Log(conn)
    assert await one.fetchval("SELECT $1::uuid[]", [[uuid.UUID(int=1)]]) == [uuid.UUID(int=1)]
    assert not await log.introspected()


async def test_connections_opened_after_close_connections_know_the_types(one):
    await one.fetchval("SELECT 1")
    first = await raw(one)
    await one.close_connections()
    conn = await raw(one)
    assert conn is not first
    log = Log(conn)
    assert await one.fetchval("SELECT $1::int4[]", [[4]]) == [4]
    assert not await log.introspected()


async def test_a_failed_ddl_keeps_the_types(one):
    def fails(conn):
        conn.execute(sa.DDL("CREATE TEMP TABLE u (n int)"))
        raise RuntimeError("after the DDL")

    with pytest.raises(RuntimeError, match="after the DDL"):
        await one.run_ddl(fails)
    log = Log(await raw(one))
    assert await one.fetchval("SELECT $1::int2[]", [[2]]) == [2]
    assert not await log.introspected()


async def test_asyncpg_internals_are_as_expected(plain):
    """The one private call: a release that changes it fails here rather than making every
    connection introspect again unnoticed."""
    assert callable(asyncpg.Connection.add_query_logger)
    assert callable(plain._protocol.get_settings().register_data_types)
    assert builtin_types.register(plain)
    assert plain._protocol.get_settings().get_data_codec(1007) is not None
