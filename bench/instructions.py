"""Client instructions per operation, counted by callgrind: aksara against raw asyncpg.

In ``bench/run.py`` one Python process per peer drives ten workers, so the client process
is what limits nearly every operation, and its throughput ratio is close to the ratio of
the client's work per operation. Throughput on a shared machine swings by 10–30% between
runs; the number of instructions the client executes (CPython, uvloop, asyncpg, the peer)
does not. Each peer runs A–K of the workload in one process under ``valgrind
--tool=callgrind``, one worker, on the same database server (which runs outside valgrind);
a marker call around each operation's measured part (``os.getloadavg()``, which nothing
else calls) makes callgrind close a count there, so one run gives every operation.

    python bench/instructions.py                          # simple, wide, related
    python bench/instructions.py --models wide --items 40 --json out.json
    python bench/instructions.py --baseline /tmp/base     # and aksara of another checkout

With ``--keep DIR`` callgrind's files stay in ``DIR``, to be read by function with
``callgrind_annotate``: ``<peer>.<model>.out.2`` holds A's measured part, ``.out.4`` B's, and
so on in order (K's in ``.out.22``).

With ``--baseline DIR`` (e.g. ``git worktree add /tmp/base <commit>``) aksara also runs from
``DIR/src`` with this tree's bench code, and the last column is this tree's count over the
baseline's: a change's cost or saving per operation, to the percent.

The table gives thousands of instructions per row written (A, B, C, I, J, K) or per query
(D–H), and raw asyncpg's count over aksara's: the throughput ratio the client alone would
allow. It needs valgrind (Debian's package) and takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench import _server  # noqa: E402
from bench import workload as w  # noqa: E402

#: The C function of ``os.getloadavg()``: callgrind dumps its counts before each call.
MARK = "os_getloadavg"
PEERS = {
    "asyncpg": "asyncpg_raw",
    "aksara": "aksara_peer",
    "sqlalchemy_core": "sqlalchemy_core",
    "sqlalchemy_orm": "sqlalchemy_orm",
}
#: Rows per bulk insert (C), as one worker's share of a round in ``bench/run.py``.
BULK_ROWS = 333


def _counts(items: int) -> w.Counts:
    return w.Counts(
        seed=10_000,  # D, G and H read 2,000 rows per query, as in bench/run.py
        insert_single=2 * items,
        insert_batch=2 * items,
        insert_bulk=4 * BULK_ROWS,
        filter_large=4,
        filter_small=2 * items,
        get=2 * items,
        filter_dicts=4,
        filter_tuples=4,
    )


def _peer(name: str) -> Any:
    from bench.peers.base import Peer

    module = importlib.import_module(f"bench.peers.{PEERS[name]}")
    (cls,) = (
        c
        for c in vars(module).values()
        if inspect.isclass(c) and issubclass(c, Peer) and c.__module__ == module.__name__
    )
    return cls()


async def _child(peer_name: str, model: str, url: str, items: int) -> list[tuple[str, int]]:
    """Run A–K; around each operation's measured part, a mark. ``(op, units)`` in order."""
    import asyncpg

    from bench import verify
    from bench.peers.base import Keep

    peer = _peer(peer_name)
    counts = _counts(items)
    p = w.plan(model, counts)
    conn = await asyncpg.connect(url)
    await verify.init_connection(conn)
    await peer.start(url)
    await peer.create_schema(model)
    await verify.seed(conn, model, counts.seed)
    done: list[tuple[str, int]] = []

    async def measure(
        op: str, run: Callable[[list[Any]], Awaitable[Any]], every: list[Any]
    ) -> None:
        half = len(every) // 2
        await run(every[:half])  # warm: statements prepared, plans and functions made
        # A full collection walks every object of the process, tens of millions of
        # instructions at a time decided by the allocations since the start: the objects
        # made so far are left out of the collections to come, which stay in proportion.
        gc.collect()
        gc.freeze()
        os.getloadavg()
        await run(every[half:])
        os.getloadavg()
        done.append((op, len(every) - half))

    def reads(method: Any, single: bool = False) -> Callable[[list[Any]], Awaitable[Any]]:
        return lambda share: method(model, share, Keep(single=single, limit=1))

    await measure("A", lambda share: peer.insert_single(model, share), p.insert_single)
    await measure("B", lambda share: peer.insert_batch(model, share), p.insert_batch)

    async def bulk_calls(share: list[Any]) -> None:
        for start in range(0, len(share), BULK_ROWS):
            await peer.insert_bulk(model, share[start : start + BULK_ROWS])

    await measure("C", bulk_calls, p.insert_bulk)
    await peer.inserts_done(model)
    await measure("D", reads(peer.filter_large), p.filter_large)
    await measure("E", reads(peer.filter_small), p.filter_small)
    await measure("F", reads(peer.get, single=True), p.get)
    await measure("G", reads(peer.filter_dicts), p.filter_dicts)
    await measure("H", reads(peer.filter_tuples), p.filter_tuples)
    objs = await peer.load(model, w.LEVEL_B)
    await measure("I", lambda share: peer.update_whole(model, share), objs)
    objs = await peer.load(model, w.LEVEL_I)
    await measure("J", lambda share: peer.update_field(model, share), objs)
    objs = await peer.load(model, w.LEVEL_A)
    await measure("K", lambda share: peer.delete(model, share), objs)
    await peer.stop()
    await conn.close()
    return done


def _summary(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"{path}: no instruction count")


def _run_peer(
    label: str, model: str, url: str, items: int, workdir: Path, src: Path | None
) -> dict[str, float]:
    """Instructions per unit of each operation of peer ``label`` on ``model`` (aksara from
    ``src`` when given)."""
    peer = label.partition("@")[0]
    out = workdir / f"{label}.{model}.out"
    marks = workdir / f"{label}.{model}.json"
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--dump-before={MARK}*",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        json.dumps([peer, model, url, items, str(marks)]),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), str(ROOT)])
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode:
        raise RuntimeError(f"{peer} on {model} failed:\n{proc.stderr[-3000:]}")
    done = json.loads(marks.read_text(encoding="utf-8"))
    # Dump k is everything up to the k-th mark: the measured parts are dumps 2, 4, 6, ...
    counts: dict[str, float] = {}
    for i, (op, units) in enumerate(done):
        counts[op] = _summary(Path(f"{out}.{2 * i + 2}")) / units
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(w.MODELS))
    parser.add_argument("--peers", default="asyncpg,aksara")
    parser.add_argument("--items", type=int, default=20, help="rows or queries measured per op")
    parser.add_argument("--json", type=Path, help="also write the counts here")
    parser.add_argument("--baseline", type=Path, help="another checkout's aksara, compared")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep callgrind's files in this directory (for callgrind_annotate)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        peer, model, url, items, marks = json.loads(args.child)
        import uvloop

        done = uvloop.run(_child(peer, model, url, items))
        Path(marks).write_text(json.dumps(done), encoding="utf-8")
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("bench/instructions.py needs valgrind (apt-get install valgrind)")
    peers = [p for p in args.peers.split(",") if p]
    if unknown := [p for p in peers if p not in PEERS]:
        parser.error(f"unknown peers: {', '.join(unknown)} (known: {', '.join(PEERS)})")
    sources: dict[str, Path | None] = dict.fromkeys(peers)
    if args.baseline is not None:
        peers.append("aksara@baseline")
        sources["aksara@baseline"] = args.baseline.resolve() / "src"
    models = [m for m in args.models.split(",") if m]
    server = _server.start_server()
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        tmp = scratch
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = str(args.keep)
        for model in models:
            names = {peer: f"instr_{i}" for i, peer in enumerate(peers)}
            urls = {
                peer: asyncio.run(_server.fresh_database(server.get_uri(), name))
                for peer, name in names.items()
            }
            # The peers' processes run side by side: counts do not depend on timing.
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = {
                    peer: pool.submit(
                        _run_peer, peer, model, urls[peer], args.items, Path(tmp), sources[peer]
                    )
                    for peer in peers
                }
                results[model] = {peer: f.result() for peer, f in futures.items()}
            for name in names.values():
                asyncio.run(_server.drop_database(server.get_uri(), name))
    _print(results, peers)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


def _print(results: dict[str, dict[str, dict[str, float]]], peers: list[str]) -> None:
    base, *others = (p for p in peers if p != "aksara@baseline")
    compared = "aksara@baseline" in peers
    print("## Client instructions per row written or query (thousands), callgrind\n")
    for model, by_peer in results.items():
        print(f"### {model}\n")
        heads = [*peers, *(f"{base} / {o}" for o in others)]
        if compared:
            heads.append("aksara vs baseline")
        print(f"| operation | {' | '.join(heads)} |")
        print("|---|" + "---:|" * len(heads))
        for op in w.OPS:
            cells = [f"{by_peer[p][op] / 1000:,.0f}" for p in peers]
            cells += [f"{by_peer[base][op] / by_peer[o][op]:.2f}×" for o in others]
            if compared:
                change = by_peer["aksara"][op] / by_peer["aksara@baseline"][op] - 1
                cells.append(f"{change:+.1%}")
            print(f"| {op} {w.OP_NAMES[op]} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    sys.exit(main())
