"""Client CPU per operation: what aksara itself costs, without the server's time or the
machine's noise.

Throughput on a shared machine moves by 20–40% between runs; the CPU time of the client
process (``time.process_time()``) moves by a few percent, so this is the measure for "did
this change make aksara slower". Each operation runs a batch sequentially on one
connection, five times; the best batch counts. With ``--baseline DIR`` (another checkout,
e.g. ``git worktree add /tmp/base <commit>``) both trees run in alternating fresh processes
and the table shows the change.

    python bench/client_cpu.py                        # this tree
    python bench/client_cpu.py --baseline /tmp/base --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


async def measure(tag: str) -> dict[str, float]:
    """Run every operation in this process (whose aksara is on sys.path); CPU ms per batch."""
    import aksara
    from bench import _server
    from bench.peers import aksara_peer as peer

    server = _server.start_server()
    name = f"client_cpu_{tag}"
    url = await _server.fresh_database(server.get_uri(), name)
    await aksara.connect(url, pool_size=2, max_overflow=0)
    try:
        return await _operations(peer.MODELS)
    finally:
        await aksara.disconnect()
        await _server.drop_database(server.get_uri(), name)


async def _operations(models: dict[str, Any]) -> dict[str, float]:
    import aksara

    await aksara.create_all()
    related, simple, wide = models["related"], models["simple"], models["wide"]
    parents = [await related.objects.create(level=i % 10, text=f"p{i}") for i in range(200)]
    await related.objects.bulk_create(
        [related(level=i % 10, text=f"k{i}", parent=parents[i % 200]) for i in range(2000)]
    )
    await simple.objects.bulk_create([simple(level=i % 10, text=f"s{i}") for i in range(2000)])
    await wide.objects.bulk_create([wide(level=i % 10, text=f"w{i}") for i in range(500)])
    related_ids = [o.id for o in await related.objects.all()[:300]]
    simple_ids = [o.id for o in await simple.objects.all()[:300]]
    wide_ids = [o.id for o in await wide.objects.all()[:300]]

    async def get_related() -> None:
        qs = related.objects.select_related("parent").prefetch_related("tags", "children")
        for pk in related_ids:
            await qs.get(id=pk)

    async def page_related() -> None:
        for i in range(200):
            qs = related.objects.filter(level=i % 10).order_by("id")
            await qs.select_related("parent").prefetch_related("tags")[i : i + 20]

    async def filter_related() -> None:
        for i in range(20):
            await related.objects.filter(level=i % 10).select_related("parent")

    async def filter_large_related() -> None:
        for _ in range(3):
            await related.objects.filter(level__gte=0).select_related("parent")

    async def filter_large_simple() -> None:
        for _ in range(3):
            await simple.objects.filter(level__gte=0)

    async def get_simple() -> None:
        for pk in simple_ids:
            await simple.objects.get(id=pk)

    async def get_wide() -> None:
        for pk in wide_ids:
            await wide.objects.get(id=pk)

    async def create_simple() -> None:
        for _ in range(300):
            await simple.objects.create(level=1, text="x")

    async def update_field() -> None:
        objs = (await simple.objects.filter(level=3).order_by("id"))[:200]
        async with aksara.transaction():
            for obj in objs:
                obj.level = 3
                await obj.save(update_fields=["level"])

    wide_loaded = await wide.objects.filter(id__in=wide_ids[:200])
    simple_loaded = await simple.objects.filter(id__in=simple_ids[:200])

    async def save_wide() -> None:
        async with aksara.transaction():
            for obj in wide_loaded:
                obj.level = (obj.level + 1) % 10
                obj.text = "a" if obj.text != "a" else "b"
                await obj.save()

    async def create_wide() -> None:
        for _ in range(100):
            await wide.objects.create(level=1, text="x")

    async def delete_simple() -> None:
        try:
            async with aksara.transaction():  # undone, so that every batch deletes rows
                for obj in simple_loaded:
                    await obj.delete()
                raise _Undo
        except _Undo:
            pass

    async def filter_wide() -> None:
        for i in range(10):
            await wide.objects.filter(level=i % 10)

    async def dicts_simple() -> None:
        for i in range(10):
            await simple.objects.filter(level=i % 10).values("id", "level", "text")

    operations = {
        "get (related, select+prefetch) x300": get_related,
        "page of 20 (related) x200": page_related,
        "filter 200 rows (related, select) x20": filter_related,
        "filter 2,200 rows (related, select) x3": filter_large_related,
        "filter 2,000 rows (simple) x3": filter_large_simple,
        "get (simple) x300": get_simple,
        "get (wide) x300": get_wide,
        "create (simple) x300": create_simple,
        "save(update_fields) x200": update_field,
        "save() two fields (wide) x200": save_wide,
        "create (wide) x100": create_wide,
        "delete (simple) x200": delete_simple,
        "filter 50 rows (wide) x10": filter_wide,
        "values() 200 rows x10": dicts_simple,
    }
    results: dict[str, float] = {}
    for label, operation in operations.items():
        await operation()  # warm the plan caches
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            await operation()
            best = min(best, time.process_time() - start)
        results[label] = best * 1000
    return results


class _Undo(Exception):
    """Raised to roll a measured batch back."""


def _run_tree(tree: Path, tag: str) -> dict[str, float]:
    """``measure()`` in a fresh process whose ``aksara`` is ``tree``'s (this tree's bench code
    and peer models, so both trees run the same operations)."""
    code = (
        "import asyncio, json\n"
        "from bench import client_cpu\n"
        f"print(json.dumps(asyncio.run(client_cpu.measure({tag!r}))))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree / "src"), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="fresh processes per tree")
    args = parser.parse_args()
    trees = {"this tree": ROOT} | ({"baseline": args.baseline} if args.baseline else {})
    best: dict[str, dict[str, float]] = {}
    for round_ in range(args.rounds):
        for label, tree in trees.items() if round_ % 2 == 0 else reversed(trees.items()):
            results = _run_tree(tree, label.replace(" ", "_"))
            into = best.setdefault(label, {})
            for op, ms in results.items():
                into[op] = min(into.get(op, float("inf")), ms)
    print("## aksara client CPU per batch (ms, best of 5 batches x", args.rounds, "processes)\n")
    header = "| operation | " + " | ".join(best) + (" | change |" if args.baseline else " |")
    print(header)
    print("|---|" + "---:|" * (len(best) + (1 if args.baseline else 0)))
    for op in best["this tree"]:
        cells = [f"{best[label][op]:.1f}" for label in best]
        if args.baseline:
            change = best["this tree"][op] / best["baseline"][op] - 1
            cells.append(f"{change:+.0%}")
        print(f"| {op} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
