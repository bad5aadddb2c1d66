"""Relation caches are filled and read as attributes: reading or writing an instance's
``__dict__`` would make CPython build a dict object for each instance (several hundred
bytes, and slower attribute access from then on)."""

import gc
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


class RcGroup(Model):
    id = fields.Integer(primary_key=True)
    name = fields.String(max_length=20)

    class Meta:
        table_name = "rc_group"


class RcItem(Model):
    """Three relation caches (its parent, its group, its children) and, on RcGroup, a
    reverse one made after RcGroup's class."""

    id = fields.Integer(primary_key=True)
    name = fields.String(max_length=20)
    parent = fields.ForeignKey("RcItem", on_delete=aksara.CASCADE, nullable=True)
    group = fields.ForeignKey(RcGroup, on_delete=aksara.CASCADE, related_name="items")

    class Meta:
        table_name = "rc_item"


def own_dicts(objs: list[Any]) -> int:
    """How many of ``objs`` have a dict object of their own (instead of inline values)."""
    return sum(any(type(r) is dict for r in gc.get_referents(o)) for o in objs)


async def test_relation_caches_have_their_place_whatever_is_filled_first(db):
    # Instances made before any cache is filled take the room a class's key table keeps
    # for keys it does not have yet: each cache filled afterwards needs its own place.
    # (Keys only here: an instance given its related object fills that cache.)
    group = await RcGroup.objects.create(name="g")
    root = await RcItem.objects.create(name="root", group_id=group.id)
    await RcItem.objects.bulk_create(
        [RcItem(name=f"i{i}", group_id=group.id, parent_id=root.id) for i in range(200)]
    )
    items = list(await RcItem.objects.filter(parent=root).order_by("id"))
    await prefetch_related_objects(items, "rc_item_set")
    await prefetch_related_objects(items, "group", "parent")
    assert own_dicts(items) == 0
    joined = await RcItem.objects.select_related("group", "parent").prefetch_related("rc_item_set")
    assert own_dicts(joined) == 0 and own_dicts([i.group for i in joined]) == 0
    # The reverse relation RcItem.group made on RcGroup after RcGroup's class.
    groups = list(await RcGroup.objects.prefetch_related("items"))
    assert own_dicts(groups) == 0 and len(list(groups[0].items)) == 201
