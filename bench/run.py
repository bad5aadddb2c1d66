"""Run the benchmark: one embedded PostgreSQL, a fresh database and a fresh process per peer.

    python bench/run.py [--peers asyncpg,sqlalchemy_core,...] [--models simple,wide,related] [--quick]

Prints a markdown table (rows/s per operation, geometric mean per model, ratio to
raw asyncpg); ``--json FILE`` keeps the raw numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(ROOT))

from bench import _server, report  # noqa: E402
from bench import workload as w  # noqa: E402

# peer name -> module under bench.peers
PEERS = {
    "asyncpg": "asyncpg_raw",
    "sqlalchemy_core": "sqlalchemy_core",
    "sqlalchemy_orm": "sqlalchemy_orm",
    "tortoise": "tortoise_peer",
    "piccolo": "piccolo_peer",
    "aksara": "aksara_peer",
}
DEFAULT_PEERS = tuple(
    name for name, module in PEERS.items() if (ROOT / "bench" / "peers" / f"{module}.py").exists()
)


def _command(peer: str, url: str, out: str, args: argparse.Namespace) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        f"bench.peers.{PEERS[peer]}",
        "--url",
        url,
        "--models",
        args.models,
        "--loop",
        args.loop,
        "--out",
        out,
    ]
    if args.quick:
        cmd.append("--quick")
    if args.scale != 1.0:
        cmd += ["--scale", str(args.scale)]
    return cmd


def _environment() -> dict[str, str]:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    env.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    return env


def run_pair(server_uri: str, pair: list[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run two peers at once, each in a fresh process on a fresh database, taking turns round
    by round (``bench.peers.base.Baton``): the first of ``pair`` starts. Their JSON, in order."""
    urls = [asyncio.run(_server.fresh_database(server_uri, f"bench_{peer}")) for peer in pair]
    first_in, first_out = os.pipe()  # the second peer writes, the first reads
    second_in, second_out = os.pipe()
    os.write(first_out, b"t")  # the first peer holds the baton first
    batons = [(first_in, second_out), (second_in, first_out)]
    outs = [tempfile.NamedTemporaryFile(suffix=".json") for _ in pair]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    procs = []
    for peer, url, out, (read_fd, write_fd) in zip(pair, urls, outs, batons, strict=True):
        cmd = [*_command(peer, url, out.name, args), "--baton", f"{read_fd},{write_fd}"]
        procs.append(
            subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=_environment(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                pass_fds=(read_fd, write_fd),
            )
        )
    for fd in (first_in, first_out, second_in, second_out):
        os.close(fd)  # the children hold them: a dead one's partner then runs alone
    results = []
    try:
        for peer, proc, out in zip(pair, procs, outs, strict=True):
            stdout, stderr = proc.communicate(timeout=args.timeout)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"{peer} failed ({proc.returncode}):\n{stdout[-2000:]}\n{stderr[-4000:]}"
                )
            result: dict[str, Any] = json.loads(Path(out.name).read_text(encoding="utf-8"))
            result["wall_seconds"] = time.perf_counter() - started
            result["load_before"] = load
            results.append(result)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for out in outs:
            out.close()
        for peer in pair:
            asyncio.run(_server.drop_database(server_uri, f"bench_{peer}"))
    return results


def run_peer(server_uri: str, peer: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one peer in a fresh process on a fresh database; return its JSON."""
    db = f"bench_{peer}"
    url = asyncio.run(_server.fresh_database(server_uri, db))
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = _command(peer, url, out.name, args)
        env = _environment()
        load = os.getloadavg()[0]
        started = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=args.timeout
        )
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            raise RuntimeError(
                f"{peer} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
            )
        result: dict[str, Any] = json.loads(Path(out.name).read_text(encoding="utf-8"))
    result["wall_seconds"] = elapsed
    result["load_before"] = load
    asyncio.run(_server.drop_database(server_uri, db))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--peers", default=",".join(DEFAULT_PEERS), help=f"any of {', '.join(PEERS)}"
    )
    parser.add_argument("--models", default=",".join(w.MODELS))
    parser.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every count")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every peer this many times (order rotated), keep the best",
    )
    parser.add_argument("--data-dir", type=Path, default=_server.DEFAULT_DATA_DIR)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per peer")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--paired",
        action="store_true",
        help="two peers at once, taking turns round by round (the exact comparison)",
    )
    args = parser.parse_args(argv)

    peers = [p for p in args.peers.split(",") if p]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        parser.error(f"unknown peers {unknown}; choose from {list(PEERS)}")
    models = [m for m in args.models.split(",") if m]
    if any(m not in w.MODELS for m in models):
        parser.error(f"models are {list(w.MODELS)}")

    if args.paired and len(peers) != 2:
        parser.error("--paired takes exactly two peers (--peers asyncpg,aksara)")

    server = _server.start_server(args.data_dir)
    runs: dict[str, list[dict[str, Any]]] = {peer: [] for peer in peers}
    failures = set()
    try:
        for n in range(args.repeat if args.paired else 0):
            pair = peers if n % 2 == 0 else peers[::-1]
            print(f"running {' and '.join(pair)}, taking turns ...", file=sys.stderr, flush=True)
            try:
                for peer, result in zip(pair, run_pair(server.get_uri(), pair, args), strict=True):
                    runs[peer].append(result)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(exc, file=sys.stderr)
                failures.update(pair)
                break
        for n in range(0 if args.paired else args.repeat):
            order = peers[n % len(peers) :] + peers[: n % len(peers)]
            for peer in order:
                if peer in failures:
                    continue
                print(f"running {peer} ...", file=sys.stderr, flush=True)
                try:
                    result = run_peer(server.get_uri(), peer, args)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    print(f"{peer}: {exc}", file=sys.stderr)
                    failures.add(peer)
                    continue
                print(
                    f"  {peer} done in {result['wall_seconds']:.1f}s (load average before: {result['load_before']:.2f})",
                    file=sys.stderr,
                    flush=True,
                )
                runs[peer].append(result)
    finally:
        server.cleanup()
    results = [report.best(runs[peer]) for peer in peers if runs[peer]]

    mode = "quick" if args.quick else "full"
    runs_text = f" x {args.repeat} runs" if args.repeat > 1 else ""
    if args.paired:
        runs_text += ", the two peers taking turns round by round"
    print(
        f"## aksara benchmark ({mode}, {w.WORKERS} workers, {args.loop}, "
        f"best of {w.ROUNDS} rounds{runs_text}; rows/s, ratio to raw asyncpg)\n"
    )
    print(report.markdown(results, models))
    if args.paired and all(runs[peer] for peer in peers):
        print(
            f"Paired: {peers[1]} / {peers[0]} per operation, the median over every round of "
            f"the ratio of the two turns run back to back\n"
        )
        print(report.paired(runs[peers[1]], runs[peers[0]], models) + "\n")
    print(report.footnote(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
