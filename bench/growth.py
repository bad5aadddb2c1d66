"""How cost grows: aksara and raw asyncpg per row as a result grows, and per object as
``prefetch_related`` goes deeper.

    python bench/growth.py [--sizes 20,2000,200000] [--roots 200,10000] [--models simple,related]
                           [--repeat 3] [--pause-gc]

One embedded PostgreSQL (``bench/_server.py``), one database, one seed loaded with COPY and
read by both sides, one query at a time:

```
filter large (D)   every row of one level as instances, at each of --sizes rows; the related
                   model with its parent (select_related), both through the peers of
                   bench/run.py (bench/peers/aksara_peer.py, bench/peers/asyncpg_raw.py)
prefetch           each of --roots rows of the related model, then their children 1, 2 and
                   3 levels deep: prefetch_related("children"), ("children__children"), ...;
                   raw asyncpg runs one ``parent_id = ANY($1)`` query per level and hangs
                   each row's dict on its parent's ``children`` list
```

Each measurement is the best of ``--repeat`` repetitions; a repetition of a small result
runs its query enough times to read about ``INNER_ROWS`` rows. Cost per row should stay
flat as the row count grows; the tables show whether it does. ``--pause-gc`` pauses
Python's cyclic garbage collector while timing, which tells the collector's share of any
growth (its full collections walk every object still alive, so they cost more the more
instances a result holds) from the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench import _server  # noqa: E402
from bench import workload as w  # noqa: E402

SIZES = (20, 2_000, 200_000)
ROOTS = (200, 10_000)
DEPTHS = (0, 1, 2, 3)
MODELS = ("simple", "related")
#: A repetition of a small result repeats its query until it has read about this many rows.
INNER_ROWS = 50_000
DATA_DIR = _server.DEFAULT_DATA_DIR.with_name("aksara-bench-growth-pg")


# -- the seed ---------------------------------------------------------------------------------


def layout(sizes: Sequence[int]) -> list[tuple[int, int, int]]:
    """``(level, first id, rows)`` per size: level 1 holds the first size's rows, level 2 the
    next size's, and so on, ids counting up from 1 without gaps."""
    out, first = [], 1
    for level, size in enumerate(sizes, start=1):
        out.append((level, first, size))
        first += size
    return out


def seed_rows(model: str, sizes: Sequence[int]) -> Iterator[tuple[Any, ...]]:
    """Rows in ``workload.columns(model)`` order; the related model's parents form the
    workload's binary tree (row i's parent is i // 2), so row i's children are 2i and 2i + 1."""
    for level, first, count in layout(sizes):
        for i in range(first, first + count):
            row = (i, w.SEED_EPOCH + timedelta(seconds=i), level, f"Seed {model} row {i}")
            yield (*row, w.seed_parent(i)) if model == "related" else row


def generations(first: int, count: int, depth: int) -> list[range]:
    """The ids of rows ``first .. first + count - 1`` and of their descendants, a range per
    generation down to ``depth``."""
    return [range(first << d, (first + count) << d) for d in range(depth + 1)]


async def seed(conn: Any, models: Sequence[str], sizes: Sequence[int]) -> None:
    for model in models:
        table = w.TABLES[model]
        await conn.copy_records_to_table(
            table, records=seed_rows(model, sizes), columns=list(w.columns(model))
        )
        await conn.execute("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)", table, sum(sizes))
        await conn.execute(f"ANALYZE {table}")


# -- timing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timer:
    repeat: int
    pause_gc: bool = False

    async def best(self, run: Callable[[], Awaitable[Any]], loops: int = 1) -> tuple[float, Any]:
        """The shortest of ``repeat`` repetitions of ``loops`` runs, in seconds per run, and
        the last run's result."""
        best, result = float("inf"), None
        for _ in range(self.repeat):
            result = None  # the previous result's objects are not kept alive while timing
            gc.collect()
            if self.pause_gc:
                gc.disable()
            try:
                started = time.perf_counter()
                for _ in range(loops):
                    result = await run()
                best = min(best, (time.perf_counter() - started) / loops)
            finally:
                gc.enable()
        return best, result


def fingerprint(rows: Sequence[dict[str, Any]]) -> tuple[list[int], str]:
    """The sorted ids of canonical rows (``Peer.instance``) and a digest of their values and
    types, so one side's result need not stay alive while the other side is timed."""
    rows = sorted(rows, key=lambda r: r["id"])
    return [r["id"] for r in rows], hashlib.sha256(repr(rows).encode()).hexdigest()


# -- filter large -----------------------------------------------------------------------------


async def filter_large(
    peers: dict[str, Any], model: str, sizes: Sequence[int], timer: Timer
) -> list[tuple[int, float, float]]:
    """``(rows, aksara µs/row, asyncpg µs/row)`` per size; both sides' rows checked equal."""
    from bench.peers.base import Keep

    def reader(peer: Any, level: int) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            keep = Keep(limit=1)
            await peer.filter_large(model, [level], keep)
            return keep.kept[0][1]

        return run

    out = []
    for level, first, count in layout(sizes):
        seconds, prints = {}, {}
        for side, peer in peers.items():
            loops = max(1, INNER_ROWS // count)
            seconds[side], result = await timer.best(reader(peer, level), loops)
            prints[side] = fingerprint([peer.instance(model, "D", obj) for obj in result])
            del result
        if prints["aksara"][0] != list(range(first, first + count)):
            raise AssertionError(f"{model} D({count}): aksara read other rows")
        if prints["aksara"] != prints["asyncpg"]:
            raise AssertionError(f"{model} D({count}): aksara and asyncpg read different values")
        per_row = {side: seconds[side] / count * 1e6 for side in seconds}
        out.append((count, per_row["aksara"], per_row["asyncpg"]))
    return out


# -- prefetch ---------------------------------------------------------------------------------

_TABLE = w.TABLES["related"]
_ROOTS_SQL = f"SELECT * FROM {_TABLE} WHERE id >= $1 AND id < $2"
_CHILDREN_SQL = f"SELECT * FROM {_TABLE} WHERE parent_id = ANY($1::integer[])"


async def raw_tree(pool: Any, first: int, count: int, depth: int) -> list[dict[str, Any]]:
    """Rows ``first .. first + count - 1`` as dicts, each down to ``depth`` with a
    ``children`` list of its children's dicts: one query per generation."""
    async with pool.acquire() as conn:
        roots = [dict(r) for r in await conn.fetch(_ROOTS_SQL, first, first + count)]
        generation = roots
        for _ in range(depth):
            lists: dict[int, list[dict[str, Any]]] = {}
            for node in generation:
                node["children"] = lists[node["id"]] = []
            generation = [dict(r) for r in await conn.fetch(_CHILDREN_SQL, list(lists))]
            for node in generation:
                lists[node["parent_id"]].append(node)
    return roots


def tree_ids(roots: Sequence[Any], depth: int) -> list[list[int]]:
    """Sorted ids per generation of aksara instances or ``raw_tree`` dicts."""
    out, generation = [], list(roots)
    for d in range(depth + 1):
        out.append(sorted(o["id"] if isinstance(o, dict) else o.id for o in generation))
        if d < depth:
            generation = [
                c
                for o in generation
                for c in (o["children"] if isinstance(o, dict) else o.children)
            ]
    return out


async def prefetch(
    model: Any, pool: Any, roots: int, timer: Timer
) -> list[tuple[int, int, str, int, float, float]]:
    """``(roots, depth, lookup, objects, aksara µs/object, asyncpg µs/object)`` per depth."""
    first = roots  # ids roots .. 2 * roots - 1: every generation below is seeded
    out = []
    for depth in DEPTHS:
        lookup = "__".join(["children"] * depth)

        async def run_aksara(lookup: str = lookup) -> Any:
            qs = model.objects.filter(id__gte=first, id__lt=first + roots)
            return await (qs.prefetch_related(lookup) if lookup else qs)

        async def run_raw(depth: int = depth) -> Any:
            return await raw_tree(pool, first, roots, depth)

        expected = [list(ids) for ids in generations(first, roots, depth)]
        objects = sum(len(ids) for ids in expected)
        loops = max(1, INNER_ROWS // objects)
        mine, got = await timer.best(run_aksara, loops)
        if tree_ids(got, depth) != expected:
            raise AssertionError(f"prefetch {lookup or '(none)'}: aksara loaded other rows")
        del got
        theirs, got = await timer.best(run_raw, loops)
        if tree_ids(got, depth) != expected:
            raise AssertionError(f"prefetch {lookup or '(none)'}: asyncpg loaded other rows")
        del got
        out.append((roots, depth, lookup, objects, mine / objects * 1e6, theirs / objects * 1e6))
    return out


# -- the run ----------------------------------------------------------------------------------


def _ratio(mine: float, theirs: float) -> str:
    return f"{theirs / mine:.2f}×"


def tables(
    large: dict[str, list[tuple[int, float, float]]],
    deep: list[tuple[int, int, str, int, float, float]],
) -> str:
    lines = [
        "### filter large (D): every row of one level as instances",
        "",
        "µs per row; the ratio is asyncpg's time over aksara's (aksara's speed as a share of"
        " raw asyncpg's).",
        "",
        "| model | rows | aksara µs/row | asyncpg µs/row | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for model, rows in large.items():
        for count, mine, theirs in rows:
            lines.append(
                f"| {model} | {count:,} | {mine:.2f} | {theirs:.2f} | {_ratio(mine, theirs)} |"
            )
    if deep:
        lines += [
            "",
            "### prefetch_related across levels: related rows and their descendants",
            "",
            "µs per loaded object (the rows and every prefetched child); ratio as above.",
            "",
            "| rows | depth | prefetch_related | objects | aksara µs/object | asyncpg µs/object"
            " | ratio |",
            "|---:|---:|---|---:|---:|---:|---:|",
        ]
        for roots, depth, lookup, objects, mine, theirs in deep:
            name = f'`"{lookup}"`' if lookup else "(none)"
            lines.append(
                f"| {roots:,} | {depth} | {name} | {objects:,} | {mine:.2f} | {theirs:.2f} | "
                f"{_ratio(mine, theirs)} |"
            )
    return "\n".join(lines)


async def measure(url: str, args: argparse.Namespace) -> str:
    import asyncpg

    import aksara
    from bench import verify
    from bench.peers.aksara_peer import MODELS as AKSARA_MODELS
    from bench.peers.aksara_peer import AksaraPeer
    from bench.peers.asyncpg_raw import AsyncpgPeer

    timer = Timer(args.repeat, pause_gc=args.pause_gc)
    peers = {"aksara": AksaraPeer(), "asyncpg": AsyncpgPeer()}
    conn = await asyncpg.connect(url)
    await verify.init_connection(conn)
    for peer in peers.values():
        await peer.start(url)
    try:
        await aksara.create_all()
        started = time.perf_counter()
        await seed(conn, args.models, args.sizes)
        print(
            f"seeded {sum(args.sizes):,} rows per model in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
            flush=True,
        )
        large = {}
        for model in args.models:
            print(f"filter large, {model} ...", file=sys.stderr, flush=True)
            large[model] = await filter_large(peers, model, args.sizes, timer)
        deep = []
        for roots in args.roots if "related" in args.models else ():
            print(f"prefetch under {roots:,} rows ...", file=sys.stderr, flush=True)
            related = AKSARA_MODELS["related"]
            deep += await prefetch(related, peers["asyncpg"].pool, roots, timer)
    finally:
        for peer in peers.values():
            await peer.stop()
        await conn.close()
    return tables(large, deep)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="rows per filter-large result"
    )
    parser.add_argument(
        "--roots",
        default=",".join(map(str, ROOTS)),
        help="related rows under prefetch, one run each (empty: none)",
    )
    parser.add_argument("--models", default=",".join(MODELS), help="simple, related or both")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many repetitions")
    parser.add_argument(
        "--pause-gc", action="store_true", help="pause the cyclic garbage collector while timing"
    )
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    args.sizes = [int(n) for n in args.sizes.split(",") if n]
    args.roots = [int(n) for n in args.roots.split(",") if n]
    args.models = [m for m in args.models.split(",") if m]
    if any(m not in MODELS for m in args.models):
        parser.error(f"models are {list(MODELS)}")
    if any(16 * roots - 1 > sum(args.sizes) for roots in args.roots):
        parser.error("--roots: three generations below n rows need 16 x n rows seeded")

    server = _server.start_server(args.data_dir)
    started = time.perf_counter()
    try:
        url = asyncio.run(_server.fresh_database(server.get_uri(), "bench_growth"))
        if args.loop == "uvloop":
            import uvloop

            text = uvloop.run(measure(url, args))
        else:
            text = asyncio.run(measure(url, args))
        asyncio.run(_server.drop_database(server.get_uri(), "bench_growth"))
    finally:
        server.cleanup()
    gc_text = ", garbage collector paused while timing" if args.pause_gc else ""
    print(
        f"## How cost grows (one query at a time, {args.loop}, best of {args.repeat}{gc_text}; "
        f"{time.perf_counter() - started:.0f}s)\n"
    )
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
