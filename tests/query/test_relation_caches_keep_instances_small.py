"""Relation caches are filled and read as attributes: reading or writing an instance's
``__dict__`` would make CPython build a dict object for each instance (several hundred
bytes, and slower attribute access from then on)."""

import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import aksara
from aksara import Model, fields
from aksara.query.prefetch import prefetch_related_objects

COUNT = 2000


class RcNode(Model):
    id = fields.Integer(primary_key=True)
    name = fields.String(max_length=20)
    parent = fields.ForeignKey("RcNode", on_delete=aksara.CASCADE, nullable=True)

    class Meta:
        table_name = "rc_node"


async def bytes_per_object(run: Callable[[], Awaitable[Any]]) -> float:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = await run()
        size = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept is not None
    return size / COUNT


async def test_prefetching_and_reading_relations_builds_no_instance_dicts(db):
    root = await RcNode.objects.create(name="root")
    await RcNode.objects.bulk_create([RcNode(name=f"n{i}", parent=root) for i in range(COUNT)])
    nodes = list(await RcNode.objects.filter(parent=root))

    async def prefetch() -> list[Any]:
        await prefetch_related_objects(nodes, "rc_node_set")
        return nodes

    # An empty list cached per node, no dict of its own.
    assert await bytes_per_object(prefetch) < 100
    assert [list(n.rc_node_set) for n in nodes[:3]] == [[], [], []]

    async def read_parents() -> list[Any]:
        return [n.parent for n in nodes]

    nodes = list(await RcNode.objects.filter(parent=root).select_related("parent"))
    assert await bytes_per_object(read_parents) < 16
    assert {id(n.parent) for n in nodes} == {id(nodes[0].parent)}


async def test_new_instances_given_related_objects_build_no_dicts(db):
    root = await RcNode.objects.create(name="root")

    async def by_key() -> list[Any]:
        return [RcNode(name="n", parent_id=root.id) for _ in range(COUNT)]

    async def by_object() -> list[Any]:
        return [RcNode(name="n", parent=root) for _ in range(COUNT)]

    plain = await bytes_per_object(by_key)
    # The object costs its cache slot, not a dict of its own.
    assert await bytes_per_object(by_object) < plain + 24
    made = (await by_object())[0]
    assert made.parent is root and made.parent_id == root.id
    made.parent = None
    assert made.parent_id is None and made.parent is None
