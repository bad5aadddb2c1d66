"""The SQLAlchemy internals aksara uses (``aksara._sa_compat``) still work as it expects.

A SQLAlchemy release that renames or changes one of them fails here, by name, rather than
making every statement silently take the slower path.
"""

import asyncio
import decimal
import inspect

import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from aksara import _json, _sa_compat
from aksara.db import Database
from aksara.query._compile import DIALECT, Plan, param


def test_the_pool_internals_exist():
    assert callable(QueuePool._do_get)
    record_class = sa.pool.base._ConnectionRecord
    for name in ("get_connection", "checkin", "_checkin_failed", "invalidate"):
        assert callable(getattr(record_class, name)), name
    assert "_fairy_was_created" in inspect.signature(record_class.checkin).parameters
    assert "_fairy_was_created" in inspect.signature(record_class._checkin_failed).parameters


async def test_an_idle_connection_is_checked_out_without_the_greenlet_hop(aksara_database):
    database = Database(aksara_database.url, pool_size=2, max_overflow=0)
    try:
        pool = database.engine.sync_engine.pool
        assert await database.fetchval("SELECT 1") == 1  # opens one connection, returns it
        await asyncio.sleep(0)  # given back to the pool when this turn of the loop ends
        assert _sa_compat.next_idle_is_live(pool), "the fast checkout path is not taken"
        record = _sa_compat.checkout_record(pool)
        assert pool.checkedout() == 1 and _sa_compat.record_pool(record) is pool
        assert _sa_compat.record_is_live(pool, record)
        raw = record.dbapi_connection.driver_connection
        assert await raw.fetchval("SELECT 2") == 2
        _sa_compat.checkin_record(record)
        assert pool.checkedout() == 0 and pool.checkedin() == 1
        # A pool invalidated since the connection was opened: not live, take the slow path.
        pool._invalidate_time = record.starttime + 1
        assert not _sa_compat.next_idle_is_live(pool)
    finally:
        await database.close()


def test_processors_of_compiled_statements():
    column = sa.column("d", sa.Numeric(10, 2))
    stmt = sa.select(sa.literal_column("1")).where(column == param(0, sa.JSON())).limit(3)
    compiled = stmt.compile(dialect=DIALECT)
    processors = _sa_compat.bind_processors(compiled)
    names = list(compiled.positiontup)
    assert set(processors) == {names[0]}  # JSON serialises; the LIMIT integer needs nothing
    assert processors[names[0]]({"a": 1}) == '{"a": 1}'
    assert _sa_compat.bound_values(compiled)[names[1]] == 3
    plan = Plan(stmt)
    assert plan.args([{"a": 1}]) == ['{"a": 1}', 3]
    assert _sa_compat.result_processor(sa.Float(), DIALECT, 1700)(decimal.Decimal("1.5")) == 1.5
    assert _sa_compat.bind_processor(sa.Integer(), DIALECT) is None


def test_constraint_names_with_the_naming_convention_applied():
    from aksara.registry import NAMING_CONVENTION

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    table = sa.Table(
        "post",
        metadata,
        sa.Column("views", sa.Integer),
        sa.CheckConstraint(sa.column("views") >= 0, name="views_positive"),
    )
    (check,) = [c for c in table.constraints if isinstance(c, sa.CheckConstraint)]
    assert _sa_compat.constraint_name(check, DIALECT) == "ck_post_views_positive"
    assert _sa_compat.constraint_name(sa.CheckConstraint("x > 0"), DIALECT) is None


async def test_jsonb_is_decoded_by_aksara_s_decoder_on_new_connections(aksara_database):
    # The override point SQLAlchemy's asyncpg dialect calls for each new connection.
    seen: list[bytes] = []

    def decode(data: bytes) -> object:
        seen.append(data)
        return _json.loads_jsonb(data)

    database = Database(aksara_database.url, pool_size=1, max_overflow=0)
    assert (
        database.dialect.setup_asyncpg_jsonb_codec
        is not type(database.dialect).setup_asyncpg_jsonb_codec
    )
    _sa_compat.decode_jsonb_with(database.dialect, decode)
    try:
        value = await database.fetchval("""SELECT '{"a": [1, 2.5, "é"]}'::jsonb""")
        assert value == {"a": [1, 2.5, "é"]} and seen == [b'\x01{"a": [1, 2.5, "\xc3\xa9"]}']
        # Written as SQLAlchemy writes it: the JSON text a bind processor made.
        assert await database.fetchval("SELECT $1::jsonb ->> 'b'", ['{"b": "x"}']) == "x"
    finally:
        await database.engine.dispose()
