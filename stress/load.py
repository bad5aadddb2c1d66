"""Load: the example application under uvicorn, 200 concurrent httpx clients, a pool of 10.

    python stress/load.py [--seconds 60] [--clients 200] [--quick]

Starts its own embedded PostgreSQL (in the temp directory), a fresh database migrated
with ``alembic upgrade head``, and uvicorn on a free port of 127.0.0.1 with
``AKSARA_POOL_SIZE=10`` (no overflow). The clients mix reads, writes, file uploads and
vector searches; the script prints requests/s, p50/p99 latency and every response that
was not the expected one, and exits 1 if there was any. It stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stress import _workload
from stress._stack import POOL_SIZE, start_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="10 seconds")
    parser.add_argument("--json", type=Path, help="also write the summary to this file")
    args = parser.parse_args(argv)
    seconds = 10.0 if args.quick else args.seconds

    started = time.monotonic()
    stack = start_stack()
    try:
        stack.start_app()
        print(
            f"uvicorn on {stack.base_url}, pool of {POOL_SIZE}, {args.clients} clients, {seconds:g} s"
        )
        shared = asyncio.run(_workload.seed(stack.base_url))
        samples, elapsed = asyncio.run(
            _workload.drive(stack.base_url, shared, clients=args.clients, seconds=seconds)
        )
        summary = _workload.report(samples, elapsed, title="Load")
        if not stack.app_is_running():
            print("the application exited during the run:\n" + stack.app_log())
            return 1
        if summary["errors"]:
            print("\nApplication log (tail):\n" + stack.app_log())
    finally:
        stack.stop()
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    print(f"\ndone in {time.monotonic() - started:.1f} s")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
