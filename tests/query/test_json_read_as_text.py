"""JSON columns read as text when a query loads instances: the text is the snapshot that
``save()`` compares with, and WHERE, ORDER BY and DISTINCT still work on JSONB."""

import copy
import functools
import json
import pickle
from decimal import Decimal

import pytest
import sqlalchemy as sa

import aksara
from aksara import Model, fields
from aksara.db import get_database, set_database
from aksara.query import F, _json_text
from aksara.registry import registry
from aksara.testing import capture_queries


class JtLabel(Model):
    id = fields.Integer(primary_key=True)
    style = fields.JSON(default=dict)

    class Meta:
        table_name = "jt_label"


class JtOwner(Model):
    id = fields.Integer(primary_key=True)
    settings = fields.JSON(default=dict)
    labels = fields.ManyToMany(JtLabel, related_name="owners")

    class Meta:
        table_name = "jt_owner"


class JtNote(Model):
    id = fields.Integer(primary_key=True)
    title = fields.String(max_length=40)
    doc = fields.JSON(nullable=True)
    tags = fields.Array(base_type="text", default=list)
    owner = fields.ForeignKey(JtOwner, nullable=True, related_name="notes")

    class Meta:
        table_name = "jt_note"


async def _notes() -> list[JtNote]:
    owner = await JtOwner.objects.create(settings={"theme": "dark", "sizes": [1, 2]})
    return [
        await JtNote.objects.create(title="a", doc={"n": 10, "s": "x"}, owner=owner),
        await JtNote.objects.create(title="b", doc={"n": 9}, tags=["t"]),
        await JtNote.objects.create(title="c", doc="just a string"),
        await JtNote.objects.create(title="d", doc=None),
        await JtNote.objects.create(title="e", doc=[1, 2.5, None, True]),
    ]


async def test_instances_read_json_as_text_and_keep_the_text(db):
    await _notes()
    with capture_queries() as queries:
        notes = await JtNote.objects.order_by("title")
    assert "CAST(jt_note.doc AS TEXT) AS anon_1" in queries.sql[0]
    assert [n.doc for n in notes] == [
        {"n": 10, "s": "x"},
        {"n": 9},
        "just a string",
        None,
        [1, 2.5, None, True],
    ]
    position = JtNote._meta.attnames.index("doc")
    # The loaded text is the snapshot: no copy of the decoded value is made per row.
    assert vars(notes[0])["_loaded"][position] == '{"n": 10, "s": "x"}'
    assert vars(notes[2])["_loaded"][position] == '"just a string"'
    assert vars(notes[3])["_loaded"][position] is None


async def test_changes_are_found_against_the_loaded_text(db):
    await _notes()
    notes = {n.title: n for n in await JtNote.objects.all()}
    with capture_queries() as queries:
        for note in notes.values():
            await note.save()  # nothing changed: nothing sent
    assert queries.sql == []
    notes["a"].doc["n"] = 11  # in place
    notes["b"].doc = {"n": 9.0}  # equal to 9 in Python, another JSON value
    notes["c"].doc = "just a string"  # the same value again
    notes["e"].doc[3] = 1  # True -> 1
    with capture_queries() as queries:
        for note in notes.values():
            await note.save()
    assert sorted(q.split(" WHERE")[0] for q in queries.sql) == [
        "UPDATE jt_note SET doc=$1::JSONB",
        "UPDATE jt_note SET doc=$1::JSONB",
        "UPDATE jt_note SET doc=$1::JSONB",
    ]
    fresh = {n.title: n.doc for n in await JtNote.objects.all()}
    assert fresh["a"] == {"n": 11, "s": "x"}
    assert type(fresh["b"]["n"]) is float
    assert fresh["e"] == [1, 2.5, None, 1] and type(fresh["e"][3]) is int


async def test_comparisons_and_ordering_stay_on_jsonb(db):
    await _notes()
    # As JSONB 9 < 10; as text '{"n": 10...' < '{"n": 9}'.
    ordered = await JtNote.objects.filter(title__in=["a", "b"]).order_by("doc")
    assert [n.title for n in ordered] == ["b", "a"]
    # the column named bare is the column, not the text read (the cast has its own label)
    bare = await JtNote.objects.filter(title__in=["a", "b"]).order_by(sa.column("doc"))
    assert [n.title for n in bare] == ["b", "a"]
    assert [n.title for n in await JtNote.objects.filter(doc__n__gte=10)] == ["a"]
    paged = await (
        JtNote.objects.select_related("owner").filter(title__in=["a", "b"]).order_by("doc")[1:]
    )
    assert [n.title for n in paged] == ["a"] and paged[0].owner.settings["theme"] == "dark"
    with capture_queries() as queries:
        distinct = await JtNote.objects.filter(title="a").distinct()
    assert "CAST" not in queries.sql[0] and distinct[0].doc == {"n": 10, "s": "x"}


async def test_related_partial_folded_and_pickled_instances(db):
    await _notes()
    # The related model's JSON is decoded by the driver; the queried model's from text.
    note = await JtNote.objects.select_related("owner").get(title="a")
    assert note.doc == {"n": 10, "s": "x"} and note.owner.settings["sizes"] == [1, 2]
    note.owner.settings["sizes"].append(3)
    await note.owner.save()
    owner = await JtOwner.objects.prefetch_related("notes").get(id=note.owner.id)
    assert owner.settings["sizes"] == [1, 2, 3] and list(owner.notes)[0].doc["s"] == "x"
    list(owner.notes)[0].doc["s"] = "y"
    await list(owner.notes)[0].save()
    # some columns only
    partial = await JtNote.objects.only("id", "doc").get(title="a")
    assert partial.doc == {"n": 10, "s": "y"}
    partial.doc["s"] = "z"
    await partial.save()
    # a copy or a pickle keeps the text and still finds changes
    loaded = await JtNote.objects.get(title="a")
    for twin in (pickle.loads(pickle.dumps(loaded)), copy.copy(loaded)):
        with capture_queries() as queries:
            await twin.save()
        assert queries.sql == []
    twin = pickle.loads(pickle.dumps(loaded))
    twin.doc["s"] = "w"
    await twin.save()
    assert (await JtNote.objects.get(title="a")).doc == {"n": 10, "s": "w"}


async def test_streamed_and_annotated_instances_decode_json(db):
    await _notes()
    streamed = [n async for n in JtNote.objects.order_by("title").iterator(chunk_size=2)]
    assert [n.doc for n in streamed][:2] == [{"n": 10, "s": "x"}, {"n": 9}]
    annotated = await JtNote.objects.annotate(size=aksara.F("id") + 1).order_by("title")
    assert annotated[0].doc == {"n": 10, "s": "x"} and annotated[0].size == annotated[0].id + 1
    annotated[0].doc["n"] = 12
    await annotated[0].save()
    assert (await JtNote.objects.get(title="a")).doc["n"] == 12


async def test_prefetched_rows_read_json_as_text(db):
    notes = await _notes()
    owner = await JtOwner.objects.get(id=notes[0].owner_id)
    await owner.labels.add(await JtLabel.objects.create(style={"color": "red"}))
    with capture_queries() as queries:
        # not a slice: the relations are read by queries of their own, not folded
        owners = await JtOwner.objects.prefetch_related("notes", "labels")
    assert sum("CAST(jt_note.doc AS TEXT)" in q for q in queries.sql) == 1
    assert sum("CAST(jt_label.style AS TEXT)" in q for q in queries.sql) == 1
    note, label = next(iter(owners[0].notes)), next(iter(owners[0].labels))
    assert note.doc == {"n": 10, "s": "x"} and label.style == {"color": "red"}
    assert type(vars(label)["_loaded"][JtLabel._meta.attnames.index("style")]) is str
    note.doc["n"] = 1
    label.style["color"] = "blue"
    await note.save()
    await label.save()
    assert (await JtNote.objects.get(id=note.id)).doc["n"] == 1
    assert (await JtLabel.objects.get(id=label.id)).style == {"color": "blue"}


async def test_slices_read_json_as_text_around_the_page(db):
    notes = await _notes()
    # Every row OFFSET skips, or a sort under LIMIT discards, would be converted to text in
    # the statement's own select list: the page is a subquery, the casts are around it.
    with capture_queries() as queries:
        page = await JtNote.objects.order_by("title")[1:3]
        first = await JtNote.objects.order_by("title").first()
        last = await JtNote.objects.order_by("title").last()
        rows = await JtNote.objects.order_by("-title").values("title", "doc")[1:4]
    for sql in queries.sql:
        outer, _, inner = sql.partition("FROM (SELECT")
        assert "CAST(anon_1.doc AS TEXT)" in outer and "LIMIT" not in outer
        assert "CAST" not in inner and "LIMIT" in inner and "ORDER BY" in inner
    with capture_queries() as queries:
        got = await JtNote.objects.get(title="a")  # LIMIT, no ORDER BY: only what is sent
        top = await JtNote.objects.filter(title="b")[:1]
    assert all("CAST(jt_note.doc AS TEXT)" in q for q in queries.sql)
    position = JtNote._meta.attnames.index("doc")
    assert vars(got)["_loaded"][position] == '{"n": 10, "s": "x"}' and top[0].doc == {"n": 9}
    assert [n.title for n in page] == ["b", "c"]  # the subquery's order
    assert [n.doc for n in page] == [{"n": 9}, "just a string"]
    assert type(vars(page[0])["_loaded"][position]) is str
    assert first is not None and first.doc == {"n": 10, "s": "x"}
    assert last is not None and last.doc == [1, 2.5, None, True]
    assert rows == [
        {"title": "d", "doc": None},
        {"title": "c", "doc": "just a string"},
        {"title": "b", "doc": {"n": 9}},
    ]
    page[0].doc["n"] = 8
    await page[0].save()
    assert (await JtNote.objects.get(title="b")).doc == {"n": 8}
    # Joined rows and annotations keep their places around the page.
    with capture_queries() as queries:
        joined = await (
            JtNote.objects.select_related("owner")
            .annotate(size=sa.func.length(sa.literal_column("jt_note.title")))
            .order_by("title")[:2]
        )
    assert "CAST(anon_1.doc AS TEXT)" in queries.sql[0]
    assert [(n.title, n.doc, n.size) for n in joined] == [
        ("a", {"n": 10, "s": "x"}, 1),
        ("b", {"n": 8}, 1),
    ]
    assert joined[0].owner.settings == {"theme": "dark", "sizes": [1, 2]}
    assert joined[0].owner.id == notes[0].owner_id and joined[1].owner is None


async def test_locked_slices_read_json_as_the_driver_does(db):
    await _notes()
    async with aksara.transaction():
        with capture_queries() as queries:
            locked = await JtNote.objects.select_for_update().order_by("title")[1:3]
    assert "CAST" not in queries.sql[0] and "FOR UPDATE" in queries.sql[0]
    assert [n.doc for n in locked] == [{"n": 9}, "just a string"]
    locked[0].doc["n"] = 7
    await locked[0].save()
    assert (await JtNote.objects.get(title="b")).doc == {"n": 7}


async def test_values_decode_json_read_as_text(db):
    await _notes()
    with capture_queries() as queries:
        dicts = await JtNote.objects.order_by("title").values("title", "doc")
        tuples = await JtNote.objects.order_by("title").values_list("doc", "tags")
        flat = await JtNote.objects.order_by("title").values_list("doc", flat=True)
        named = await JtNote.objects.order_by("title").values_list("doc", named=True)
        keys = await JtNote.objects.order_by("title").values_list("doc__n", flat=True)
    assert all("CAST(jt_note.doc AS TEXT)" in q for q in queries.sql[:4])
    assert "CAST" not in queries.sql[4]  # a key of the document: JSONB, as it is
    docs = [{"n": 10, "s": "x"}, {"n": 9}, "just a string", None, [1, 2.5, None, True]]
    assert [d["doc"] for d in dicts] == docs
    assert [t[0] for t in tuples] == docs and tuples[1][1] == ["t"]
    assert flat == docs and [n.doc for n in named] == docs
    assert keys == [10, 9, None, None, None]


class _Rollback(Exception):
    pass


async def test_a_json_deserializer_of_the_engine_decodes_every_read(db, monkeypatch):
    monkeypatch.setattr(_json_text, "enabled", True)  # as it was, after the test
    before = get_database()
    set_database(None)  # connect() closes the database connected before: not the test's
    decode = functools.partial(json.loads, parse_float=Decimal)
    try:
        database = await aksara.connect(before.url, json_deserializer=decode)
        assert not _json_text.enabled
        with pytest.raises(_Rollback):
            async with aksara.transaction():
                note = await JtNote.objects.create(title="d", doc={"x": 1.5})
                with capture_queries() as queries:
                    loaded = await JtNote.objects.get(id=note.id)
                    docs = await JtNote.objects.filter(id=note.id).values_list("doc", flat=True)
                assert not any("CAST" in q for q in queries.sql)
                assert loaded.doc == {"x": Decimal("1.5")} and docs == [{"x": Decimal("1.5")}]
                raise _Rollback
        await database.close()
    finally:
        set_database(before)
        for model in registry.models.values():  # no statement built without text reads stays
            model._meta.plans.clear()


async def test_pages_counted_whole_and_names_a_subquery_cannot_keep(db):
    await _notes()
    # fetch_with_count() counts every matching row, not the page's (its window is where
    # LIMIT and OFFSET are, with or without joins).
    page, total = await JtNote.objects.order_by("title")[1:3].fetch_with_count()
    assert [n.doc for n in page] == [{"n": 9}, "just a string"] and total == 5
    first, total = await JtNote.objects.order_by("title")[:2].fetch_with_count()
    assert len(first) == 2 and total == 5
    rows, total = (
        await JtNote.objects.order_by("title").values("title", "doc")[1:3].fetch_with_count()
    )
    assert [r["title"] for r in rows] == ["b", "c"] and total == 5
    joined, total = (
        await JtNote.objects.select_related("owner").order_by("title")[1:3].fetch_with_count()
    )
    assert [n.title for n in joined] == ["b", "c"] and total == 5
    # An annotation named as a joined model's column, a path selected twice: such pages
    # read their JSON through the driver.
    clash = await (
        JtNote.objects.select_related("owner").annotate(settings=F("title")).order_by("title")[:2]
    )
    assert [(n.settings, n.doc) for n in clash] == [("a", {"n": 10, "s": "x"}), ("b", {"n": 9})]
    assert clash[0].owner.settings == {"theme": "dark", "sizes": [1, 2]}
    twice = await JtNote.objects.order_by("title").values_list(
        "doc", "owner__settings", "owner__settings"
    )[:1]
    settings = {"theme": "dark", "sizes": [1, 2]}
    assert twice == [({"n": 10, "s": "x"}, settings, settings)]
