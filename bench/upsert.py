"""Bulk upsert: aksara's ``bulk_create(on_conflict="update")`` against raw asyncpg.

    python bench/upsert.py [--rows 10000] [--repeat 10]

A table of products holds ``--rows / 2`` rows; each round upserts ``--rows`` products by
their unique ``sku``, half of them existing (their name and price are updated) and half
new. Before every timed run the table is put back as it was (untimed). The sides take
turns, best of ``--repeat`` rounds each, and every side starts from the same Python data
(a list of ``(sku, name, price, stock)`` tuples):

- **asyncpg unnest**: the very statement aksara sends (``INSERT ... SELECT * FROM
  unnest($1::text[], ...) ON CONFLICT (sku) DO UPDATE SET ... RETURNING id, sku,
  (xmax = 0)``), prepared, its arrays built from the tuples: the practical limit;
- **asyncpg executemany**: ``INSERT ... VALUES ($1, ...) ON CONFLICT ... DO UPDATE``
  once per row through ``executemany`` (no keys come back);
- **aksara**: ``Product(...)`` instances, validated, then ``bulk_create(products,
  on_conflict="update", unique_fields=["sku"], update_fields=["name", "price"])``, which
  sets each instance's primary key.
"""

from __future__ import annotations

import argparse
import asyncio
import decimal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

import aksara  # noqa: E402
from aksara import Model, fields  # noqa: E402
from aksara.query.upsert import upsert_plan  # noqa: E402
from bench import _server  # noqa: E402

DATABASE = "bench_upsert"


class UpsProduct(Model):
    id = fields.Integer(primary_key=True)
    sku = fields.String(max_length=20, unique=True)
    name = fields.String(max_length=100)
    price = fields.Decimal(precision=10, scale=2)
    stock = fields.Integer(default=0)


def data(rows: int) -> list[tuple[str, str, decimal.Decimal, int]]:
    """``rows`` products: every second sku exists already (see ``reset``)."""
    return [
        (f"sku{i:06}", f"product {i}", decimal.Decimal(i % 1000) / 4, i % 50) for i in range(rows)
    ]


async def reset(conn: asyncpg.Connection, rows: int) -> None:
    await conn.execute("TRUNCATE ups_product RESTART IDENTITY")
    await conn.execute(
        "INSERT INTO ups_product (sku, name, price, stock) SELECT 'sku' || lpad(g::text, 6, '0'),"
        " 'old', 1, 0 FROM generate_series(0, $1 - 1, 2) g",
        rows,
    )


async def main(rows: int, repeat: int) -> None:
    server = _server.start_server()
    url = await _server.fresh_database(server.get_uri(), DATABASE)
    await aksara.connect(url)
    await aksara.create_all()
    conn = await asyncpg.connect(url)
    items = data(rows)
    plan = upsert_plan(UpsProduct, True, ("sku",), ("name", "price"), None, ("id", "sku"))
    unnest = await conn.prepare(plan.sql)
    many_sql = (
        "INSERT INTO ups_product (sku, name, price, stock) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (sku) DO UPDATE SET name = excluded.name, price = excluded.price"
    )

    async def raw_unnest() -> int:
        columns = [list(c) for c in zip(*items, strict=True)]
        records = await unnest.fetch(*columns)
        ids = [r[0] for r in records]
        return len(ids)

    async def raw_executemany() -> int:
        await conn.executemany(many_sql, items)
        return len(items)

    async def run_aksara() -> int:
        products = [UpsProduct(sku=s, name=n, price=p, stock=k) for s, n, p, k in items]
        await UpsProduct.objects.bulk_create(
            products, on_conflict="update", unique_fields=["sku"], update_fields=["name", "price"]
        )
        assert all(p.id is not None for p in products)
        return len(products)

    sides = {
        "asyncpg unnest": raw_unnest,
        "asyncpg executemany": raw_executemany,
        "aksara": run_aksara,
    }
    best = dict.fromkeys(sides, float("inf"))
    try:
        for round_ in range(repeat + 1):  # the first round warms up, untimed
            for name, run in sides.items():
                await reset(conn, rows)
                start = time.perf_counter()
                assert await run() == rows
                if round_:
                    best[name] = min(best[name], time.perf_counter() - start)
        limit = best["asyncpg unnest"]
        print(f"{rows:,} products upserted, half existing; best of {repeat}, rows/s")
        print("| side | rows/s | vs asyncpg unnest |\n|---|---:|---:|")
        for name, seconds in best.items():
            print(f"| {name} | {rows / seconds:,.0f} | {limit / seconds:.2f}× |")
    finally:
        await conn.close()
        await aksara.disconnect()
        await _server.drop_database(server.get_uri(), DATABASE)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    asyncio.run(main(options.rows, options.repeat))
