"""The interface every peer implements, and the driver that times and verifies it.

A peer is one way of talking to PostgreSQL (raw asyncpg, SQLAlchemy Core, an ORM).
The driver gives it a fresh database, asks it to create each model's tables,
seeds them identically through asyncpg COPY, then runs operations A-K with
``WORKERS`` concurrent asyncio tasks. Each task calls one peer method with its
share of the inputs, so the loop inside the method is the peer's own idiomatic
code. Timing covers only those calls; verification runs afterwards.

Run a peer alone with ``python -m bench.peers.<module> --url postgresql://...``.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import gc
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import asyncpg

from bench import verify
from bench import workload as w

Row = dict[str, Any]


class Keep:
    """Collects what one worker's reads returned: every size, and the first few results."""

    __slots__ = ("kept", "limit", "single", "sizes")

    def __init__(self, *, single: bool = False, limit: int = 2) -> None:
        self.single = single
        self.limit = limit
        self.sizes: list[tuple[Any, int]] = []
        self.kept: list[tuple[Any, Any]] = []

    def __call__(self, key: Any, result: Any) -> None:
        self.sizes.append((key, (0 if result is None else 1) if self.single else len(result)))
        if len(self.kept) < self.limit:
            self.kept.append((key, result))


class Peer(abc.ABC):
    """One contender. ``model`` is one of ``workload.MODELS``; rows are dicts of the fields set.

    Read methods hand each result to ``keep(key, result)`` (key: the level, the
    ``(level, offset)`` page or the id). For the related model, D, E and F load
    the row's parent; E and F also its tags (many-to-many); F also its children
    (the reverse foreign key). G and H add the parent's text as ``parent__text``.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    packages: ClassVar[tuple[str, ...]] = ("asyncpg",)  # versions reported with the results

    def unsupported(self, model: str) -> str | None:
        """Why this peer cannot run ``model`` (the model is then skipped), or None."""
        return None

    @abc.abstractmethod
    async def start(self, url: str) -> None:
        """Connect, with room for ``WORKERS`` concurrent connections. ``url`` is a libpq URI."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Close every connection."""

    @abc.abstractmethod
    async def create_schema(self, model: str) -> None:
        """Create the model's tables (and the related model's tag and link tables) with the peer's own DDL."""

    # A, B, C: one call per worker with its share of the rows
    @abc.abstractmethod
    async def insert_single(self, model: str, rows: list[Row]) -> None:
        """Insert each row in its own autocommit statement."""

    @abc.abstractmethod
    async def insert_batch(self, model: str, rows: list[Row]) -> None:
        """Insert the rows one statement each, inside one transaction."""

    @abc.abstractmethod
    async def insert_bulk(self, model: str, rows: list[Row]) -> None:
        """Insert the rows with the peer's bulk operation."""

    async def inserts_done(self, model: str) -> None:  # noqa: B027  # a hook: nothing by default
        """After C, untimed: a peer can let go of what only its inserts needed."""

    # D-H
    @abc.abstractmethod
    async def filter_large(self, model: str, levels: list[int], keep: Keep) -> None:
        """For each level, every row with that level, as instances."""

    @abc.abstractmethod
    async def filter_small(self, model: str, pages: list[tuple[int, int]], keep: Keep) -> None:
        """For each (level, offset): ``PAGE`` rows of that level ordered by id, from offset."""

    @abc.abstractmethod
    async def get(self, model: str, ids: list[int], keep: Keep) -> None:
        """For each id, the row with that primary key."""

    @abc.abstractmethod
    async def filter_dicts(self, model: str, levels: list[int], keep: Keep) -> None:
        """As ``filter_large``, as dicts of every column."""

    @abc.abstractmethod
    async def filter_tuples(self, model: str, levels: list[int], keep: Keep) -> None:
        """As ``filter_large``, as tuples of every column in declaration order."""

    # I, J, K: objects come from ``load`` (untimed)
    @abc.abstractmethod
    async def load(self, model: str, level: int) -> list[Any]:
        """Every row with that level, as the objects I, J and K work on (untimed)."""

    @abc.abstractmethod
    async def update_whole(self, model: str, objs: list[Any]) -> None:
        """In one transaction: per object, level = LEVEL_I and text += UPDATE_SUFFIX; write every column."""

    @abc.abstractmethod
    async def update_field(self, model: str, objs: list[Any]) -> None:
        """In one transaction: per object, level = LEVEL_J; write only that column."""

    @abc.abstractmethod
    async def delete(self, model: str, objs: list[Any]) -> None:
        """In one transaction: delete each object, one statement each."""

    # Verification (untimed): turn results into workload.verify's canonical shapes.
    def instance(self, model: str, op: str, obj: Any) -> Row:
        """An instance from D, E or F as a dict of columns, plus the related model's extras.

        This reads an ORM object's columns and relations as attributes (``obj.parent``,
        ``obj.tags``, ``obj.children``); peers whose results look otherwise override it.
        """
        cols = w.columns(model)
        row = {c: getattr(obj, c) for c in cols}
        if model == "related":
            p = obj.parent
            row["parent"] = None if p is None else {c: getattr(p, c) for c in cols}
            if op in "EF":
                row["tags"] = sorted(t.name for t in obj.tags)
            if op == "F":
                row["children"] = sorted(c.id for c in obj.children)
        return row

    def record(self, model: str, obj: Any) -> Row:
        """A result of G."""
        return dict(obj)

    def row_tuple(self, model: str, obj: Any) -> tuple[Any, ...]:
        """A result of H."""
        return tuple(obj)

    @staticmethod
    def pk(obj: Any) -> int:
        """The id of an object from ``load``."""
        return int(obj.id)


def versions(*packages: str) -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in packages}


# -- the driver -------------------------------------------------------------------------------


class Baton:
    """Takes turns with another peer's process (``run.py --paired``): each timed round runs
    while the other process waits, and the two alternate round by round, so both meet the
    same server and machine. A peer passes the baton at the start of its next round (its
    untimed work after a round runs on its own turn too) and for good when it is done."""

    _TURN, _DONE = b"t", b"d"

    def __init__(self, read_fd: int, write_fd: int) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self.held = False
        self.alone = False  # the other peer is done: no more waiting

    def turn(self) -> None:
        """Give the baton (when held) and wait until it comes back."""
        if self.alone:
            return
        if self.held and not self._send(self._TURN):
            return
        got = os.read(self.read_fd, 1)
        if got != self._TURN:  # the other peer finished (or died): run alone from now on
            self.alone = True
        self.held = True

    def done(self) -> None:
        if not self.alone:
            self._send(self._DONE)
        os.close(self.write_fd)
        self.alone = True

    def _send(self, signal: bytes) -> bool:
        """Write to the partner; False (and alone from now on) when it is gone."""
        try:
            os.write(self.write_fd, signal)
        except BrokenPipeError:
            self.alone = True
            return False
        return True


#: Set by ``main()`` when ``run.py --paired`` starts this peer with a partner.
BATON: Baton | None = None


async def _timed(run: Callable[[Any], Awaitable[None]], shares: Sequence[Any]) -> float:
    if BATON is not None:
        BATON.turn()
    gc.collect()
    started = time.perf_counter()
    await asyncio.gather(*(run(share) for share in shares))
    return time.perf_counter() - started


class _Results:
    """``{op: {"rows", "seconds", "rate", "rounds"}}``; ``rate`` is the best round's rows/s."""

    def __init__(self) -> None:
        self.ops: dict[str, dict[str, Any]] = {}

    def add(self, op: str, rows: int, seconds: float) -> None:
        cell = self.ops.setdefault(op, {"rows": 0, "seconds": 0.0, "rate": 0.0, "rounds": []})
        cell["rows"] += rows
        cell["seconds"] += seconds
        cell["rounds"].append(rows / seconds)
        cell["rate"] = max(cell["rounds"])


async def _write(
    results: _Results, op: str, run: Callable[[Any], Awaitable[None]], items: list[Any]
) -> None:
    for shares in w.rounds(items):
        seconds = await _timed(run, shares)
        results.add(op, sum(len(share) for share in shares), seconds)


async def run_model(
    peer: Peer, conn: asyncpg.Connection, model: str, counts: w.Counts
) -> dict[str, Any]:
    """Create, seed, run A-K, verify; return ``{op: {"rows", "seconds", "rate", "rounds"}}``."""
    p = w.plan(model, counts)
    await peer.create_schema(model)
    await verify.check_schema(conn, model)
    await verify.seed(conn, model, counts.seed)
    results = _Results()

    async def insert(op: str, method: Any, rows: list[Row], level: int) -> None:
        started = datetime.now(UTC) - timedelta(seconds=1)
        await _write(results, op, lambda share: method(model, share), rows)
        finished = datetime.now(UTC) + timedelta(seconds=1)
        await verify.check_inserted(conn, model, op, level, rows, started, finished)

    await insert("A", peer.insert_single, p.insert_single, w.LEVEL_A)
    await insert("B", peer.insert_batch, p.insert_batch, w.LEVEL_B)
    await insert("C", peer.insert_bulk, p.insert_bulk, w.LEVEL_C)
    await peer.inserts_done(model)

    truth = await verify.truth(conn, model)
    per_level = p.per_level

    async def read(
        op: str, method: Any, items: list[Any], expected: int, single: bool = False
    ) -> list[Keep]:
        kept: list[Keep] = []
        for shares in w.rounds(items):
            keeps = [Keep(single=single, limit=1) for _ in shares]
            pairs = list(zip(shares, keeps, strict=True))
            seconds = await _timed(lambda pair: method(model, pair[0], pair[1]), pairs)
            rows = verify.check_sizes(op, (size for keep in keeps for size in keep.sizes), expected)
            results.add(op, rows, seconds)
            kept += keeps
        return kept

    for keep in await read("D", peer.filter_large, p.filter_large, per_level):
        for level, result in keep.kept:
            got = [peer.instance(model, "D", obj) for obj in result]
            verify.check_instances(truth, "D", truth.by_level[level], got, f"{model} D({level})")
    for keep in await read("E", peer.filter_small, p.filter_small, w.PAGE):
        for (level, offset), result in keep.kept:
            got = [peer.instance(model, "E", obj) for obj in result]
            pks = truth.by_level[level][offset : offset + w.PAGE]
            verify.check_instances(truth, "E", pks, got, f"{model} E({level}, {offset})")
    for keep in await read("F", peer.get, p.get, 1, single=True):
        for pk, obj in keep.kept:
            verify.same(truth.instance("F", pk), peer.instance(model, "F", obj), f"{model} F({pk})")
    for keep in await read("G", peer.filter_dicts, p.filter_dicts, per_level):
        for level, result in keep.kept:
            got = [peer.record(model, obj) for obj in result]
            verify.check_records(truth, truth.by_level[level], got, f"{model} G({level})")
    names = verify.tuple_columns(model)
    for keep in await read("H", peer.filter_tuples, p.filter_tuples, per_level):
        for level, result in keep.kept:
            got = []
            for obj in result:
                values = peer.row_tuple(model, obj)
                if type(values) is not tuple or len(values) != len(names):
                    raise verify.VerificationError(
                        f"{model} H({level}): not a tuple of {len(names)}: {values!r}"
                    )
                got.append(dict(zip(names, values, strict=True)))
            verify.check_records(truth, truth.by_level[level], got, f"{model} H({level})")

    # I and J rewrite the B rows, K deletes the A rows.
    objs = await peer.load(model, w.LEVEL_B)
    before = await verify.rows_at(conn, model, w.LEVEL_B)
    if [peer.pk(o) for o in objs] != [row["id"] for row in before]:
        raise verify.VerificationError(
            f"{model}: load() returned other rows than level {w.LEVEL_B}"
        )
    await _write(results, "I", lambda share: peer.update_whole(model, share), objs)
    await verify.check_updated(
        conn, model, "I", before, {"level": w.LEVEL_I, "text": lambda text: text + w.UPDATE_SUFFIX}
    )

    objs = await peer.load(model, w.LEVEL_I)
    before = await verify.rows_at(conn, model, w.LEVEL_I)
    await _write(results, "J", lambda share: peer.update_field(model, share), objs)
    await verify.check_updated(conn, model, "J", before, {"level": w.LEVEL_J})

    objs = await peer.load(model, w.LEVEL_A)
    pks = [peer.pk(o) for o in objs]  # before: deleting may clear an object's id
    total = await conn.fetchval(f"SELECT count(*) FROM {w.TABLES[model]}")
    await _write(results, "K", lambda share: peer.delete(model, share), objs)
    await verify.check_deleted(conn, model, pks, total - len(objs))
    return results.ops


async def run_peer(peer: Peer, url: str, models: Sequence[str], counts: w.Counts) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    await verify.init_connection(conn)
    await peer.start(url)
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    try:
        for model in models:
            reason = peer.unsupported(model)
            if reason:
                skipped[model] = reason
            else:
                results[model] = await run_model(peer, conn, model, counts)
    finally:
        await peer.stop()
        await conn.close()
    return {
        "peer": peer.name,
        "label": peer.label,
        "versions": versions(*peer.packages),
        "models": results,
        "skipped": skipped,
    }


def main(peer: Peer, argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m bench.peers.<module>``: run, then write JSON."""
    parser = argparse.ArgumentParser(description=f"Run the benchmark workload on {peer.label}.")
    parser.add_argument("--url", required=True, help="libpq URI of an empty database")
    parser.add_argument("--models", default=",".join(w.MODELS))
    parser.add_argument("--quick", action="store_true", help="the smaller workload")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--out", help="write the JSON here instead of stdout")
    parser.add_argument(
        "--baton", help="READ_FD,WRITE_FD: take turns with a partner (run.py --paired)"
    )
    args = parser.parse_args(argv)
    global BATON
    if args.baton:
        read_fd, write_fd = (int(fd) for fd in args.baton.split(","))
        BATON = Baton(read_fd, write_fd)
    counts = w.QUICK if args.quick else w.FULL
    if args.scale != 1.0:
        counts = counts.scaled(args.scale)
    models = [m for m in args.models.split(",") if m]
    coro = run_peer(peer, args.url, models, counts)
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(coro)
    else:
        result = asyncio.run(coro)
    if BATON is not None:
        BATON.done()
    result["loop"] = args.loop
    result["counts"] = counts.__dict__
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text + "\n")
