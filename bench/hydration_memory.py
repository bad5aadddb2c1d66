"""Peak memory of loading 100,000 rows: asyncpg Records against model instances.

    python bench/hydration_memory.py [--rows 100000] [--sides records,dicts,aksara]

Each side runs in a fresh process on the same seeded table (the simple model's
columns) and reports two numbers for one ``SELECT *`` of every row, kept alive:

- peak and retained Python heap (tracemalloc), which counts every object the
  load allocates, including the driver's Records that hydration passes through;
- how much the process's resident set grew, which also counts memory outside
  Python's allocator (a second run without tracemalloc, which would inflate it).

``records`` (asyncpg's ``fetch``) is the floor; ``dicts`` (a dict per row) is the
usual cost of a row as a plain Python object; ``aksara`` is ``Model.objects.all()``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import subprocess
import sys
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench import _server  # noqa: E402

TABLE = "bench_hydration"
DATABASE = "bench_hydration"
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


async def seed(url: str, rows: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            f"""
            CREATE TABLE {TABLE} (
                id integer PRIMARY KEY,
                "timestamp" timestamptz NOT NULL,
                level integer NOT NULL,
                text varchar(255) NOT NULL
            )
            """
        )
        await conn.copy_records_to_table(
            TABLE,
            records=[
                (i, EPOCH + timedelta(seconds=i), (i % 5 + 1) * 10, f"Seed row {i}")
                for i in range(1, rows + 1)
            ],
            columns=["id", "timestamp", "level", "text"],
        )
    finally:
        await conn.close()


# -- sides: each loads every row and returns what it loaded -----------------------------------


async def load_records(url: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(f"SELECT * FROM {TABLE}")
    finally:
        await conn.close()


async def load_dicts(url: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await conn.fetch(f"SELECT * FROM {TABLE}")]
    finally:
        await conn.close()


_models: dict[str, Any] = {}


def _aksara_model() -> Any:
    """The table as an aksara model (defined once per process, as an application imports it)."""
    if "Hydration" not in _models:
        from aksara import Model, fields

        class Hydration(Model):
            id = fields.Integer(primary_key=True)
            timestamp = fields.DateTime()
            level = fields.Integer()
            text = fields.String(max_length=255)

            class Meta:
                table_name = TABLE

        _models["Hydration"] = Hydration
    return _models["Hydration"]


async def load_aksara(url: str) -> Any:
    import aksara

    model = _aksara_model()
    await aksara.connect(url)
    try:
        return await model.objects.all()
    finally:
        await aksara.disconnect()


SIDES: dict[str, Callable[[str], Awaitable[Any]]] = {
    "records": load_records,
    "dicts": load_dicts,
    "aksara": load_aksara,
}


async def _warm_up(side: str, url: str) -> None:
    """Import, define and connect once, so the measurement sees the load and nothing else."""
    if side == "aksara":
        import aksara

        _aksara_model()
        await aksara.connect(url)
        await aksara.disconnect()
    conn = await asyncpg.connect(url)
    await conn.close()


def _rss() -> int:
    """The resident set size now (Linux), else the high-water mark."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(side: str, url: str, mode: str) -> dict[str, Any]:
    """In this process: load with one side and report memory (``mode``: tracemalloc or rss)."""

    async def run() -> dict[str, Any]:
        await _warm_up(side, url)
        gc.collect()
        if mode == "tracemalloc":
            tracemalloc.start()
            result = await SIDES[side](url)
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            return {"rows": len(result), "heap_peak": peak, "heap_retained": current}
        before = _rss()
        result = await SIDES[side](url)
        gc.collect()
        return {"rows": len(result), "rss_growth": _rss() - before}

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sides", default=",".join(SIDES))
    parser.add_argument(
        "--measure", nargs=3, metavar=("SIDE", "URL", "MODE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.measure:
        side, url, mode = args.measure
        print(json.dumps(measure(side, url, mode)))
        return 0

    sides = [s for s in args.sides.split(",") if s]
    server = _server.start_server()
    results: dict[str, dict[str, Any]] = {}
    try:
        url = asyncio.run(_server.fresh_database(server.get_uri(), DATABASE))
        asyncio.run(seed(url, args.rows))
        for side in sides:
            cell: dict[str, Any] = {}
            for mode in ("tracemalloc", "rss"):
                proc = subprocess.run(
                    [sys.executable, __file__, "--measure", side, url, mode],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                if proc.returncode != 0:
                    cell["error"] = (
                        proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"
                    )
                    break
                cell.update(json.loads(proc.stdout.strip().splitlines()[-1]))
            results[side] = cell
        asyncio.run(_server.drop_database(server.get_uri(), DATABASE))
    finally:
        server.cleanup()

    mib = 1024 * 1024
    base = results.get("records", {})
    print(f"## Hydration memory: {args.rows:,} rows, one SELECT, result kept\n")
    print(
        "| side | rows | peak heap (MiB) | retained heap (MiB) | bytes/row retained | RSS growth (MiB) | peak vs Records |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for side, cell in results.items():
        if "error" in cell:
            print(f"| {side} | — | — | — | — | — | {cell['error']} |")
            continue
        ratio = cell["heap_peak"] / base["heap_peak"] if base.get("heap_peak") else float("nan")
        print(
            f"| {side} | {cell['rows']:,} | {cell['heap_peak'] / mib:,.1f} | {cell['heap_retained'] / mib:,.1f} "
            f"| {cell['heap_retained'] / cell['rows']:,.0f} | {cell['rss_growth'] / mib:,.1f} | {ratio:.2f}× |"
        )
    return 1 if any("error" in c for c in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
