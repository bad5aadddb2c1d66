"""Raw asyncpg: hand-written SQL, prepared statements, one held connection per worker.

This is the practical limit the other peers are measured against: no query
building, no row objects beyond asyncpg's ``Record`` (a tuple where JSON read as text is
decoded: ``_decoded``). Reads of the related model
fetch the parent by a join and the rows of tags and children as arrays of rows
(``ARRAY(SELECT ROW(...) ...)``) in the same statement, which is what hand-written SQL
would do: the same rows the other peers build instances from, in one round trip. New wide
rows send each JSON default as its text made once (``verify.JSONText``), as aksara sends an
unchanged default.

Statements go through asyncpg's statement cache (``conn.fetch(sql, ...)``), so each is
prepared once per connection for the whole run, as every other peer's statements are, not
once per round; and a worker's connection goes back to the pool without asyncpg's
``RESET ALL`` round trip (a connection a worker held for plain statements has nothing to
reset), as aksara's pool gives its connections back.
"""

from __future__ import annotations

import functools
import gc
from datetime import UTC, datetime
from typing import Any, ClassVar

import asyncpg

from bench import verify
from bench import workload as w
from bench.peers.base import Keep, Peer, Row, main

_PARENT_COLUMNS = w.columns("related")


@functools.cache
def _insert_sql(model: str) -> tuple[str, tuple[Any, ...]]:
    """The INSERT of a new row and the values a caller does not set (wide defaults), made
    once per process, not by each insert call."""
    cols = [c for c in w.columns(model) if c != "id"]
    marks = ", ".join(f"${n}" for n in range(1, len(cols) + 1))
    names = ", ".join(f'"{c}"' for c in cols)
    sql = f"INSERT INTO {w.TABLES[model]} ({names}) VALUES ({marks}) RETURNING id"
    if model != "wide":
        return sql, ()
    defaults = w.full_new_row(model, {})
    # A JSON default is encoded once, not for every row (``verify.JSONText``).
    return sql, tuple(
        verify.JSONText(verify.fast_dumps(v)) if type(v) is dict else v
        for v in (defaults[c] for c in w.WIDE_COLUMNS)
    )


def _json_positions(model: str) -> tuple[int, ...]:
    """Where the model's JSON columns are in its rows."""
    return tuple(i for i, (_, kind, _) in enumerate(w.SCHEMA[w.TABLES[model]]) if kind == "jsonb")


def _select_sql(model: str, op: str, where: str) -> str:
    """The instance reads (D, E, F); ``where`` filters (and for E, orders and pages) ``c``.

    A model's JSON columns are read as text (``c.doc::text``) and decoded by ``_decoded``,
    as aksara reads them; for a page, around the page's subquery, so that the rows OFFSET
    skips are not converted."""
    table = w.TABLES[model]
    if model != "related":
        if not _json_positions(model):
            return f"SELECT * FROM {table} AS c {where}"
        cols = ", ".join(
            f'c."{name}"::text AS "{name}"' if kind == "jsonb" else f'c."{name}"'
            for name, kind, _ in w.SCHEMA[table]
        )
        if op == "E":
            return f"SELECT {cols} FROM (SELECT * FROM {table} AS c {where}) AS c"
        return f"SELECT {cols} FROM {table} AS c {where}"
    parent = ", ".join(f'p."{c}" AS "parent__{c}"' for c in _PARENT_COLUMNS)
    extra = ""
    if op in "EF":
        # The related rows whole, as the instances the other peers build from them: tags
        # (id, name) through the link table, children with every column.
        extra += (
            f", ARRAY(SELECT ROW(t.id, t.name) FROM {w.LINK_TABLE} l"
            f" JOIN {w.TAG_TABLE} t ON t.id = l.tag_id WHERE l.related_id = c.id) AS tags"
        )
    if op == "F":
        child = ", ".join(f'k."{c}"' for c in _PARENT_COLUMNS)
        extra += f", ARRAY(SELECT ROW({child}) FROM {table} k WHERE k.parent_id = c.id) AS children"
    if op == "E":
        # Page first, so the tag arrays are built for the 20 rows only.
        source = f"(SELECT * FROM {table} c {where}) c"
        return f"SELECT c.*, {parent}{extra} FROM {source} LEFT JOIN {table} p ON p.id = c.parent_id ORDER BY c.id"
    return f"SELECT c.*, {parent}{extra} FROM {table} c LEFT JOIN {table} p ON p.id = c.parent_id {where}"


def _values_sql(model: str) -> str:
    table = w.TABLES[model]
    if model == "related":
        return f"SELECT c.*, p.text AS parent__text FROM {table} c LEFT JOIN {table} p ON p.id = c.parent_id"
    return f"SELECT * FROM {table} AS c"


_DECODERS: dict[str, Any] = {}

#: From this many rows on, decoding pauses the cyclic garbage collector (aksara's
#: ``GC_PAUSE_ROWS``): thousands of new dicts and lists would otherwise start collections
#: that walk every object the process keeps.
GC_PAUSE_ROWS = 256


def _decoded(model: str, records: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of a model with JSON columns read as text, each a tuple with its JSON
    decoded: one comprehension unpacking each record into locals and decoding inline (made
    once per model), the cyclic collector paused for a large result."""
    decode = _DECODERS.get(model)
    if decode is None:
        positions = _json_positions(model)
        count = len(w.SCHEMA[w.TABLES[model]])
        targets = "".join(f"v{i}, " for i in range(count))
        items = "".join(
            f"None if v{i} is None else loads(v{i}), " if i in positions else f"v{i}, "
            for i in range(count)
        )
        namespace: dict[str, Any] = {"loads": verify.fast_loads}
        exec(f"def decode(rows):\n    return [({items}) for {targets}in rows]\n", namespace)
        decode = _DECODERS[model] = namespace["decode"]
    if len(records) < GC_PAUSE_ROWS or not gc.isenabled():
        return decode(records)  # type: ignore[no-any-return]
    gc.disable()
    try:
        return decode(records)  # type: ignore[no-any-return]
    finally:
        gc.enable()


_UNPACKERS: dict[tuple[str, str], Any] = {}


async def unpacker(conn: asyncpg.Connection, sql: str, kind: str) -> Any:
    """The fastest rows-to-dicts (or tuples) a hand-written query gets: one comprehension with
    the columns spelled out (``[{"id": v0, ...} for v0, ... in rows]``), which builds each
    dict as a literal instead of through ``dict(record)``, and ``tuple(record)`` for tuples.
    Made once per statement.

    ``prepare()`` names its statement only while the statement cache is on, so with
    ``statement_cache_size=0`` this works through a transaction pooler too."""
    found = _UNPACKERS.get((sql, kind))
    if found is not None:
        return found
    stmt = await conn.prepare(sql)
    names = [a.name for a in stmt.get_attributes()]
    if kind == "tuple":
        found = _tuples  # tuple() of a Record runs in C
    else:
        # Unpacking each record into locals beats indexing it once per column.
        targets = "".join(f"v{i}, " for i in range(len(names)))
        item = "{" + ", ".join(f"{n!r}: v{i}" for i, n in enumerate(names)) + "}"
        namespace: dict[str, Any] = {}
        exec(f"def unpack(rows):\n    return [{item} for {targets}in rows]\n", namespace)
        found = namespace["unpack"]
    _UNPACKERS[sql, kind] = found
    return found


def _tuples(rows: list[Any]) -> list[tuple[Any, ...]]:
    return list(map(tuple, rows))


async def _no_reset(conn: asyncpg.Connection) -> None:
    """A worker's connection goes back as it is (asyncpg's default runs ``RESET ALL`` etc.)."""


class AsyncpgPeer(Peer):
    name = "asyncpg"
    label = "asyncpg (raw)"

    # asyncpg's default; 0 behind a transaction pooler (bench/pgbouncer.py), where a named
    # statement prepared on one server connection is missing from the next.
    statement_cache_size: ClassVar[int] = 100

    pool: asyncpg.Pool
    #: C's connections on a model with JSON: binary COPY needs binary JSON codecs. Open
    #: only from the model's schema to the end of its inserts: idle connections held
    #: through the reads slowed them by a third (more live objects in the process).
    copy_pool: asyncpg.Pool | None = None

    async def start(self, url: str) -> None:
        self.url = url
        # JSON is read as text: asyncpg decodes it in C and calls json.loads, its quickest.
        self.pool = await self._pool(verify.init_text_json)

    def _pool(self, init: Any) -> Any:
        return asyncpg.create_pool(
            self.url,
            min_size=w.WORKERS,
            max_size=w.WORKERS,
            init=init,
            reset=_no_reset,
            statement_cache_size=self.statement_cache_size,
        )

    async def inserts_done(self, model: str) -> None:
        if self.copy_pool is not None:
            await self.copy_pool.close()
            self.copy_pool = None

    async def stop(self) -> None:
        await self.inserts_done("")
        await self.pool.close()

    async def create_schema(self, model: str) -> None:
        table = w.TABLES[model]
        if model == "related":
            ddl = f"""
            CREATE TABLE {table} (
                id serial PRIMARY KEY,
                "timestamp" timestamptz NOT NULL,
                level smallint NOT NULL,
                text varchar(255) NOT NULL,
                parent_id integer REFERENCES {table} (id) ON DELETE CASCADE
            );
            CREATE INDEX ON {table} (parent_id);
            CREATE TABLE {w.TAG_TABLE} (id serial PRIMARY KEY, name varchar(50) NOT NULL);
            CREATE TABLE {w.LINK_TABLE} (
                related_id integer NOT NULL REFERENCES {table} (id) ON DELETE CASCADE,
                tag_id integer NOT NULL REFERENCES {w.TAG_TABLE} (id) ON DELETE CASCADE,
                UNIQUE (related_id, tag_id)
            );
            """
        else:
            extra = ""
            if model == "wide":
                types = {
                    "float": "double precision",
                    "smallint": "smallint",
                    "int": "integer",
                    "bigint": "bigint",
                    "char": "varchar(255)",
                    "text": "text",
                    "decimal": "numeric(12, 8)",
                    "json": "jsonb",
                }
                extra = "".join(
                    f",\n {w.wide_column(kind, g)} {types[kind]}"
                    + (" NOT NULL" if g in w.WIDE_DEFAULT_GROUPS else "")
                    for g in w.WIDE_GROUPS
                    for kind in w.WIDE_KINDS
                )
            ddl = f"""
            CREATE TABLE {table} (
                id serial PRIMARY KEY,
                "timestamp" timestamptz NOT NULL,
                level smallint NOT NULL,
                text varchar(255) NOT NULL{extra}
            );
            """
        ddl += f"CREATE INDEX ON {table} (level); CREATE INDEX ON {table} (text);"
        async with self.pool.acquire() as conn:
            await conn.execute(ddl)
        if model == "wide":
            self.copy_pool = await self._pool(verify.init_fast_connection)

    # -- inserts --------------------------------------------------------------------------------

    @staticmethod
    def _params(
        model: str, row: Row, fixed: tuple[Any, ...], now: datetime | None = None
    ) -> tuple[Any, ...]:
        head = (now or datetime.now(UTC), row["level"], row["text"])
        if model == "related":
            return (*head, row["parent_id"])
        return head + fixed

    async def insert_single(self, model: str, rows: list[Row]) -> None:
        sql, fixed = _insert_sql(model)
        async with self.pool.acquire() as conn:
            for row in rows:
                await conn.fetchval(sql, *self._params(model, row, fixed))

    async def insert_batch(self, model: str, rows: list[Row]) -> None:
        sql, fixed = _insert_sql(model)
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                for row in rows:
                    await conn.fetchval(sql, *self._params(model, row, fixed))

    async def insert_bulk(self, model: str, rows: list[Row]) -> None:
        _, fixed = _insert_sql(model)
        cols = [c for c in w.columns(model) if c != "id"]
        # One time for the rows of one call, as aksara's bulk_create() gives them.
        now = datetime.now(UTC)
        async with (self.copy_pool or self.pool).acquire() as conn:
            await conn.copy_records_to_table(
                w.TABLES[model],
                records=[self._params(model, row, fixed, now) for row in rows],
                columns=cols,
            )

    # -- reads ----------------------------------------------------------------------------------

    async def filter_large(self, model: str, levels: list[int], keep: Keep) -> None:
        sql = _select_sql(model, "D", "WHERE c.level = $1")
        json = bool(_json_positions(model))
        async with self.pool.acquire() as conn:
            for level in levels:
                records = await conn.fetch(sql, level)
                keep(level, _decoded(model, records) if json else records)

    async def filter_small(self, model: str, pages: list[tuple[int, int]], keep: Keep) -> None:
        sql = _select_sql(model, "E", f"WHERE c.level = $1 ORDER BY c.id LIMIT {w.PAGE} OFFSET $2")
        json = bool(_json_positions(model))
        async with self.pool.acquire() as conn:
            for page in pages:
                records = await conn.fetch(sql, *page)
                keep(page, _decoded(model, records) if json else records)

    async def get(self, model: str, ids: list[int], keep: Keep) -> None:
        sql = _select_sql(model, "F", "WHERE c.id = $1")
        json = bool(_json_positions(model))
        async with self.pool.acquire() as conn:
            for pk in ids:
                record = await conn.fetchrow(sql, pk)
                keep(pk, _decoded(model, [record])[0] if json and record is not None else record)

    async def filter_dicts(self, model: str, levels: list[int], keep: Keep) -> None:
        sql = _values_sql(model) + " WHERE c.level = $1"
        async with self.pool.acquire() as conn:
            unpack = await unpacker(conn, sql, "dict")
            for level in levels:
                keep(level, unpack(await conn.fetch(sql, level)))

    async def filter_tuples(self, model: str, levels: list[int], keep: Keep) -> None:
        sql = _values_sql(model) + " WHERE c.level = $1"
        async with self.pool.acquire() as conn:
            unpack = await unpacker(conn, sql, "tuple")
            for level in levels:
                keep(level, unpack(await conn.fetch(sql, level)))

    # -- updates and deletes --------------------------------------------------------------------

    async def load(self, model: str, level: int) -> list[Any]:
        async with self.pool.acquire() as conn:
            return list(
                await conn.fetch(
                    f"SELECT * FROM {w.TABLES[model]} WHERE level = $1 ORDER BY id", level
                )
            )

    async def update_whole(self, model: str, objs: list[Any]) -> None:
        cols = w.columns(model)[1:]
        sets = ", ".join(f'"{c}" = ${n}' for n, c in enumerate(cols, start=2))
        sql = f"UPDATE {w.TABLES[model]} SET {sets} WHERE id = $1"
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                for r in objs:
                    values = list(r.values())
                    values[2] = w.LEVEL_I
                    values[3] = r["text"] + w.UPDATE_SUFFIX
                    await conn.execute(sql, *values)

    async def update_field(self, model: str, objs: list[Any]) -> None:
        sql = f"UPDATE {w.TABLES[model]} SET level = $2 WHERE id = $1"
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                for r in objs:
                    await conn.execute(sql, r["id"], w.LEVEL_J)

    async def delete(self, model: str, objs: list[Any]) -> None:
        sql = f"DELETE FROM {w.TABLES[model]} WHERE id = $1"
        async with self.pool.acquire() as conn:
            async with conn.transaction():
                for r in objs:
                    await conn.execute(sql, r["id"])

    # -- verification ---------------------------------------------------------------------------

    def instance(self, model: str, op: str, obj: Any) -> Row:
        if model != "related":
            # A row decoded by ``_decoded`` is a tuple in the table's column order.
            return (
                dict(zip(w.columns(model), obj, strict=True)) if type(obj) is tuple else dict(obj)
            )
        row = {c: obj[c] for c in _PARENT_COLUMNS}
        parent = {c: obj[f"parent__{c}"] for c in _PARENT_COLUMNS}
        row["parent"] = None if parent["id"] is None else parent
        if op in "EF":
            row["tags"] = sorted(tag[1] for tag in obj["tags"])
        if op == "F":
            row["children"] = sorted(child[0] for child in obj["children"])
        return row

    @staticmethod
    def pk(obj: Any) -> int:
        return int(obj["id"])


if __name__ == "__main__":
    main(AsyncpgPeer())
