"""Array fields on the real database."""

import uuid

import pytest

from aksara import fields
from aksara.exceptions import ConfigurationError, QueryError
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import FcArray


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("tags", "text[]"),
        ("scores", "integer[]"),
        ("ratings", "double precision[]"),
        ("flags", "boolean[]"),
        ("refs", "uuid[]"),
    ],
)
async def test_column_types(db, field, expected):
    assert await column_type(FcArray, field) == expected


async def test_round_trip(db):
    ref = uuid.uuid4()
    created = await FcArray.objects.create(
        tags=("python", "async", "orm"),
        scores=[100, -250, 2**31 - 1],
        ratings=[4.5, 0.1],
        flags=[True, False],
        refs=[str(ref)],
    )
    assert created.tags == ["python", "async", "orm"]
    assert created.refs == [ref]
    loaded = await FcArray.objects.get(pk=created.pk)
    assert loaded.tags == ["python", "async", "orm"] and isinstance(loaded.tags, list)
    assert loaded.scores == [100, -250, 2**31 - 1]
    assert loaded.ratings == [4.5, 0.1]
    assert loaded.flags == [True, False]
    assert loaded.refs == [ref]


async def test_null_and_empty_round_trip(db):
    created = await FcArray.objects.create()
    loaded = await FcArray.objects.get(pk=created.pk)
    assert loaded.tags == [] and loaded.scores is None and loaded.refs is None


async def test_in_place_mutation_is_saved(db):
    article = await FcArray.objects.create(tags=["python"], scores=[1])
    article.tags.append("database")
    article.scores[0] = 2
    await article.save()
    loaded = await FcArray.objects.get(pk=article.pk)
    assert loaded.tags == ["python", "database"] and loaded.scores == [2]
    loaded.tags.remove("python")
    await loaded.save()
    assert (await FcArray.objects.get(pk=article.pk)).tags == ["database"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tags", "python", "Expected a list"),
        ("tags", ["ok", 3], "Item 1: Expected string"),
        ("tags", ["ok", None], "Item 1: array elements cannot be null"),
        ("scores", [1, "two"], "Item 1: Expected integer"),
        ("scores", [2**31], "Item 0: Value 2147483648 is out of range"),
        ("ratings", [1.0, "nan"], "Item 1: Expected a finite number"),
        ("flags", [1], "Item 0: Expected boolean"),
        ("refs", ["nope"], "Item 0: Invalid UUID"),
        ("tags", None, "cannot be null"),
    ],
)
async def test_rejected_values_write_nothing(db, field, value, message):
    await assert_rejected(FcArray, field, message, **{field: value})


async def make_articles():
    await FcArray.objects.create(tags=["python", "async", "orm"], scores=[1, 2, 3])
    await FcArray.objects.create(tags=["python"], scores=[5])
    await FcArray.objects.create(tags=["rust", "async"], scores=[])


async def tag_sets(qs):
    return sorted(tuple(a.tags) for a in await qs)


async def test_contains_contained_by_overlap_len(db):
    await make_articles()
    qs = FcArray.objects
    assert await tag_sets(qs.filter(tags__contains=["python", "async"])) == [
        ("python", "async", "orm"),
    ]
    assert await tag_sets(qs.filter(tags__contains="async")) == [
        ("python", "async", "orm"),
        ("rust", "async"),
    ]
    assert await tag_sets(qs.filter(tags__contained_by=["python", "rust", "async"])) == [
        ("python",),
        ("rust", "async"),
    ]
    assert await tag_sets(qs.filter(tags__overlap=["orm", "rust"])) == [
        ("python", "async", "orm"),
        ("rust", "async"),
    ]
    assert await tag_sets(qs.filter(tags__len=1)) == [("python",)]
    assert await tag_sets(qs.filter(scores__len=0)) == [("rust", "async")]
    assert await tag_sets(qs.filter(tags__len__gte=2)) == [
        ("python", "async", "orm"),
        ("rust", "async"),
    ]
    assert await tag_sets(qs.filter(scores__contains=[2, 3])) == [("python", "async", "orm")]


async def test_exact_in_and_index(db):
    await make_articles()
    qs = FcArray.objects
    assert await tag_sets(qs.filter(tags=["python"])) == [("python",)]
    assert await tag_sets(qs.filter(tags__in=[["python"], ["rust", "async"]])) == [
        ("python",),
        ("rust", "async"),
    ]
    assert await tag_sets(qs.filter(tags__0="python")) == [("python",), ("python", "async", "orm")]
    assert await tag_sets(qs.filter(tags__2="orm")) == [("python", "async", "orm")]
    assert await tag_sets(qs.filter(tags__1="async")) == [
        ("python", "async", "orm"),
        ("rust", "async"),
    ]
    assert await tag_sets(qs.filter(scores__0__gt=1)) == [("python",)]


async def test_bad_filter_values_are_query_errors(db):
    with pytest.raises(QueryError, match="Expected integer"):
        await FcArray.objects.filter(scores__contains=["x"])
    with pytest.raises(QueryError):
        await FcArray.objects.filter(tags__overlap=None)


def test_bad_base_type_fails_at_definition():
    with pytest.raises(ConfigurationError, match="base_type"):
        fields.Array(base_type="json")


def test_describe():
    info = fields.Array(base_type="integer").describe()
    assert info["items"] == {"type": "integer"}
