"""Reporting queries: aksara against raw asyncpg running the same SQL, and SQLAlchemy Core.

    python bench/reporting.py [--rows 100000] [--repeat 30]

On ``rep_sale`` (``--rows`` sales of 1,000 customers in 20 regions) it times, one query at
a time, best of ``--repeat`` rounds in which the sides take turns, after a warm-up:

- **group by**: ``values("region").annotate(n=Count("id"), total=Sum("amount"))``, 20 rows;
- **annotate**: ``Customer.objects.annotate(n=Count("sales"), total=Sum("sales__amount"))``,
  one LEFT JOIN of the sales grouped by customer (both aggregates read one relation),
  1,000 instances;
- **aggregate filter**: ``aggregate(big=Count("id", filter=Q(amount__gt=500)), total=Sum(...))``;
- **latest per group**: the latest sale of each customer, ``Window(RowNumber(), ...)``
  filtered ``place=1`` around the window, 1,000 rows;
- **subquery**: each customer's latest amount, ``Subquery(... OuterRef("pk") ...[:1])``;
- **union**: the sales of one region ``union()`` the largest sales, as values.

Raw asyncpg runs the very SQL aksara sends (``QuerySet.sql()``) on a prepared statement and
builds its dicts with one literal comprehension: the practical limit. SQLAlchemy Core runs
the same query built with its own constructs on its async engine. Tortoise ORM runs the
queries it can express (``bench/peers/tortoise_reporting.py``: no windows, correlated
subqueries or unions); ``--no-tortoise`` leaves it out.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

import aksara  # noqa: E402
from aksara import Count, Model, Q, Sum, fields  # noqa: E402
from aksara.query import OuterRef, Subquery  # noqa: E402
from aksara.query._select import aggregate_plan  # noqa: E402
from aksara.query.functions import RowNumber, Window  # noqa: E402
from bench import _server  # noqa: E402
from bench.peers.asyncpg_raw import unpacker  # noqa: E402

DATABASE = "bench_reporting"
CUSTOMERS = 1_000
REGIONS = 20


class RepCustomer(Model):
    id = fields.Integer(primary_key=True)
    name = fields.String(max_length=50)


class RepSale(Model):
    id = fields.Integer(primary_key=True)
    customer = fields.ForeignKey(RepCustomer, on_delete=aksara.CASCADE, related_name="sales")
    region = fields.String(max_length=20, db_index=True)
    amount = fields.Integer()


def queries() -> dict[str, Callable[[], Any]]:
    """Each benchmark's aksara queryset (or coroutine factory)."""
    return {
        "group by": lambda: RepSale.objects.values("region").annotate(
            n=Count("id"), total=Sum("amount")
        ),
        "annotate": lambda: RepCustomer.objects.annotate(
            n=Count("sales"), total=Sum("sales__amount")
        ).order_by("id"),
        "aggregate filter": lambda: RepSale.objects.filter(region__lt="r10"),
        "latest per group": lambda: (
            RepSale.objects.annotate(
                place=Window(RowNumber(), partition_by="customer", order_by="-id")
            )
            .filter(place=1)
            .values("customer", "id", "amount")
        ),
        "subquery": lambda: RepCustomer.objects.annotate(
            last=Subquery(
                RepSale.objects.filter(customer=OuterRef("pk")).order_by("-id").values("amount")[:1]
            )
        ).order_by("id"),
        "union": lambda: (
            RepSale.objects.filter(region="r01")
            .values("id", "amount")
            .union(RepSale.objects.filter(amount__gt=990).values("id", "amount"))
        ),
    }


def core_queries() -> dict[str, Any]:
    """The same queries in SQLAlchemy Core."""
    sale = RepSale._meta.table
    customer = RepCustomer._meta.table
    assert sale is not None and customer is not None
    inner = sale.alias()
    joined = customer.outerjoin(inner, inner.c.customer_id == customer.c.id)
    place = sa.func.row_number().over(partition_by=sale.c.customer_id, order_by=sale.c.id.desc())
    ranked = sa.select(sale, place.label("place")).subquery()
    last = (
        sa.select(inner.c.amount)
        .where(inner.c.customer_id == customer.c.id)
        .order_by(inner.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return {
        "group by": sa.select(
            sale.c.region,
            sa.func.count(sale.c.id).label("n"),
            sa.func.sum(sale.c.amount).label("total"),
        ).group_by(sale.c.region),
        "annotate": sa.select(
            customer,
            sa.func.count(inner.c.id).label("n"),
            sa.func.sum(inner.c.amount).label("total"),
        )
        .select_from(joined)
        .group_by(customer.c.id)
        .order_by(customer.c.id),
        "aggregate filter": sa.select(
            sa.func.count(sale.c.id).filter(sale.c.amount > 500).label("big"),
            sa.func.sum(sale.c.amount).label("total"),
        ).where(sale.c.region < "r10"),
        "latest per group": sa.select(ranked.c.customer_id, ranked.c.id, ranked.c.amount).where(
            ranked.c.place == 1
        ),
        "subquery": sa.select(customer, last.label("last")).order_by(customer.c.id),
        "union": sa.union(
            sa.select(sale.c.id, sale.c.amount).where(sale.c.region == "r01"),
            sa.select(sale.c.id, sale.c.amount).where(sale.c.amount > 990),
        ),
    }


async def fill(url: str, rows: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO rep_customer (id, name) SELECT g, 'c' || g FROM generate_series(1, $1) g",
            CUSTOMERS,
        )
        await conn.execute(
            "INSERT INTO rep_sale (id, customer_id, region, amount)"
            " SELECT g, 1 + g % $2, 'r' || lpad((g % $3)::text, 2, '0'), (g * 37) % 1000"
            " FROM generate_series(1, $1) g",
            rows,
            CUSTOMERS,
            REGIONS,
        )
        await conn.execute("CREATE INDEX ON rep_sale (customer_id)")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def alternating(
    sides: tuple[Callable[[], Awaitable[Any]], ...], repeat: int
) -> list[tuple[float, Any]]:
    """Each side's best time and result, the sides taking turns ``repeat`` times (so that a
    slow spell of a shared machine falls on all of them), after a warm-up each."""
    results = [await run() for run in sides]  # plans compiled and cached, statements prepared
    best = [float("inf")] * len(sides)
    for _ in range(repeat):
        for i, run in enumerate(sides):
            start = time.perf_counter()
            await run()
            best[i] = min(best[i], time.perf_counter() - start)
    return list(zip(best, results, strict=True))


async def measure(
    name: str,
    make: Callable[[], Any],
    core: Any,
    raw: asyncpg.Connection,
    engine: Any,
    repeat: int,
    tortoise: Callable[[], Any] | None,
) -> tuple[float, float, float, float | None]:
    """Best times of raw asyncpg, SQLAlchemy Core, aksara and Tortoise (None when it cannot
    express the query); their results checked equal."""
    qs = make()
    aggregates = {"big": Count("id", filter=Q(amount__gt=500)), "total": Sum("amount")}
    if name == "aggregate filter":
        plan, values = aggregate_plan(qs, aggregates)
        sql, args = plan.sql, list(plan.args(values))
    else:
        sql, args = qs.sql()
    statement = await raw.prepare(sql)
    unpack = await unpacker(raw, sql, "dict")

    async def run_raw() -> Any:
        if name == "aggregate filter":
            return dict(await statement.fetchrow(*args))
        return unpack(await statement.fetch(*args))

    async def run_aksara() -> Any:
        if name == "aggregate filter":
            return await make().aggregate(**aggregates)
        return await make()

    async def run_core() -> Any:
        async with engine.connect() as conn:
            return (await conn.execute(core)).mappings().all()

    async def run_tortoise() -> Any:
        assert tortoise is not None
        return await tortoise()

    sides = (run_raw, run_core, run_aksara, *((run_tortoise,) if tortoise else ()))
    timed = await alternating(sides, repeat)
    (t_raw, r_raw), (t_core, r_core), (t_aksara, r_aksara) = timed[:3]
    t_tortoise = None
    if tortoise is not None:
        t_tortoise, r_tortoise = timed[3]
        check_tortoise(name, r_tortoise, r_raw)
    if name == "annotate":
        assert [(c.n, c.total) for c in r_aksara] == [(r["n"], r["total"]) for r in r_raw]
        assert len(r_core) == len(r_raw)
    elif name == "group by":
        assert sorted(tuple(d.values()) for d in r_aksara) == sorted(
            tuple(d.values()) for d in r_raw
        )
        assert sorted(tuple(d.values()) for d in r_core) == sorted(tuple(d.values()) for d in r_raw)
    elif name == "subquery":
        assert [c.last for c in r_aksara] == [r["last"] for r in r_raw]
        assert len(r_core) == len(r_raw)
    elif name in ("latest per group", "union"):
        assert sorted(tuple(d.values()) for d in r_aksara) == sorted(
            tuple(d.values()) for d in r_raw
        )
        assert len(r_core) == len(r_raw)
    else:
        assert r_aksara == r_raw == dict(r_core[0])
    return t_raw, t_core, t_aksara, t_tortoise


def check_tortoise(name: str, result: Any, raw: Any) -> None:
    """Tortoise's rows are the same as raw asyncpg's."""
    if name == "annotate":
        assert [(c.n, c.total) for c in result] == [(r["n"], r["total"]) for r in raw]
    elif name == "group by":
        assert sorted(tuple(d.values()) for d in result) == sorted(tuple(d.values()) for d in raw)
    else:
        assert result == raw


async def main(rows: int, repeat: int, with_tortoise: bool) -> None:
    server = _server.start_server()
    url = await _server.fresh_database(server.get_uri(), DATABASE)
    await aksara.connect(url)
    await aksara.create_all()
    await fill(url, rows)
    raw = await asyncpg.connect(url)
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    core = core_queries()
    tortoise: dict[str, Any] = {}
    if with_tortoise:
        from bench.peers import tortoise_reporting

        await tortoise_reporting.start(url)
        tortoise = tortoise_reporting.queries()
    print(f"{rows:,} sales, {CUSTOMERS:,} customers, {REGIONS} regions; best of {repeat}, ms")
    print("| query | asyncpg (raw) | SQLAlchemy Core | Tortoise | aksara |")
    print("|---|---:|---:|---:|---:|")
    try:
        for name, make in queries().items():
            times = await measure(name, make, core[name], raw, engine, repeat, tortoise.get(name))
            t_raw, t_core, t_aksara, t_tortoise = times
            peer = (
                "–" if t_tortoise is None else f"{t_tortoise * 1e3:.2f} ({t_raw / t_tortoise:.2f}×)"
            )
            print(
                f"| {name} | {t_raw * 1e3:.2f} (1.00×) | {t_core * 1e3:.2f} ({t_raw / t_core:.2f}×)"
                f" | {peer} | {t_aksara * 1e3:.2f} ({t_raw / t_aksara:.2f}×) |"
            )
    finally:
        if with_tortoise:
            from bench.peers import tortoise_reporting

            await tortoise_reporting.stop()
        await raw.close()
        await engine.dispose()
        await aksara.disconnect()
        await _server.drop_database(server.get_uri(), DATABASE)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-tortoise", action="store_true", help="leave Tortoise ORM out")
    options = parser.parse_args()
    asyncio.run(main(options.rows, options.repeat, not options.no_tortoise))
