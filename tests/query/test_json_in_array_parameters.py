"""JSON values that are lists or dicts travel as one element of an array parameter
(``unnest()`` inserts, upserts, ``__in``), never as a nested array; and their snapshots are
the same bytes for equal data however the data was made."""

import json

from aksara import Model, fields
from aksara.testing import capture_queries


class JaDoc(Model):
    id = fields.Integer(primary_key=True)
    title = fields.String(max_length=40, unique=True)
    items = fields.JSON(default=list)
    doc = fields.JSON(default=dict)

    class Meta:
        table_name = "ja_doc"


async def test_list_values_of_a_few_rows_inserted_with_unnest(db):
    objs = [JaDoc(title=f"t{i}") for i in range(5)]
    objs[1].items, objs[2].items, objs[3].doc = [1, "1"], [[2], []], {"k": [3]}
    with capture_queries() as queries:
        await JaDoc.objects.bulk_create(objs)
    assert "unnest(" in queries.sql[0]
    got = {o.title: (o.items, o.doc) for o in await JaDoc.objects.all()}
    assert got == {
        "t0": ([], {}),
        "t1": ([1, "1"], {}),
        "t2": ([[2], []], {}),
        "t3": ([], {"k": [3]}),
        "t4": ([], {}),
    }


async def test_list_values_upserted_in_bulk(db):
    await JaDoc.objects.create(title="t1", items=["old"])
    objs = [JaDoc(title=f"t{i}", items=[i] if i % 2 else []) for i in range(5)]
    await JaDoc.objects.bulk_create(
        objs, on_conflict="update", unique_fields=["title"], update_fields=["items"]
    )
    got = {o.title: o.items for o in await JaDoc.objects.all()}
    assert got == {"t0": [], "t1": [1], "t2": [], "t3": [3], "t4": []}


async def test_in_lookup_with_list_values(db):
    await JaDoc.objects.bulk_create(
        [JaDoc(title="a", items=[1]), JaDoc(title="b"), JaDoc(title="c", items=[[2]])]
    )
    found = JaDoc.objects.filter(items__in=[[1], [], [[2]], [9]]).values_list("title", flat=True)
    assert sorted(await found) == ["a", "b", "c"]
    assert await JaDoc.objects.filter(items__in=[[[2]]]).values_list("title", flat=True) == ["c"]


async def test_equal_data_loaded_or_written_in_code_is_not_a_change(db):
    written = {"a": 1, "b": "b", "c": [2], "d": {"e": 3}, "f": True}
    obj = await JaDoc.objects.create(title="t", doc=written)
    loaded = await JaDoc.objects.get(title="t")
    # Keys made by the JSON decoder and keys written in code compare as the same data.
    obj.doc = json.loads(json.dumps(written))
    loaded.doc = dict(written)
    with capture_queries() as queries:
        await obj.save()
        await loaded.save()
    assert queries.sql == []
