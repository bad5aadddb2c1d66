"""The clients: a mix of reads, writes, uploads and vector searches on the library's API."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

WORDS = (
    "postgres vector index search pool async model field query storage upload mail "
    "library author asset tag cosine migration schema python commit rollback"
).split()
TAGS = [f"tag{i}" for i in range(20)]

#: operation -> relative weight in the mix.
MIX = {
    "list_assets": 15,
    "read_asset": 20,
    "similar": 15,
    "read_author": 5,
    "create_asset": 15,
    "update_asset": 10,
    "upload_file": 15,
    "sign_up": 5,
}
EXPECTED_STATUS = {"create_asset": 201, "sign_up": 201}


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


@dataclass
class Sample:
    op: str
    started: float  # seconds since the run started
    seconds: float
    outcome: str  # "ok", an HTTP status, or an exception's class name


@dataclass
class Shared:
    """What every client reads from: the authors and assets that exist."""

    authors: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)


async def seed(base_url: str, *, authors: int = 50, assets: int = 200) -> Shared:
    """Authors and assets (with tags and embeddings) for the reads to find."""
    shared = Shared()
    rng = random.Random(0)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for i in range(authors):
            r = await client.post(
                "/authors",
                json={
                    "name": f"Author {i}",
                    "email": f"seed{i}-{uuid.uuid4().hex[:8]}@example.com",
                },
            )
            r.raise_for_status()
            shared.authors.append(r.json()["id"])
        for i in range(assets):
            r = await client.post(
                "/assets",
                json={
                    "title": f"{sentence(rng, 4)} {i}",
                    "description": sentence(rng, 12),
                    "author_id": rng.choice(shared.authors),
                    "tags": rng.sample(TAGS, 2),
                },
            )
            r.raise_for_status()
            shared.assets.append(r.json()["id"])
    return shared


class Client:
    """One simulated user: its own HTTP connection, its own assets to edit and upload to."""

    def __init__(self, number: int, base_url: str, shared: Shared, t0: float) -> None:
        self.rng = random.Random(number)
        self.http = httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60, connect=10))
        self.shared = shared
        self.own: list[str] = []
        self.t0 = t0
        self.samples: list[Sample] = []
        self.ops = list(MIX)
        self.weights = list(MIX.values())

    async def run(self, deadline: float) -> None:
        try:
            while time.monotonic() < deadline:
                await self.step(self.rng.choices(self.ops, self.weights)[0])
        finally:
            await self.http.aclose()

    async def step(self, op: str) -> None:
        if op in ("update_asset", "upload_file") and not self.own:
            op = "create_asset"  # edits only touch the client's own assets: no lost updates
        started = time.monotonic()
        try:
            response = await getattr(self, op)()
            expected = EXPECTED_STATUS.get(op, 200)
            outcome = "ok" if response.status_code == expected else str(response.status_code)
        except httpx.HTTPError as error:
            outcome = type(error).__name__
        self.samples.append(Sample(op, started - self.t0, time.monotonic() - started, outcome))

    # -- the operations ---------------------------------------------------------------------

    async def list_assets(self) -> httpx.Response:
        return await self.http.get(
            "/assets", params={"author_id": self.rng.choice(self.shared.authors)}
        )

    async def read_asset(self) -> httpx.Response:
        return await self.http.get(f"/assets/{self.rng.choice(self.shared.assets)}")

    async def similar(self) -> httpx.Response:
        return await self.http.get(
            f"/assets/{self.rng.choice(self.shared.assets)}/similar", params={"k": 5}
        )

    async def read_author(self) -> httpx.Response:
        return await self.http.get(f"/authors/{self.rng.choice(self.shared.authors)}")

    async def create_asset(self) -> httpx.Response:
        response = await self.http.post(
            "/assets",
            json={
                "title": f"{sentence(self.rng, 4)} {uuid.uuid4().hex[:12]}",
                "description": sentence(self.rng, 12),
                "author_id": self.rng.choice(self.shared.authors),
                "tags": self.rng.sample(TAGS, 2),
            },
        )
        if response.status_code == 201:
            asset_id = response.json()["id"]
            self.own.append(asset_id)
            self.shared.assets.append(asset_id)
        return response

    async def update_asset(self) -> httpx.Response:
        return await self.http.patch(
            f"/assets/{self.rng.choice(self.own)}",
            json={"description": sentence(self.rng, 10), "tags": self.rng.sample(TAGS, 2)},
        )

    async def upload_file(self) -> httpx.Response:
        content = sentence(self.rng, self.rng.randint(100, 2000)).encode()
        return await self.http.post(
            f"/assets/{self.rng.choice(self.own)}/file",
            files={"file": ("notes.txt", content, "text/plain")},
        )

    async def sign_up(self) -> httpx.Response:
        return await self.http.post(
            "/authors", json={"name": "New author", "email": f"{uuid.uuid4().hex}@example.com"}
        )


async def drive(
    base_url: str, shared: Shared, *, clients: int, seconds: float
) -> tuple[list[Sample], float]:
    """Run ``clients`` clients for ``seconds``; return every sample and the elapsed time."""
    t0 = time.monotonic()
    deadline = t0 + seconds
    crowd = [Client(i, base_url, shared, t0) for i in range(clients)]
    # Bounded: a client finishes its last request (60 s HTTP timeout) after the deadline.
    await asyncio.wait_for(asyncio.gather(*(c.run(deadline) for c in crowd)), seconds + 90)
    elapsed = time.monotonic() - t0
    return [s for c in crowd for s in c.samples], elapsed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(samples: list[Sample], elapsed: float, *, title: str) -> dict[str, Any]:
    """Print throughput, latency (all and per operation) and the outcomes that were not "ok"."""
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_op[s.op].append(s)
    latencies = [s.seconds for s in samples]
    errors = Counter(f"{s.op}: {s.outcome}" for s in samples if s.outcome != "ok")
    summary = {
        "requests": len(samples),
        "seconds": round(elapsed, 1),
        "requests_per_second": round(len(samples) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "errors": dict(errors),
    }
    print(f"\n## {title}\n")
    print(
        f"{summary['requests']} requests in {summary['seconds']} s: "
        f"{summary['requests_per_second']} requests/s, "
        f"p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
        f"{sum(errors.values())} not ok\n"
    )
    print(
        f"| {'operation':<13} | {'requests':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'not ok':>6} |"
    )
    print(f"|{'-' * 15}|{'-' * 9}:|{'-' * 8}:|{'-' * 8}:|{'-' * 7}:|")
    for op in MIX:
        group = by_op.get(op, [])
        times = [s.seconds for s in group]
        bad = sum(1 for s in group if s.outcome != "ok")
        print(
            f"| {op:<13} | {len(group):>8} | {percentile(times, 50) * 1000:>7.1f} | "
            f"{percentile(times, 99) * 1000:>7.1f} | {bad:>6} |"
        )
    if errors:
        print("\nNot ok (operation: HTTP status or exception):")
        for key, count in errors.most_common():
            print(f"  {count:>6}  {key}")
    return summary
