"""Media upload streaming: throughput and peak memory of a large save() on local disk and S3.

Saves ``--size-mb`` (200 by default) through ``FileSystemStorage`` and through
``S3Storage`` (a multipart upload to moto's S3 server on 127.0.0.1, run in a child
process so its copy of the object is not counted here), from two sources:

- an async iterator of 1 MiB chunks (one reused block: the source itself costs nothing);
- Starlette's ``UploadFile`` over a file on disk (what a FastAPI endpoint receives).

Each case runs ``--rounds`` times, each round twice: once for throughput and the peak
increase of the process RSS (sampled every 2 ms), once under tracemalloc for the peak
of Python allocations. It reports the best throughput and the highest peaks; both peaks
must stay under ``--limit-mb`` (32)::

    python bench/media_bench.py [--size-mb 200] [--rounds 3] [--limit-mb 32]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import psutil
from starlette.datastructures import UploadFile

from aksara.storage import FileSystemStorage, S3Storage, Storage
from aksara.testing.media import S3Server, run_moto_s3

MiB = 1024 * 1024


def _serve_s3(pipe: Connection) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with run_moto_s3(bucket="aksara-bench") as server:
        pipe.send(server)
        pipe.recv()  # wait until the parent is done


async def _iterator(size: int) -> AsyncIterator[bytes]:
    block = os.urandom(MiB)
    for _ in range(size // MiB):
        yield block


@dataclass
class Result:
    backend: str
    source: str
    seconds: float
    rss_peak: int
    traced_peak: int


class RSSSampler:
    """The highest RSS of this process seen while the block runs, minus RSS at its start."""

    def __init__(self, interval: float = 0.002) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.start_rss = 0
        self.peak_rss = 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self) -> RSSSampler:
        self.start_rss = self.peak_rss = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_rss = max(self.peak_rss, self._process.memory_info().rss)

    @property
    def increase(self) -> int:
        return self.peak_rss - self.start_rss


async def _save(storage: Storage, source: str, size: int, upload_path: Path) -> str:
    if source == "async iterator":
        return await storage.save("bench/upload.bin", _iterator(size))
    with upload_path.open("rb") as file:
        upload = UploadFile(file=file, filename="upload.bin")  # type: ignore[arg-type]
        return await storage.save("bench/upload.bin", upload)


async def _measure(
    storage: Storage, source: str, size: int, upload_path: Path
) -> tuple[float, int, int]:
    # Pass 1: throughput and RSS.
    with RSSSampler() as rss:
        start = time.perf_counter()
        name = await _save(storage, source, size, upload_path)
        seconds = time.perf_counter() - start
    if await storage.size(name) != size:
        raise SystemExit(f"{storage!r}: saved {await storage.size(name)} bytes, expected {size}")
    await storage.delete(name)
    # Pass 2: Python allocations (tracemalloc slows the run down, so it is not timed).
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    name = await _save(storage, source, size, upload_path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await storage.delete(name)
    return seconds, rss.increase, peak - base


async def run(size: int, rounds: int, workdir: Path, s3: S3Server) -> list[Result]:
    upload_path = workdir / "upload-source.bin"
    with upload_path.open("wb") as file:
        block = os.urandom(MiB)
        for _ in range(size // MiB):
            file.write(block)

    storages: list[tuple[str, Callable[[], Storage]]] = [
        ("local", lambda: FileSystemStorage(root=workdir / "media")),
        ("s3 (moto)", lambda: s3.storage(prefix="bench")),
    ]
    results = []
    for backend, make in storages:
        async with make() as storage:
            # Warm up: imports, the S3 client, the first connection.
            await storage.delete(await storage.save("bench/warm-up.bin", b"x" * MiB))
            for source in ("async iterator", "UploadFile (disk)"):
                runs = [await _measure(storage, source, size, upload_path) for _ in range(rounds)]
                results.append(
                    Result(
                        backend,
                        source,
                        seconds=min(seconds for seconds, _, _ in runs),
                        rss_peak=max(rss for _, rss, _ in runs),
                        traced_peak=max(traced for _, _, traced in runs),
                    )
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=200, help="MiB to save per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit-mb", type=int, default=32)
    args = parser.parse_args()
    size = args.size_mb * MiB

    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve_s3, args=(child,))
    server.start()
    workdir = Path(tempfile.mkdtemp(prefix="aksara-media-bench-"))
    try:
        s3: S3Server = parent.recv()
        results = asyncio.run(run(size, args.rounds, workdir, s3))
    finally:
        parent.send("stop")
        server.join(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"save() of {args.size_mb} MiB, {S3Storage.part_size // MiB} MiB S3 parts, "
        f"{Storage.chunk_size // MiB} MiB chunks, best/highest of {args.rounds} rounds; "
        f"limit {args.limit_mb} MiB"
    )
    header = (
        f"{'backend':<11} {'source':<19} {'MiB/s':>8} {'peak RSS +MiB':>13} {'peak traced MiB':>15}"
    )
    print(header)
    print("-" * len(header))
    over = False
    for r in results:
        rss_mb, traced_mb = r.rss_peak / MiB, r.traced_peak / MiB
        over |= max(rss_mb, traced_mb) >= args.limit_mb
        print(
            f"{r.backend:<11} {r.source:<19} {size / MiB / r.seconds:>8.1f} "
            f"{rss_mb:>13.1f} {traced_mb:>15.1f}"
        )
    if over:
        raise SystemExit(f"peak memory reached {args.limit_mb} MiB")


if __name__ == "__main__":
    main()
