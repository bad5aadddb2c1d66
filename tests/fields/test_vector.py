"""Vector fields: float32 round trips, distance filters, nearest neighbours with HNSW."""

import math
import random

import numpy as np
import pytest

from aksara import fields
from aksara.db import get_database
from aksara.exceptions import ConfigurationError, QueryError, ValidationError
from aksara.testing import capture_queries
from aksara.types import float32, float32_list
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import FcEmbedding, FcNeighbour


async def test_column_types(db):
    assert await column_type(FcEmbedding, "embedding") == "vector(3)"
    assert await column_type(FcEmbedding, "free") == "vector"


async def test_round_trip_reads_back_the_values_written(db):
    document = await FcEmbedding.objects.create(title="Intro", embedding=[0.12, 0.33, 0.98])
    assert document.embedding == [0.12, 0.33, 0.98]
    loaded = await FcEmbedding.objects.get(pk=document.pk)
    assert loaded.embedding == [0.12, 0.33, 0.98]
    assert all(type(x) is float for x in loaded.embedding)


@pytest.mark.parametrize(
    "value",
    [
        [1 / 3, 2 / 3, 1e-7],
        (1, -2, 3),
        [16777217.0, 3.4e38, -1e-30],
        [0.1 + 0.2, math.pi, -math.e],
        np.array([0.25, 0.5, 0.75], dtype=np.float32),
        np.array([1 / 3, 0.1, 7], dtype=np.float64),
    ],
)
async def test_clean_value_equals_the_value_read_back(db, value):
    document = await FcEmbedding.objects.create(embedding=value)
    loaded = await FcEmbedding.objects.get(pk=document.pk)
    assert document.embedding == loaded.embedding
    assert isinstance(loaded.embedding, list)
    text = await get_database().fetchval(
        "SELECT embedding::text FROM fc_embedding WHERE id = $1", [document.pk]
    )
    assert [float(x) for x in text[1:-1].split(",")] == loaded.embedding


async def test_float32_is_the_decimal_postgresql_prints(db):
    rng = random.Random(7)
    numbers = [rng.uniform(-1, 1) * 10 ** rng.randint(-38, 38) for _ in range(20000)]
    numbers += [s * 2.0**e for e in range(-126, 128) for s in (1, -1)]
    # Where float32s are 4 to 256 apart, many shortest decimals are ties between two.
    numbers += [float(rng.randint(2**25, 2**32)) for _ in range(5000)]
    printed = await db.fetchval("SELECT array_agg(x::text) FROM unnest($1::float4[]) x", [numbers])
    expected = [float(text) for text in printed]
    assert [float32(x) for x in numbers] == expected
    assert float32_list(numbers) == expected


async def test_null_and_any_dimension_round_trip(db):
    document = await FcEmbedding.objects.create(free=[1, 2, 3, 4, 5])
    loaded = await FcEmbedding.objects.get(pk=document.pk)
    assert loaded.embedding is None and loaded.free == [1.0, 2.0, 3.0, 4.0, 5.0]


async def test_in_place_changes_are_saved(db):
    document = await FcEmbedding.objects.create(embedding=[1, 2, 3])
    document.embedding[0] = 0.5
    await document.save()
    assert (await FcEmbedding.objects.get(pk=document.pk)).embedding == [0.5, 2.0, 3.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([0.1, 0.2], "Expected 3 dimensions, got 2"),
        ([0.1, 0.2, 0.3, 0.4], "Expected 3 dimensions, got 4"),
        ("0.1,0.2,0.3", "Expected a list of numbers"),
        ([0.1, "x", 0.3], "Item 1: expected a number"),
        ([0.1, True, 0.3], "Item 1: expected a number"),
        ([0.1, float("nan"), 0.3], "Item 1: NaN and infinity"),
        ([0.1, 1e39, 0.3], "out of range for float32"),
        (np.zeros((3, 1)), "1-dimensional"),
    ],
)
async def test_rejected_values_write_nothing(db, value, message):
    await assert_rejected(FcEmbedding, "embedding", message, embedding=value)


async def test_empty_vector_is_rejected(db):
    await assert_rejected(FcEmbedding, "free", "at least 1 dimension", free=[])


async def test_filters(db):
    await FcEmbedding.objects.create(title="x", embedding=[1, 0, 0])
    await FcEmbedding.objects.create(title="y", embedding=[0, 1, 0])
    await FcEmbedding.objects.create(title="xy", embedding=[1, 1, 0])
    await FcEmbedding.objects.create(title="none")
    qs = FcEmbedding.objects

    async def titles(**lookups):
        return sorted(d.title for d in await qs.filter(**lookups))

    assert await titles(embedding=[0, 1, 0]) == ["y"]
    assert await titles(embedding__isnull=True) == ["none"]
    assert await titles(embedding__l2_distance__lt=([1, 0, 0], 1.01)) == ["x", "xy"]
    assert await titles(embedding__l2_distance__lte=((1, 0, 0), 0)) == ["x"]
    assert await titles(embedding__cosine_distance__lt=([1, 0, 0], 0.5)) == ["x", "xy"]
    assert await titles(embedding__cosine_distance__gte=([1, 0, 0], 1)) == ["y"]
    # <#> is the negative inner product: -1 for x and xy, 0 for y.
    assert await titles(embedding__max_inner_product__lt=([1, 0, 0], -0.5)) == ["x", "xy"]
    assert await titles(embedding__l1_distance__gt=([1, 0, 0], 1.5)) == ["y"]


async def test_bad_distance_filters_are_query_errors(db):
    with pytest.raises(QueryError, match="pair"):
        await FcEmbedding.objects.filter(embedding__l2_distance__lt=[1, 0, 0])
    with pytest.raises(QueryError, match="__lt"):
        await FcEmbedding.objects.filter(embedding__l2_distance=([1, 0, 0], 1))
    with pytest.raises(QueryError, match="3 dimensions"):
        await FcEmbedding.objects.filter(embedding__l2_distance__lt=([1, 0], 1))
    with pytest.raises(QueryError, match="Unknown vector metric"):
        await FcEmbedding.objects.nearest("embedding", [1, 0, 0], metric="hamming")
    with pytest.raises(QueryError, match="not a Vector"):
        await FcEmbedding.objects.nearest("title", [1, 0, 0])
    with pytest.raises(QueryError, match="k="):
        await FcEmbedding.objects.nearest("embedding", [1, 0, 0], k=0)
    # k is written into the statement: bounded (a bigger k is a scan, not a search)
    with pytest.raises(QueryError, match="from 1 to 100000"):
        await FcEmbedding.objects.nearest("embedding", [1, 0, 0], k=2**63)


async def test_nearest_orders_by_each_metric_with_distances(db):
    await FcEmbedding.objects.create(title="x", embedding=[1, 0, 0])
    await FcEmbedding.objects.create(title="far", embedding=[10, 0, 0])
    await FcEmbedding.objects.create(title="y", embedding=[0, 2, 0])
    await FcEmbedding.objects.create(title="none")
    query = [1, 0.1, 0]
    by_l2 = await FcEmbedding.objects.nearest("embedding", query, k=2)
    assert [d.title for d in by_l2] == ["x", "y"]
    assert by_l2[0].distance == pytest.approx(0.1, rel=1e-5)
    by_cosine = await FcEmbedding.objects.nearest("embedding", query, k=None, metric="cosine")
    assert [d.title for d in by_cosine][:2] in (["x", "far"], ["far", "x"])
    assert by_cosine[-1].title == "y"
    by_ip = await FcEmbedding.objects.nearest("embedding", query, k=1, metric="inner_product")
    assert by_ip[0].title == "far" and by_ip[0].distance == pytest.approx(-10)
    by_l1 = await FcEmbedding.objects.nearest("embedding", query, k=3, metric="l1_distance")
    assert [d.title for d in by_l1] == ["x", "y", "far"]
    assert by_l1[1].distance == pytest.approx(2.9, rel=1e-5)
    filtered = await FcEmbedding.objects.filter(title__startswith="f").nearest("embedding", query)
    assert [d.title for d in filtered] == ["far"]
    only = await FcEmbedding.objects.only("title").nearest("embedding", query, k=1)
    assert only[0].title == "x" and "embedding" not in only[0].__dict__


async def test_hnsw_and_ivfflat_indexes_are_created_with_their_operator_classes(db):
    rows = await get_database().fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'fc_neighbour'", []
    )
    defs = {r["indexname"]: r["indexdef"] for r in rows}
    assert (
        "USING hnsw (embedding vector_l2_ops) WITH (m='16', ef_construction='64')"
        in (defs["ix_fc_neighbour_embedding_hnsw"])
    )
    assert (
        "USING ivfflat (other vector_ip_ops) WITH (lists='4')"
        in (defs["ix_fc_neighbour_other_ivfflat"])
    )


def exact_neighbours(points, query, k):
    q = np.asarray(query, dtype=np.float64)
    distances = np.linalg.norm(points - q, axis=1)
    order = np.argsort(distances, kind="stable")[:k]
    return order, distances


async def test_nearest_with_hnsw_matches_exact_search(db):
    rng = np.random.default_rng(42)
    points = rng.normal(size=(3000, 8)).astype(np.float32)
    await FcNeighbour.objects.bulk_create(
        [FcNeighbour(label=i, embedding=p) for i, p in enumerate(points)], batch_size=1000
    )
    database = get_database()
    await database.execute("ANALYZE fc_neighbour")
    stored = points.astype(np.float64)
    queries = rng.normal(size=(20, 8))
    hits = total = 0
    for query in queries:
        found = await FcNeighbour.objects.nearest("embedding", list(query), k=10, ef_search=100)
        expected, distances = exact_neighbours(stored, [float32(x) for x in query], 10)
        labels = [n.label for n in found]
        hits += len(set(labels) & set(expected.tolist()))
        total += 10
        for neighbour in found:
            assert neighbour.distance == pytest.approx(distances[neighbour.label], rel=1e-4)
        assert [n.distance for n in found] == sorted(n.distance for n in found)
    assert hits / total >= 0.95
    # pgvector's default ef_search (40) outside a transaction of our own: still close.
    default_hits = 0
    for query in queries:
        found = await FcNeighbour.objects.nearest("embedding", list(query), k=10)
        expected, _ = exact_neighbours(stored, [float32(x) for x in query], 10)
        default_hits += len({n.label for n in found} & set(expected.tolist()))
    assert default_hits / total >= 0.85

    with capture_queries() as captured:
        await FcNeighbour.objects.nearest("embedding", list(queries[0]), k=10)
    sql, args = captured.statements[-1]
    explain = await database.fetch("EXPLAIN " + sql, args)
    assert "ix_fc_neighbour_embedding_hnsw" in "\n".join(r[0] for r in explain)


def test_bad_dimensions_fail_at_definition():
    with pytest.raises(ConfigurationError):
        fields.Vector(dimensions=0)
    with pytest.raises(ConfigurationError):
        fields.Vector(dimensions=16001)


def test_clean_accepts_pgvector_values():
    from pgvector import Vector as PgVector

    assert fields.Vector(dimensions=2).clean(PgVector([0.5, 0.25])) == [0.5, 0.25]
    with pytest.raises(ValidationError):
        fields.Vector(dimensions=2).clean({"a": 1})


async def test_query_vectors_of_every_kind_find_the_same_rows(db):
    from pgvector import Vector as PgVector

    await FcEmbedding.objects.create(title="x", embedding=[1, 0, 0])
    await FcEmbedding.objects.create(title="y", embedding=[0, 1, 0])
    await FcEmbedding.objects.create(title="xy", embedding=[1, 1, 0])
    queries = [
        [1, 0.25, 0],
        (1.0, 0.25, 0.0),
        np.array([1, 0.25, 0]),
        np.array([1, 0.25, 0], dtype=np.float32),
        np.array([4, 1, 0]),  # integers: the same direction
        PgVector([1, 0.25, 0]),
    ]
    for query in queries:
        found = await FcEmbedding.objects.nearest("embedding", query, k=None, metric="cosine")
        assert [o.title for o in found] == ["x", "xy", "y"], query
        near = await FcEmbedding.objects.filter(embedding__l2_distance__lt=(query, 0.5))
        expected = ["x"] if not isinstance(query, np.ndarray) or query[0] == 1 else []
        assert [o.title for o in near] == expected, query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ([0.0, 1e39, 0.0], "Item 1: 1e\\+39 is out of range for float32"),
        (np.array([0.0, -1e39, 0.0]), "out of range for float32"),
        (np.array([0.0, np.nan, 0.0]), "NaN and infinity"),
        (np.array([True, False, True]), "expected a number, got bool"),
        (np.array([[1.0, 0.0, 0.0]]), "1-dimensional"),
        (np.array([1.0, 0.0]), "3 dimensions"),
    ],
)
async def test_bad_query_vectors_are_query_errors(db, query, message):
    with pytest.raises(QueryError, match=message):
        await FcEmbedding.objects.nearest("embedding", query)


async def test_vector_codec_is_installed_on_a_connection_when_it_first_needs_it(db):
    """A connection without pgvector's binary codec (opened before CREATE EXTENSION, say)
    gets it at its first vector parameter, inside a transaction too, and the statement runs."""
    await FcEmbedding.objects.create(title="x", embedding=[0.1, 0.2, 0.3])
    database = get_database()

    async def reset(raw):
        await raw.reset_type_codec("vector", schema="public")
        return await raw.fetchval("SELECT '[0.1,0.2,0.3]'::vector")

    assert await database.run_with(reset) == "[0.1,0.2,0.3]"  # text: no codec
    found = await FcEmbedding.objects.nearest("embedding", [0.1, 0.2, 0.3], k=1)
    assert [(o.title, o.distance) for o in found] == [("x", 0.0)]
    # The codec is back, and a hand-written query reads what the model reads.
    loaded = await FcEmbedding.objects.get(title="x")
    raw_read = await database.fetchval("SELECT embedding FROM fc_embedding WHERE title = 'x'")
    assert raw_read == loaded.embedding == [0.1, 0.2, 0.3]
    # A statement refused for another reason is not retried for ever.
    with pytest.raises(Exception, match="expected str, got list"):
        await database.fetchval("SELECT $1::text", [[1, 2]])
    # executemany (bulk_update) and multi-row VALUES (bulk_create) find their way too.
    for write in ("bulk_update", "bulk_create"):
        await database.run_with(reset)
        if write == "bulk_update":
            loaded.embedding = [0.5, 0.25, 0.125]
            await FcEmbedding.objects.bulk_update([loaded], ["embedding"])
        else:
            await FcEmbedding.objects.bulk_create(
                [FcEmbedding(title="y", embedding=[1, 2, 3]), FcEmbedding(title="z")]
            )
    stored = {o.title: o.embedding for o in await FcEmbedding.objects.all()}
    assert stored == {"x": [0.5, 0.25, 0.125], "y": [1.0, 2.0, 3.0], "z": None}


async def test_a_new_pool_installs_the_vector_codec_outside_transactions(db):
    from aksara.db import Database

    fresh = Database(get_database().url, pool_size=1, max_overflow=0)
    try:
        sql = "SELECT (CAST($1 AS VECTOR(3)) <-> CAST($2 AS VECTOR(3)))::float8"
        assert await fresh.fetchval(sql, [[3, 0, 0], np.array([0.0, 4.0, 0.0])]) == 5.0
        assert await fresh.fetchval("SELECT '[0.12, 0.5]'::vector") == [0.12, 0.5]
        # pgvector's text form, which hand-written SQL sent before the codec, still goes.
        text = "SELECT CAST($1 AS VECTOR(3))::text"
        assert await fresh.fetchval(text, ["[1, 2.5, 3]"]) == "[1,2.5,3]"
    finally:
        await fresh.close()


async def _first_vector_statement(monkeypatch, expected: bool) -> list[str]:
    """The statements a new connection runs for its first vector parameter."""
    import asyncio

    from aksara.db import Database
    from aksara.types import VectorType

    monkeypatch.setattr(VectorType, "in_use", expected)
    fresh = Database(get_database().url, pool_size=1, max_overflow=0)
    try:
        conn = await fresh.acquire()
        fresh.release(conn)
        queries: list[str] = []
        conn.raw.add_query_logger(lambda record: queries.append(record.query))
        sql = "SELECT (CAST($1 AS VECTOR(3)) <-> CAST($2 AS VECTOR(3)))::float8"
        assert await fresh.fetchval(sql, [[3, 0, 0], [0, 4, 0]]) == 5.0
        await asyncio.sleep(0)  # asyncpg calls its loggers soon after each statement
        return queries
    finally:
        await fresh.close()


async def test_a_new_connection_has_the_vector_codec_before_its_first_vector(db, monkeypatch):
    """Vector columns exist (``FcEmbedding``): connections get pgvector's codec as they
    open, so their first vector statement runs alone, without asyncpg's type introspection
    (about 12 ms) or a refused first try."""
    queries = await _first_vector_statement(monkeypatch, expected=True)
    assert len(queries) == 1 and "VECTOR(3)" in queries[0]
    # Otherwise the first vector parameter introspects, fails, installs the codec, reruns.
    queries = await _first_vector_statement(monkeypatch, expected=False)
    assert any("pg_catalog.pg_type" in q for q in queries) and len(queries) > 3


async def test_distances_as_annotations_order_and_filter(db):
    from aksara.query.functions import CosineDistance, L1Distance, L2Distance, MaxInnerProduct

    rows = [("x", [1.0, 0.0, 0.0]), ("y", [0.0, 1.0, 0.0]), ("xy", [1.0, 1.0, 0.0])]
    for title, vector in rows:
        await FcEmbedding.objects.create(title=title, embedding=vector)
    query = [1.0, 0.1, 0.0]
    ranked = (
        FcEmbedding.objects.annotate(
            cos=CosineDistance("embedding", query),
            l2=L2Distance("embedding", query),
            l1=L1Distance("embedding", query),
            ip=MaxInnerProduct("embedding", query),
        )
        .filter(cos__lt=0.5)
        .order_by("cos")
    )
    got = [
        (e.title, round(e.cos, 4), round(e.l2, 4), round(e.l1, 4), round(e.ip, 4))
        for e in await ranked
    ]
    expected = await get_database().fetch(
        "SELECT title, round((embedding <=> $1)::numeric, 4)::float8,"
        " round((embedding <-> $1)::numeric, 4)::float8,"
        " round(l1_distance(embedding, $1)::numeric, 4)::float8,"
        " round((embedding <#> $1)::numeric, 4)::float8"
        " FROM fc_embedding WHERE embedding <=> $1 < 0.5 ORDER BY embedding <=> $1",
        ["[1,0.1,0]"],
    )
    assert got == [tuple(r) for r in expected]
    assert [t for t, *_ in got] == ["x", "xy"]
    with pytest.raises(QueryError, match="Expected 3 dimensions"):
        await FcEmbedding.objects.annotate(d=L2Distance("embedding", [1.0, 2.0]))
    with pytest.raises(QueryError, match="not a Vector field"):
        FcEmbedding.objects.annotate(d=L2Distance("title", [1.0, 2.0, 3.0]))
