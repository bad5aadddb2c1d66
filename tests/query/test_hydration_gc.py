"""Building many instances pauses the cyclic garbage collector, and leaves it as it was."""

import gc

import pytest

from aksara.query._compile import RowPlan
from aksara.query._plans import GC_PAUSE_ROWS, instances
from tests.query.models import Note


@pytest.fixture
def collections():
    started: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            started.append(info["generation"])

    gc.callbacks.append(count)
    try:
        yield started
    finally:
        gc.callbacks.remove(count)


def records(count: int) -> tuple[list[tuple], RowPlan]:
    meta = Note._meta
    table = meta.table
    rows = RowPlan(meta.attnames, [table.c[a].type for a in meta.attnames])
    values = {"id": 1, "title": "t", "body": "b", "rank": 2}
    record = tuple(values.get(a) for a in meta.attnames)
    return [record] * count, rows


def test_a_large_read_runs_no_collection(collections):
    batch, rows = records(GC_PAUSE_ROWS * 20)
    gc.collect()
    collections.clear()
    built = instances(Note, batch, rows, None)
    assert len(built) == GC_PAUSE_ROWS * 20
    # At most the one collection the first allocation after the loop runs (without the
    # pause, one every 700 or so of the 5,120 instances).
    assert len(collections) <= 1
    assert gc.isenabled()


def test_a_small_read_leaves_the_collector_alone(collections):
    batch, rows = records(GC_PAUSE_ROWS - 1)
    gc.collect()
    collections.clear()
    kept = [instances(Note, batch, rows, None) for _ in range(20)]
    assert len(kept) == 20 and collections  # thousands of allocations: the collector ran
    assert gc.isenabled()


def test_a_paused_collector_stays_paused():
    batch, rows = records(GC_PAUSE_ROWS)
    gc.disable()
    try:
        instances(Note, batch, rows, None)
        assert not gc.isenabled()
    finally:
        gc.enable()
