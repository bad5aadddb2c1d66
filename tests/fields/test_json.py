"""JSON fields: round trips and key-path queries on the real database."""

import pytest

from aksara import Q
from aksara.db import get_database
from aksara.exceptions import QueryError
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import FcDocument


async def make_documents():
    docs = {
        "dark": {"theme": "dark", "score": 10, "tags": ["a", "b"], "limits": {"daily": {"max": 5}}},
        "light": {"theme": "light", "score": 9, "tags": ["b"], "limits": {"daily": {"max": 50}}},
        "text_score": {"theme": "dark", "score": "11"},
        "bool_score": {"score": True},
        "null_theme": {"theme": None},
        "empty": {},
    }
    made = {}
    for name, metadata in docs.items():
        made[name] = await FcDocument.objects.create(metadata=metadata, config={"name": name})
    return made


async def names(qs):
    return sorted(d.config["name"] for d in await qs)


async def test_column_type(db):
    assert await column_type(FcDocument, "metadata") == "jsonb"


@pytest.mark.parametrize(
    "value",
    [{"a": [1, 2.5, None, True, "x"], "b": {"c": {}}}, [1, "two"], "text", 42, 1.5, True, []],
)
async def test_round_trip(db, value):
    created = await FcDocument.objects.create(metadata=value)
    loaded = await FcDocument.objects.get(pk=created.pk)
    assert loaded.metadata == value and type(loaded.metadata) is type(value)


async def test_null_round_trip_and_default(db):
    created = await FcDocument.objects.create()
    loaded = await FcDocument.objects.get(pk=created.pk)
    assert loaded.metadata == {} and loaded.config is None
    assert await FcDocument.objects.filter(config__isnull=True).count() == 1
    raw = await get_database().fetchval(
        "SELECT config IS NULL FROM fc_document WHERE id = $1", [created.pk]
    )
    assert raw is True


async def test_in_place_changes_are_saved(db):
    doc = await FcDocument.objects.create(metadata={"tags": ["a"]})
    doc.metadata["tags"].append("b")
    await doc.save()
    assert (await FcDocument.objects.get(pk=doc.pk)).metadata == {"tags": ["a", "b"]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"when": object()}, "not JSON serialisable"),
        ({1, 2}, "not JSON serialisable"),
        ({"x": float("nan")}, "not JSON serialisable"),
        (None, "cannot be null"),
    ],
)
async def test_rejected_values_write_nothing(db, value, message):
    await assert_rejected(FcDocument, "metadata", message, metadata=value)


async def test_key_path_equality(db):
    await make_documents()
    assert await names(FcDocument.objects.filter(metadata__theme="dark")) == ["dark", "text_score"]
    assert await names(FcDocument.objects.filter(metadata__limits__daily__max=5)) == ["dark"]
    assert await names(FcDocument.objects.filter(metadata__tags=["b"])) == ["light"]
    assert await names(FcDocument.objects.filter(metadata__tags__0="a")) == ["dark"]
    # NOT (key = value) is unknown where the key is missing, as for any NULL in SQL.
    assert await names(FcDocument.objects.exclude(metadata__theme="dark")) == [
        "light",
        "null_theme",
    ]


async def test_numbers_compare_as_numbers_of_json_type_number(db):
    await make_documents()
    # 10 > 9 as numbers (as text "10" < "9"); "11" (a string) and true are not numbers.
    assert await names(FcDocument.objects.filter(metadata__score__gt=9)) == ["dark"]
    assert await names(FcDocument.objects.filter(metadata__score__gte=9)) == ["dark", "light"]
    assert await names(FcDocument.objects.filter(metadata__score__lt=10)) == ["light"]
    assert await names(FcDocument.objects.filter(metadata__score=10)) == ["dark"]
    assert await names(FcDocument.objects.filter(metadata__score="11")) == ["text_score"]
    assert await names(FcDocument.objects.filter(metadata__limits__daily__max__gte=6)) == ["light"]
    assert await names(FcDocument.objects.filter(metadata__score__in=[9, "11"])) == [
        "light",
        "text_score",
    ]


async def test_json_null_and_missing_key_are_told_apart(db):
    await make_documents()
    assert await names(FcDocument.objects.filter(metadata__theme=None)) == ["null_theme"]
    assert await names(FcDocument.objects.filter(metadata__theme__isnull=True)) == [
        "bool_score",
        "empty",
    ]
    assert await names(FcDocument.objects.filter(metadata__has_key="theme")) == [
        "dark",
        "light",
        "null_theme",
        "text_score",
    ]
    assert await names(FcDocument.objects.filter(metadata__theme__isnull=False)) == [
        "dark",
        "light",
        "null_theme",
        "text_score",
    ]


async def test_containment_and_key_sets(db):
    await make_documents()
    assert await names(FcDocument.objects.filter(metadata__contains={"theme": "dark"})) == [
        "dark",
        "text_score",
    ]
    assert await names(FcDocument.objects.filter(metadata__tags__contains=["b"])) == [
        "dark",
        "light",
    ]
    assert await names(
        FcDocument.objects.filter(metadata__contained_by={"score": True, "x": 1})
    ) == [
        "bool_score",
        "empty",
    ]
    assert await names(FcDocument.objects.filter(metadata__has_keys=["theme", "score"])) == [
        "dark",
        "light",
        "text_score",
    ]
    assert await names(FcDocument.objects.filter(metadata__has_any_keys=["tags", "x"])) == [
        "dark",
        "light",
    ]
    assert await names(FcDocument.objects.filter(metadata__limits__has_key="daily")) == [
        "dark",
        "light",
    ]


async def test_text_lookups_on_string_values(db):
    await make_documents()
    assert await names(FcDocument.objects.filter(metadata__theme__startswith="li")) == ["light"]
    assert await names(FcDocument.objects.filter(metadata__theme__iexact="DARK")) == [
        "dark",
        "text_score",
    ]
    assert await names(FcDocument.objects.filter(metadata__theme__icontains="AR")) == [
        "dark",
        "text_score",
    ]


async def test_q_objects_and_ordering_by_key(db):
    await make_documents()
    qs = FcDocument.objects.filter(Q(metadata__theme="light") | Q(metadata__score=True))
    assert await names(qs) == ["bool_score", "light"]
    ordered = FcDocument.objects.filter(metadata__has_key="limits").order_by("-metadata__score")
    assert [d.config["name"] for d in await ordered] == ["dark", "light"]


async def test_key_names_are_bound_parameters_not_sql(db):
    await make_documents()
    key = "theme') = '1' OR ('1"
    assert await FcDocument.objects.filter(**{f"metadata__{key}": "x"}).count() == 0
    qs = FcDocument.objects.filter(metadata__theme="dark")
    sql, args = qs.sql()
    assert "theme" not in sql and "dark" not in sql
    assert "theme" in args


async def test_bad_filter_values_are_query_errors(db):
    with pytest.raises(QueryError):
        await FcDocument.objects.filter(metadata__theme=object())
    with pytest.raises(QueryError):
        await FcDocument.objects.filter(metadata__score__gt=None)
    with pytest.raises(QueryError):
        await FcDocument.objects.filter(metadata__has_key=1)
