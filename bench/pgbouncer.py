"""aksara and raw asyncpg through PgBouncer (transaction pooling, ``statement_cache_size=0``), next to direct runs.

    python bench/pgbouncer.py [--quick] [--models simple,wide,related] [--repeat N] [--pool-size N]
                              [--runs direct,direct_nocache,pgbouncer,asyncpg_pgbouncer]

Starts the benchmarks' embedded PostgreSQL and Debian's ``pgbouncer`` in front of it
(``pool_mode = transaction``), then runs ``bench/run.py``'s workload four ways, each in a
fresh process on a fresh database:

- ``direct``: straight to PostgreSQL with the default settings (asyncpg's statement cache on);
- ``direct, cache 0``: straight to PostgreSQL with ``AKSARA_STATEMENT_CACHE_SIZE=0``, which
  separates the cost of the setting from the cost of the extra hop;
- ``pgbouncer, cache 0``: through PgBouncer with ``AKSARA_STATEMENT_CACHE_SIZE=0``, the
  documented setting for transaction poolers;
- ``asyncpg via PgBouncer, cache 0``: the raw asyncpg peer through the same PgBouncer with
  asyncpg's ``statement_cache_size=0``, as anyone behind a transaction pooler must run it.

The driver's own checking connection (seeding and verification) goes straight to PostgreSQL
in every run; only the peer's statements pass through PgBouncer. Prints the usual tables,
the A-K geometric mean per model with its ratio to the direct run, and per operation aksara
through PgBouncer over raw asyncpg through PgBouncer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench import _server, report  # noqa: E402
from bench import workload as w  # noqa: E402

RUNS = {
    # name -> (label, peer, through PgBouncer, statement cache size: aksara's
    # AKSARA_STATEMENT_CACHE_SIZE, raw asyncpg's statement_cache_size)
    "direct": ("aksara direct", "aksara", False, None),
    "direct_nocache": ("aksara direct, cache 0", "aksara", False, "0"),
    "pgbouncer": ("aksara via PgBouncer, cache 0", "aksara", True, "0"),
    "asyncpg_pgbouncer": ("asyncpg via PgBouncer, cache 0", "asyncpg", True, "0"),
}


# -- PgBouncer ----------------------------------------------------------------------------------


class PgBouncer:
    """``pgbouncer`` on 127.0.0.1 in transaction-pooling mode; ``stop()`` ends it."""

    def __init__(self, server_uri: str, *, pool_size: int) -> None:
        executable = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.path.exists(executable):
            raise SystemExit("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
        parts = urlsplit(server_uri)
        query = parse_qs(parts.query)
        host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
        port = int(query.get("port", [parts.port or 5432])[0])
        self.user = parts.username or "postgres"
        self.directory = Path(tempfile.mkdtemp(prefix="aksara-bench-pgbouncer-"))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        (self.directory / "users.txt").write_text(f'"{self.user}" ""\n')
        (self.directory / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={host} port={port} user={self.user}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.directory / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\n"
            "max_client_conn = 200\n"
            "ignore_startup_parameters = extra_float_digits,statement_timeout\n"
            f"logfile = {self.directory / 'pgbouncer.log'}\n"
        )
        run_as: dict[str, Any] = {}
        if os.geteuid() == 0:  # PgBouncer refuses root: run as the socket directory's owner
            owner = os.stat(host).st_uid if host.startswith("/") else 0
            account = pwd.getpwuid(owner) if owner else pwd.getpwnam("nobody")
            for path in (self.directory, *self.directory.iterdir()):
                os.chown(path, account.pw_uid, account.pw_gid)
            run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
        self.process = subprocess.Popen(
            [executable, "-q", str(self.directory / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **run_as,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.directory / "pgbouncer.log").read_text(errors="replace")
                    self.stop()
                    raise SystemExit(f"pgbouncer did not start:\n{log}") from None
                time.sleep(0.02)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


# -- one run --------------------------------------------------------------------------------------


def run_once(server_uri: str, bouncer: PgBouncer, name: str, args: argparse.Namespace) -> Any:
    """Run a peer one way in a fresh process on a fresh database; return its JSON."""
    label, peer, through, cache_size = RUNS[name]
    db = f"bench_pgb_{name}"
    url = asyncio.run(_server.fresh_database(server_uri, db))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    env.pop("AKSARA_STATEMENT_CACHE_SIZE", None)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, "-m", "bench.pgbouncer", "--peer", peer]
        if cache_size is not None:
            cmd += ["--statement-cache-size", cache_size]
        if through:
            cmd += ["--peer-url", bouncer.url(db)]
        cmd += ["--url", url, "--models", args.models, "--loop", args.loop, "--out", out.name]
        if args.quick:
            cmd.append("--quick")
        if args.scale != 1.0:
            cmd += ["--scale", str(args.scale)]
        load = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"{label} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
        result = json.loads(Path(out.name).read_text(encoding="utf-8"))
    # PgBouncer still holds server connections to it: end them with the database.
    asyncio.run(_server.admin(server_uri, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
    result.update(peer=name, label=label, wall_seconds=elapsed, load_before=load)
    return result


def peer_main(argv: list[str]) -> None:
    """The child process: ``bench.peers.base.main`` for aksara or raw asyncpg, optionally
    through another URL and with another statement cache size."""
    from bench.peers.base import main

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("peer", choices=("aksara", "asyncpg"))
    parser.add_argument("--peer-url")
    parser.add_argument("--statement-cache-size", type=int)
    known, rest = parser.parse_known_args(argv)

    if known.peer == "asyncpg":
        from bench.peers.asyncpg_raw import AsyncpgPeer

        class RoutedAsyncpgPeer(AsyncpgPeer):
            if known.statement_cache_size is not None:
                statement_cache_size = known.statement_cache_size

            async def start(self, url: str) -> None:
                await super().start(known.peer_url or url)

        main(RoutedAsyncpgPeer(), rest)
        return

    if known.statement_cache_size is not None:  # read by aksara's settings at connect()
        os.environ["AKSARA_STATEMENT_CACHE_SIZE"] = str(known.statement_cache_size)
    from bench.peers.aksara_peer import AksaraPeer

    class RoutedAksaraPeer(AksaraPeer):
        async def start(self, url: str) -> None:
            await super().start(known.peer_url or url)

    main(RoutedAksaraPeer(), rest)


def summary(results: list[Any], models: list[str]) -> str:
    """A-K geometric mean per model and run, with the ratio to the direct run."""
    by_name = {r["peer"]: r for r in results}
    lines = ["| model | " + " | ".join(r["label"] for r in results) + " |"]
    lines.append("|---|" + "---:|" * len(results))
    for model in models:
        means = {
            r["peer"]: report.geometric_mean(report.rate(r, model, op) or 0.0 for op in w.OPS)
            for r in results
        }
        base = means.get("direct") if "direct" in by_name else None
        cells = []
        for r in results:
            text = f"{means[r['peer']]:,.0f}"
            if base:
                text += f" ({means[r['peer']] / base:.2f}×)"
            cells.append(text)
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def versus(mine: Any, theirs: Any, models: list[str]) -> str:
    """Per operation and model, ``mine``'s rate over ``theirs`` (both through PgBouncer), then
    the ratio of their A-K geometric means (the geometric mean of the ratios)."""
    shown = [m for m in models if m in mine.get("models", {}) and m in theirs.get("models", {})]
    lines = ["| operation | " + " | ".join(shown) + " |", "|---|" + "---:|" * len(shown)]

    def ratio(model: str, op: str) -> float:
        return (report.rate(mine, model, op) or 0.0) / (report.rate(theirs, model, op) or math.nan)

    for op in w.OPS:
        cells = [f"{ratio(model, op):.2f}×" for model in shown]
        lines.append(f"| {op} {w.OP_NAMES[op]} | " + " | ".join(cells) + " |")
    means = [report.geometric_mean(ratio(model, op) for op in w.OPS) for model in shown]
    lines.append("| **geometric mean** | " + " | ".join(f"**{m:.2f}×**" for m in means) + " |")
    return "\n".join(lines)


def pgbouncer_version() -> str:
    executable = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True).stdout
    except OSError:
        return ""
    words = out.split()
    return words[1] if len(words) > 1 and words[0] == "PgBouncer" else ""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--peer"]:
        peer_main(argv[1:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(w.MODELS))
    parser.add_argument("--quick", action="store_true", help="the smaller workload")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run every way this many times, keep the best"
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=w.WORKERS,
        help=f"PgBouncer's server connections (default {w.WORKERS}, one per worker)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=_server.DEFAULT_DATA_DIR.with_name("aksara-bench-pgbouncer-pg"),
    )
    parser.add_argument(
        "--runs", default=",".join(RUNS), help=f"any of {', '.join(RUNS)} (default: all)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    models = [m for m in args.models.split(",") if m]
    names = [n for n in args.runs.split(",") if n]
    if not names or any(n not in RUNS for n in names):
        parser.error(f"runs are {list(RUNS)}")

    server = _server.start_server(args.data_dir)
    bouncer = PgBouncer(server.get_uri(), pool_size=args.pool_size)
    runs: dict[str, list[Any]] = {name: [] for name in names}
    try:
        for n in range(args.repeat):
            for name in names[n % len(names) :] + names[: n % len(names)]:
                print(f"running {RUNS[name][0]} ...", file=sys.stderr, flush=True)
                runs[name].append(run_once(server.get_uri(), bouncer, name, args))
    finally:
        bouncer.stop()
        server.cleanup()
    results = [report.best(runs[name]) for name in names]

    mode = "quick" if args.quick else "full"
    print(
        f"## aksara through PgBouncer {pgbouncer_version()} ({mode}, {w.WORKERS} workers, "
        f"{args.loop}, pool_mode = transaction, default_pool_size = {args.pool_size}, best of "
        f"{args.repeat} run(s); rows/s)\n"
    )
    print(report.markdown(results, models))
    print("### A-K geometric mean (ratio to direct)\n")
    print(summary(results, models))
    print()
    by_name = {r["peer"]: r for r in results}
    if "pgbouncer" in by_name and "asyncpg_pgbouncer" in by_name:
        print("### aksara / raw asyncpg, both through PgBouncer with statement cache 0\n")
        print(versus(by_name["pgbouncer"], by_name["asyncpg_pgbouncer"], models))
        print()
    print(report.footnote(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
