"""Database faults under load: killed backends and a PostgreSQL restart, with the app left running.

    python stress/faults.py [--seconds 30] [--clients 200]

Runs the load of ``stress/load.py`` against the example application (a pool of 10) and,
during it:

1. at 5 s, ``pg_terminate_backend`` of every connection to the application's database
   (three times, 0.5 s apart);
2. at 12 s, a PostgreSQL restart (``pg_ctl stop -m fast``, 2 s down, start again).

Requests that fail while a fault lasts (plus a few seconds of grace) are expected: they
must fail with an error, not hang. Then, without restarting the application, it checks
that requests succeed again, and that no half-written row (an asset without its tags),
no row pointing at a missing file and no orphaned file remain. Prints what happened;
exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stress import _workload
from stress._stack import POOL_SIZE, Stack, start_stack

KILL_AT = 5.0
KILL_ROUNDS = 3
RESTART_AT = 12.0
DOWNTIME = 2.0
#: Seconds after a fault ends during which failures still count as caused by it.
GRACE = 3.0


async def inject_faults(stack: Stack, t0: float, windows: list[tuple[str, float, float]]) -> None:
    loop = asyncio.get_running_loop()

    await asyncio.sleep(max(0.0, t0 + KILL_AT - time.monotonic()))
    start = time.monotonic() - t0
    killed = []
    for _ in range(KILL_ROUNDS):  # the pool reconnects at once: kill its new connections too
        killed.append(await stack.terminate_backends())
        await asyncio.sleep(0.5)
    windows.append(("pg_terminate_backend", start, time.monotonic() - t0))
    print(
        f"[{start:5.1f} s] pg_terminate_backend, {KILL_ROUNDS} rounds 0.5 s apart: {killed} backends killed"
    )

    await asyncio.sleep(max(0.0, t0 + RESTART_AT - time.monotonic()))
    start = time.monotonic() - t0
    print(f"[{start:5.1f} s] PostgreSQL stopping (fast shutdown), down for {DOWNTIME:g} s")
    await loop.run_in_executor(None, stack.restart_postgres, DOWNTIME)
    end = time.monotonic() - t0
    windows.append(("PostgreSQL restart", start, end))
    print(f"[{end:5.1f} s] PostgreSQL accepting connections again")


def during_fault(sample: _workload.Sample, windows: list[tuple[str, float, float]]) -> bool:
    """A request that overlapped a fault, or started within GRACE seconds after it."""
    return any(
        sample.started <= end + GRACE and sample.started + sample.seconds >= start
        for _, start, end in windows
    )


async def recovery_check(base_url: str, shared: _workload.Shared) -> Counter[str]:
    """Every operation, sequentially, once the faults are over: all must succeed."""
    client = _workload.Client(10_000, base_url, shared, time.monotonic())
    try:
        for _ in range(5):
            for op in _workload.MIX:
                await client.step(op)
    finally:
        await client.http.aclose()
    return Counter(f"{s.op}: {s.outcome}" for s in client.samples if s.outcome != "ok")


async def consistency(stack: Stack) -> dict[str, list[str]]:
    """Half-written rows, rows whose file is missing, and files no row points at."""
    conn = await stack.admin()
    try:
        untagged = await conn.fetch(
            "SELECT a.id::text FROM library_asset a WHERE NOT EXISTS "
            "(SELECT 1 FROM library_asset_tags t WHERE t.library_asset_id = a.id)"
        )
        names = {
            r["file"]
            for r in await conn.fetch("SELECT file FROM library_asset WHERE file IS NOT NULL")
        }
    finally:
        await conn.close()
    root = stack.media_root
    on_disk = (
        {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
        if root.exists()
        else set()
    )
    return {
        "assets without their tags (half-written)": [r["id"] for r in untagged],
        "rows pointing at a missing file": sorted(names - on_disk),
        "files no row points at (orphans)": sorted(on_disk - names),
    }


def errors_in_log(log: str) -> Counter[str]:
    """The error each failed request ended with, from uvicorn's tracebacks (ids and numbers as N)."""
    found: Counter[str] = Counter()
    for block in log.split("Exception in ASGI application")[1:]:
        final = [
            line
            for line in block.splitlines()
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*?(:|$)", line)
        ]
        if final:
            found[re.sub(r"[0-9a-f-]{36}|\d+", "N", final[-1])[:140]] += 1
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database and media files")
    args = parser.parse_args(argv)
    if args.seconds < RESTART_AT + DOWNTIME + GRACE + 5:
        parser.error(
            f"--seconds must leave time after the faults (at least {RESTART_AT + DOWNTIME + GRACE + 5:g})"
        )

    started = time.monotonic()
    failures: list[str] = []
    stack = start_stack()
    try:
        stack.start_app()
        app_pid = stack.process.pid if stack.process else None
        print(
            f"uvicorn on {stack.base_url} (pid {app_pid}), pool of {POOL_SIZE}, {args.clients} clients, {args.seconds:g} s"
        )
        shared = asyncio.run(_workload.seed(stack.base_url))
        windows: list[tuple[str, float, float]] = []

        async def run() -> tuple[list[_workload.Sample], float]:
            t0 = time.monotonic()
            faults = asyncio.ensure_future(inject_faults(stack, t0, windows))
            try:
                return await _workload.drive(
                    stack.base_url, shared, clients=args.clients, seconds=args.seconds
                )
            finally:
                await faults

        samples, elapsed = asyncio.run(run())
        summary = _workload.report(samples, elapsed, title="Load with faults")

        expected = [s for s in samples if s.outcome != "ok" and during_fault(s, windows)]
        unexpected = [s for s in samples if s.outcome != "ok" and not during_fault(s, windows)]
        print(f"\nFailed while a fault lasted (+{GRACE:g} s): {len(expected)}")
        for key, count in Counter(f"{s.op}: {s.outcome}" for s in expected).most_common():
            print(f"  {count:>6}  {key}")
        slowest = max((s.seconds for s in expected), default=0.0)
        print(f"  slowest failed request: {slowest * 1000:.0f} ms (failures are quick, not hangs)")
        print(f"Failed outside the faults: {len(unexpected)}")
        for s in unexpected[:20]:
            print(f"  at {s.started:5.1f} s  {s.op}: {s.outcome}")
        if unexpected:
            failures.append(f"{len(unexpected)} requests failed outside the fault windows")

        print("\nErrors the failed requests ended with (the application's log):")
        reported = errors_in_log(stack.app_log(tail=1_000_000))
        for line, count in reported.most_common():
            print(f"  {count:>6}  {line}")
        unclear = sum(
            n for line, n in reported.items() if not line.startswith("aksara.exceptions.")
        )
        if unclear:
            failures.append(f"{unclear} requests failed with an error that is not an aksara error")

        recovery = asyncio.run(recovery_check(stack.base_url, shared))
        same_app = (
            stack.app_is_running() and stack.process is not None and stack.process.pid == app_pid
        )
        print(f"\nAfter the faults, same application process: {same_app}")
        print(
            f"Recovery check ({5 * len(_workload.MIX)} sequential requests): {sum(recovery.values())} failed"
        )
        for key, count in recovery.items():
            print(f"  {count:>6}  {key}")
        if not same_app:
            failures.append("the application process did not survive")
        if recovery:
            failures.append("requests still fail after the faults")

        checks = asyncio.run(consistency(stack))
        print("\nConsistency:")
        for name, found in checks.items():
            print(f"  {name}: {len(found)}" + (f"  e.g. {found[:3]}" if found else ""))
            if found:
                failures.append(f"{name}: {len(found)}")
        print(
            f"\nrequests/s {summary['requests_per_second']}, p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms"
        )
    finally:
        stack.stop(keep=args.keep)
    print(
        f"\n{'FAILED: ' + '; '.join(failures) if failures else 'OK'} (done in {time.monotonic() - started:.1f} s)"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
