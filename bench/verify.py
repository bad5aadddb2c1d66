"""Checks run outside the timed sections: the schema a peer built, what reads returned, what writes left.

Every value is compared with what raw asyncpg reads from the same database, by
value and by type (an aware ``datetime``, ``Decimal`` for NUMERIC, parsed JSON,
``int`` for integers), so a peer cannot win by skipping work such as decoding
JSON or loading a related row.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from bench import workload as w

try:
    from aksara._json import dumps as fast_dumps
    from aksara._json import loads as fast_loads
except ImportError:  # an older aksara (bench/client_cpu.py --baseline): json's own
    fast_dumps, fast_loads = json.dumps, json.loads  # type: ignore[assignment]


class JSONText(str):
    """A JSON document already encoded, sent as it is by the raw peer's JSON codecs: the raw
    peer encodes a constant document (a column's default) once, not for every row, as aksara
    sends an unchanged default's text made once."""


def _encoded(dumps: Any) -> Any:
    """``dumps`` for a codec: ``JSONText`` passes as it is."""

    def encode(value: Any) -> str:
        return value if type(value) is JSONText else dumps(value)

    return encode


class VerificationError(AssertionError):
    """A peer returned or stored something other than the workload asks for."""


async def init_text_json(conn: asyncpg.Connection) -> None:
    """Decode JSON and JSONB into Python objects from their text: asyncpg asks the server for
    the text format and decodes it in C, then calls the decoder, the quickest read of JSON
    through asyncpg (a binary codec runs a Python function per value). COPY cannot use it.

    For the raw peer: its JSON goes through the standard library's C scanner and encoder
    called directly (``aksara._json``, which aksara uses too), not through ``json.loads()``
    and ``json.dumps()``, whose Python layers cost more than the C work for a small document.
    """
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            encoder=_encoded(fast_dumps),
            decoder=fast_loads,
            schema="pg_catalog",
            format="text",
        )


async def init_connection(conn: asyncpg.Connection, fast: bool = False) -> None:
    """Decode JSON and JSONB into Python objects, as every peer does (binary, so COPY works too).

    The checks use ``json`` itself; the raw peer's COPY connections (``fast``) the same
    functions as ``init_text_json``."""
    dumps, loads = (fast_dumps, fast_loads) if fast else (json.dumps, json.loads)
    dumps = _encoded(dumps)

    def jsonb_encode(value: Any) -> bytes:
        return b"\x01" + dumps(value).encode()

    def jsonb_decode(data: bytes) -> Any:
        # Skip the format version byte. Decoding the bytes first: json.loads() of bytes
        # detects their encoding in Python first (SQLAlchemy's asyncpg dialect does the same).
        return loads(data[1:].decode())

    await conn.set_type_codec(
        "json",
        encoder=lambda v: dumps(v).encode(),
        decoder=loads,
        schema="pg_catalog",
        format="binary",
    )
    await conn.set_type_codec(
        "jsonb", encoder=jsonb_encode, decoder=jsonb_decode, schema="pg_catalog", format="binary"
    )


async def init_fast_connection(conn: asyncpg.Connection) -> None:
    """``init_connection(conn, fast=True)``: the raw peer's COPY connections."""
    await init_connection(conn, fast=True)


# -- schema -----------------------------------------------------------------------------------

_COLUMNS_SQL = """
SELECT c.column_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       c.is_nullable = 'YES' AS nullable
FROM information_schema.columns c
JOIN pg_catalog.pg_attribute a
  ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
 AND a.attname = c.column_name
WHERE c.table_schema = 'public' AND c.table_name = $1
ORDER BY c.ordinal_position
"""
_LEADING_INDEX_COLUMNS_SQL = """
SELECT a.attname AS column_name, i.indisprimary AS is_primary
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = $1::regclass
"""
_FOREIGN_KEYS_SQL = """
SELECT kcu.column_name, ccu.table_name AS target, rc.delete_rule
FROM information_schema.referential_constraints rc
JOIN information_schema.key_column_usage kcu
  ON kcu.constraint_name = rc.constraint_name AND kcu.constraint_schema = rc.constraint_schema
JOIN information_schema.constraint_column_usage ccu
  ON ccu.constraint_name = rc.unique_constraint_name
 AND ccu.constraint_schema = rc.unique_constraint_schema
WHERE kcu.table_schema = 'public' AND kcu.table_name = $1
"""


async def check_schema(conn: asyncpg.Connection, model: str) -> None:
    """Fail unless the peer's DDL produced the workload's tables: same types, indexes and keys."""
    problems: list[str] = []
    for table in w.MODEL_TABLES[model]:
        got = {
            r["column_name"]: (r["type"], r["nullable"])
            for r in await conn.fetch(_COLUMNS_SQL, table)
        }
        if not got:
            problems.append(f"{table}: missing")
            continue
        want = {name: (type_, nullable) for name, type_, nullable in w.SCHEMA[table]}
        for name, spec in want.items():
            if name not in got:
                problems.append(f"{table}.{name}: missing")
            elif got[name] != spec:
                problems.append(f"{table}.{name}: expected {spec}, got {got[name]}")
        extra = set(got) - set(want) - w.OPTIONAL_COLUMNS.get(table, set())
        if extra:
            problems.append(f"{table}: unexpected columns {sorted(extra)}")
        leading = await conn.fetch(_LEADING_INDEX_COLUMNS_SQL, table)
        indexed = {r["column_name"] for r in leading}
        primary = {r["column_name"] for r in leading if r["is_primary"]}
        if "id" in want and "id" not in primary:
            problems.append(f"{table}: no primary key on id")
        for name in w.INDEXED[table]:
            if name not in indexed:
                problems.append(f"{table}.{name}: no index")
        fks = {
            r["column_name"]: (r["target"], r["delete_rule"])
            for r in await conn.fetch(_FOREIGN_KEYS_SQL, table)
        }
        for (fk_table, column), spec in w.FOREIGN_KEYS.items():
            if fk_table == table and fks.get(column) != spec:
                problems.append(
                    f"{table}.{column}: expected foreign key {spec}, got {fks.get(column)}"
                )
    if problems:
        raise VerificationError(
            f"{model}: schema differs from the workload's:\n  " + "\n  ".join(problems)
        )


# -- seeding ----------------------------------------------------------------------------------


async def seed(conn: asyncpg.Connection, model: str, count: int) -> None:
    """Load the identical seed into whatever tables the peer created, then move the sequences on."""
    table = w.TABLES[model]
    if model == "related":
        await conn.copy_records_to_table(
            w.TAG_TABLE,
            records=[(t, w.tag_name(t)) for t in range(1, w.TAG_COUNT + 1)],
            columns=["id", "name"],
        )
        await _advance_sequence(conn, w.TAG_TABLE, w.TAG_COUNT)
    # The seed's parents point backwards (i // 2), so rows go in in id order.
    await conn.copy_records_to_table(
        table,
        records=[w.seed_row(model, i) for i in range(1, count + 1)],
        columns=list(w.columns(model)),
    )
    await _advance_sequence(conn, table, count)
    if model == "related":
        links = [(i, t) for i in range(1, count + 1) for t in w.seed_tags(i)]
        await conn.copy_records_to_table(
            w.LINK_TABLE, records=links, columns=["related_id", "tag_id"]
        )
    for name in w.MODEL_TABLES[model]:
        await conn.execute(f"ANALYZE {name}")


async def _advance_sequence(conn: asyncpg.Connection, table: str, value: int) -> None:
    await conn.execute("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", table, value)


# -- reads ------------------------------------------------------------------------------------


@dataclass
class Truth:
    """Every row of one model as raw asyncpg reads it, with the related model's extras."""

    model: str
    rows: dict[int, dict[str, Any]]
    by_level: dict[int, list[int]]
    tags: dict[int, list[str]] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)

    def instance(self, op: str, pk: int) -> dict[str, Any]:
        row = dict(self.rows[pk])
        if self.model == "related":
            parent = row["parent_id"]
            row["parent"] = None if parent is None else dict(self.rows[parent])
            if op in "EF":
                row["tags"] = self.tags.get(pk, [])
            if op == "F":
                row["children"] = self.children.get(pk, [])
        return row

    def record(self, pk: int) -> dict[str, Any]:
        row = dict(self.rows[pk])
        if self.model == "related":
            parent = row["parent_id"]
            row["parent__text"] = None if parent is None else self.rows[parent]["text"]
        return row


async def truth(conn: asyncpg.Connection, model: str) -> Truth:
    table = w.TABLES[model]
    rows = {r["id"]: dict(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY id")}
    by_level: dict[int, list[int]] = defaultdict(list)
    for pk, row in rows.items():
        by_level[row["level"]].append(pk)
    result = Truth(model, rows, dict(by_level))
    if model == "related":
        tags: dict[int, list[str]] = defaultdict(list)
        for r in await conn.fetch(
            f"SELECT l.related_id, t.name FROM {w.LINK_TABLE} l JOIN {w.TAG_TABLE} t ON t.id = l.tag_id"
        ):
            tags[r["related_id"]].append(r["name"])
        result.tags = {pk: sorted(names) for pk, names in tags.items()}
        children: dict[int, list[int]] = defaultdict(list)
        for pk, row in rows.items():
            if row["parent_id"] is not None:
                children[row["parent_id"]].append(pk)
        result.children = dict(children)
    return result


def same(expected: Any, got: Any, where: str) -> None:
    """Equal values of the same type; datetimes must be timezone-aware."""
    if isinstance(expected, Mapping):
        if not isinstance(got, Mapping):
            raise VerificationError(f"{where}: expected a mapping, got {type(got).__name__}")
        if set(expected) != set(got):
            raise VerificationError(f"{where}: keys {sorted(got)} != {sorted(expected)}")
        for key, value in expected.items():
            same(value, got[key], f"{where}.{key}")
        return
    if isinstance(expected, list | tuple) and not isinstance(expected, str):
        if type(got) is not type(expected) or len(got) != len(expected):
            raise VerificationError(f"{where}: expected {expected!r}, got {got!r}")
        for n, (a, b) in enumerate(zip(expected, got, strict=True)):
            same(a, b, f"{where}[{n}]")
        return
    if type(got) is not type(expected):
        raise VerificationError(
            f"{where}: expected {type(expected).__name__} {expected!r}, got {type(got).__name__} {got!r}"
        )
    if isinstance(got, datetime) and got.tzinfo is None:
        raise VerificationError(f"{where}: naive datetime {got!r}")
    if got != expected:
        raise VerificationError(f"{where}: expected {expected!r}, got {got!r}")


def check_sizes(op: str, sizes: Iterable[tuple[Any, int]], expected: int) -> int:
    total = 0
    for key, size in sizes:
        if size != expected:
            raise VerificationError(f"{op}({key!r}): expected {expected} rows, got {size}")
        total += size
    return total


def check_instances(
    t: Truth, op: str, pks: Sequence[int], got: Sequence[dict[str, Any]], where: str
) -> None:
    got_sorted = sorted(got, key=lambda row: row["id"]) if op != "E" else list(got)
    if [row["id"] for row in got_sorted] != list(pks):
        raise VerificationError(
            f"{where}: ids {[row['id'] for row in got_sorted][:5]}... != {list(pks)[:5]}..."
        )
    for pk, row in zip(pks, got_sorted, strict=True):
        same(t.instance(op, pk), row, f"{where}[id={pk}]")


def check_records(t: Truth, pks: Sequence[int], got: Sequence[dict[str, Any]], where: str) -> None:
    got_sorted = sorted(got, key=lambda row: row["id"])
    if [row["id"] for row in got_sorted] != list(pks):
        raise VerificationError(f"{where}: returned other rows than the filter selects")
    for pk, row in zip(pks, got_sorted, strict=True):
        same(t.record(pk), row, f"{where}[id={pk}]")


def tuple_columns(model: str) -> tuple[str, ...]:
    cols = w.columns(model)
    return (*cols, "parent__text") if model == "related" else cols


# -- writes -----------------------------------------------------------------------------------


async def rows_at(conn: asyncpg.Connection, model: str, level: int) -> list[dict[str, Any]]:
    table = w.TABLES[model]
    return [
        dict(r)
        for r in await conn.fetch(f"SELECT * FROM {table} WHERE level = $1 ORDER BY id", level)
    ]


async def check_inserted(
    conn: asyncpg.Connection,
    model: str,
    op: str,
    level: int,
    inputs: Sequence[dict[str, Any]],
    started: datetime,
    finished: datetime,
) -> None:
    stored = await rows_at(conn, model, level)
    if len(stored) != len(inputs):
        raise VerificationError(f"{model} {op}: {len(stored)} rows stored, {len(inputs)} inserted")
    expected = {row["text"]: w.full_new_row(model, row) for row in inputs}
    for row in stored:
        want = expected.pop(row["text"], None)
        if want is None:
            raise VerificationError(f"{model} {op}: unexpected or duplicate row {row['text']!r}")
        pk, stamp = row.pop("id"), row.pop("timestamp")
        if not isinstance(pk, int) or pk <= 0:
            raise VerificationError(f"{model} {op}: bad id {pk!r}")
        if not started <= stamp <= finished:
            raise VerificationError(
                f"{model} {op}: timestamp {stamp} outside [{started}, {finished}]"
            )
        same(want, row, f"{model} {op}[{row['text']!r}]")


async def check_updated(
    conn: asyncpg.Connection,
    model: str,
    op: str,
    before: Sequence[dict[str, Any]],
    changes: Mapping[str, Any],
) -> None:
    table = w.TABLES[model]
    pks = [row["id"] for row in before]
    after = {
        r["id"]: dict(r)
        for r in await conn.fetch(f"SELECT * FROM {table} WHERE id = ANY($1::int[])", pks)
    }
    for row in before:
        want = dict(row)
        for name, change in changes.items():
            want[name] = change(row[name]) if callable(change) else change
        same(want, after.get(row["id"]), f"{model} {op}[id={row['id']}]")


async def check_deleted(
    conn: asyncpg.Connection, model: str, pks: Sequence[int], remaining: int
) -> None:
    table = w.TABLES[model]
    left = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE id = ANY($1::int[])", list(pks))
    if left:
        raise VerificationError(f"{model} K: {left} of {len(pks)} rows not deleted")
    total = await conn.fetchval(f"SELECT count(*) FROM {table}")
    if total != remaining:
        raise VerificationError(f"{model} K: {total} rows left, expected {remaining}")
