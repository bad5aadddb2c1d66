"""The driver on a real embedded PostgreSQL with the raw asyncpg peer and tiny counts."""

import tempfile
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bench import _server, verify
from bench import workload as w
from bench.peers.asyncpg_raw import AsyncpgPeer
from bench.peers.base import Keep, run_model

TINY = w.Counts(
    seed=500,
    insert_single=30,
    insert_batch=30,
    insert_bulk=60,
    filter_large=30,
    filter_small=30,
    get=30,
    filter_dicts=30,
    filter_tuples=30,
)


@pytest.fixture(scope="module")
def server_uri():
    with tempfile.TemporaryDirectory(prefix="aksara-bench-test-") as data_dir:
        server = _server.start_server(Path(data_dir))
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


async def _run(server_uri: str, name: str, peer: Any, model: str) -> dict[str, Any]:
    url = await _server.fresh_database(server_uri, name)
    conn = await asyncpg.connect(url)
    await verify.init_connection(conn)
    await peer.start(url)
    try:
        return await run_model(peer, conn, model, TINY)
    finally:
        await peer.stop()
        await conn.close()
        await _server.drop_database(server_uri, name)


@pytest.mark.parametrize("model", w.MODELS)
async def test_asyncpg_peer_runs_and_verifies_every_operation(server_uri, model):
    results = await _run(server_uri, f"bench_test_{model}", AsyncpgPeer(), model)
    assert set(results) == set(w.OPS)
    assert results["D"]["rows"] == TINY.filter_large * TINY.seed // len(w.LEVELS)
    assert results["E"]["rows"] == TINY.filter_small * w.PAGE
    assert results["K"]["rows"] == TINY.insert_single
    assert all(cell["rate"] > 0 and len(cell["rounds"]) == w.ROUNDS for cell in results.values())


class NaiveTimestamps(AsyncpgPeer):
    """Returns dicts whose datetimes lost their time zone."""

    async def filter_dicts(self, model: str, levels: list[int], keep: Keep) -> None:
        inner = Keep(limit=len(levels))
        await super().filter_dicts(model, levels, inner)
        for level, rows in inner.kept:
            keep(level, [dict(r, timestamp=r["timestamp"].replace(tzinfo=None)) for r in rows])


class DroppedRows(AsyncpgPeer):
    """Inserts one row fewer than asked in the bulk operation."""

    async def insert_bulk(self, model: str, rows: list[dict[str, Any]]) -> None:
        await super().insert_bulk(model, rows[1:])


class WrongSchema(AsyncpgPeer):
    """Creates the simple table with an integer level instead of smallint."""

    async def create_schema(self, model: str) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                'CREATE TABLE bench_simple (id serial PRIMARY KEY, "timestamp" timestamptz NOT NULL,'
                " level integer NOT NULL, text varchar(255) NOT NULL);"
                " CREATE INDEX ON bench_simple (level); CREATE INDEX ON bench_simple (text)"
            )


@pytest.mark.parametrize(
    ("peer", "message"),
    [
        (NaiveTimestamps(), "naive datetime"),
        (DroppedRows(), "rows stored"),
        (WrongSchema(), "simple.level"),
    ],
)
async def test_verification_rejects_a_peer_that_cuts_corners(server_uri, peer, message):
    with pytest.raises(verify.VerificationError, match=message):
        await _run(server_uri, "bench_test_bad", peer, "simple")
