"""Cold start: what ``import aksara`` costs, and the first query of each shape against later ones.

    python bench/cold_start.py [--runs 5]

Each measurement runs in a fresh process (``--runs`` of them; medians reported):

- ``import``: ``import aksara`` from nothing, next to ``import sqlalchemy`` and
  ``import asyncpg`` (which it includes);
- ``first query``: per query shape, the first call in the process (which builds and
  caches the statement, and makes PostgreSQL prepare it) against the median of the next
  20 calls, on one pooled connection that has already run ``SELECT 1``. Raw asyncpg's
  first and later ``fetch`` of the same SQL are the floor: preparing a statement costs
  the server a round trip of its own on any client. Raw asyncpg's first statement with an
  array parameter also runs asyncpg's type introspection query first, which aksara's
  connections do without (``aksara.db.builtin_types``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

DATABASE = "bench_cold_start"
WARM_CALLS = 20


def import_seconds(module: str) -> float:
    """``import module`` in a fresh interpreter, timed inside it."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def first_and_warm(url: str) -> dict[str, tuple[float, float]]:
    """Per shape: (first call, median of the next calls), in seconds. Runs in a fresh process."""
    import asyncpg

    import aksara
    from aksara import Model, fields

    class Article(Model):
        id = fields.Integer(primary_key=True)
        title = fields.String(max_length=200, db_index=True)
        views = fields.Integer(default=0)
        author = fields.ForeignKey("Writer", nullable=True, related_name="articles")

        class Meta:
            table_name = "cold_article"

    class Writer(Model):
        id = fields.Integer(primary_key=True)
        name = fields.String(max_length=100)

        class Meta:
            table_name = "cold_writer"

    await aksara.connect(url, pool_size=1, max_overflow=0)
    raw = await asyncpg.connect(url)
    try:
        database = aksara.get_database()
        await database.execute("DROP TABLE IF EXISTS cold_article, cold_writer")
        await aksara.create_all()
        await database.execute(
            "INSERT INTO cold_writer (id, name) SELECT n, 'w' || n FROM generate_series(1, 50) n"
        )
        await database.execute(
            "INSERT INTO cold_article (id, title, views, author_id) "
            "SELECT n, 'a' || n, n, 1 + n % 50 FROM generate_series(1, 500) n"
        )
        await database.execute("SELECT setval('cold_article_id_seq', 500)")
        await database.fetchval("SELECT 1")  # the pooled connection exists
        counter = iter(range(10**9))
        made: list[Any] = []

        async def create() -> None:
            made.append(await Article.objects.create(title=f"new {next(counter)}"))

        async def save() -> None:  # after create(): an instance that is in the database
            made[0].views = next(counter)
            await made[0].save(update_fields=["views"])

        shapes: dict[str, Callable[[], Awaitable[Any]]] = {
            "raw asyncpg fetch (the floor)": lambda: raw.fetch(
                "SELECT * FROM cold_article WHERE title = $1", "a7"
            ),
            "raw asyncpg fetch, an array parameter": lambda: raw.fetch(
                "SELECT * FROM cold_article WHERE id = ANY($1::int[])", [7, 8]
            ),
            "get(pk=)": lambda: Article.objects.get(pk=7),
            "filter().order_by()[:20]": lambda: Article.objects.filter(views__gte=10).order_by(
                "-views"
            )[:20],
            "values_list()": lambda: Article.objects.filter(views__lt=50).values_list(
                "id", "title"
            ),
            "select_related()": lambda: Article.objects.select_related("author").filter(
                views__lt=50
            ),
            "prefetch_related()": lambda: Writer.objects.prefetch_related("articles").filter(
                id__lt=5
            ),
            "count()": lambda: Article.objects.filter(title__startswith="a1").count(),
            "create()": create,
            "save(update_fields=)": save,
        }
        results: dict[str, tuple[float, float]] = {}
        for name, call in shapes.items():
            first = await _timed(call)
            warm = [await _timed(call) for _ in range(WARM_CALLS)]
            results[name] = (first, statistics.median(warm))
        return results
    finally:
        await raw.close()
        await aksara.disconnect()


def _child(url: str) -> None:
    import uvloop

    print(json.dumps(uvloop.run(first_and_warm(url))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per measurement")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    from bench import _server

    print("| import (fresh process, median) | seconds |\n|---|---:|")
    for module in ("asyncpg", "sqlalchemy", "aksara"):
        median = statistics.median(import_seconds(module) for _ in range(args.runs))
        print(f"| `import {module}` | {median:.3f} |")

    server = _server.start_server()
    url = asyncio.run(_server.fresh_database(server.get_uri(), DATABASE))
    runs: list[dict[str, list[float]]] = []
    try:
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, "--child", url],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        asyncio.run(_server.drop_database(server.get_uri(), DATABASE))
    print("\n| query shape | first call (ms) | later calls (ms) | first / later |")
    print("|---|---:|---:|---:|")
    for name in runs[0]:
        first = statistics.median(run[name][0] for run in runs) * 1000
        warm = statistics.median(run[name][1] for run in runs) * 1000
        print(f"| {name} | {first:.2f} | {warm:.2f} | {first / warm:.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
