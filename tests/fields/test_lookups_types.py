"""Compile tests (no database): the SQL and parameters of type-specific lookups."""

import sqlalchemy as sa

from aksara.query._compile import Plan
from aksara.types import DurationType, EnumType, FilePathType, IPAddressType, SlugType
from tests.fields.models import FcArray, FcDocument, FcEmbedding, FcStatus, FcTime


def compiled(qs):
    return qs.sql()


def test_json_key_paths_bind_keys_and_values():
    sql, args = compiled(FcDocument.objects.filter(metadata__limits__daily__max__gte=5))
    assert "limits" not in sql and "daily" not in sql
    assert "(fc_document.metadata -> $" in sql and "jsonb_typeof" in sql
    assert args.count("limits") == 1 and "daily" in args and "max" in args
    assert "5" in args and "number" in args


def test_json_null_and_has_key():
    sql, args = compiled(FcDocument.objects.filter(metadata__theme=None))
    assert "'null'::jsonb" in sql and args == ["theme"]
    sql, args = compiled(FcDocument.objects.filter(metadata__has_key="theme"))
    assert "?" in sql and args == ["theme"]


def test_array_operators():
    sql, args = compiled(FcArray.objects.filter(tags__overlap=["a", "b"]))
    assert "fc_array.tags && $1::TEXT[]" in sql and args == [["a", "b"]]
    sql, args = compiled(FcArray.objects.filter(tags__len__gt=2))
    assert "cardinality(fc_array.tags) > $1" in sql and args == [2]


def test_date_parts_extract_in_utc():
    sql, args = compiled(FcTime.objects.filter(scheduled_at__year=2024))
    assert "EXTRACT(year FROM timezone($1::VARCHAR, fc_time.scheduled_at))" in sql
    assert args == ["UTC", 2024]


def test_vector_distances():
    sql, args = compiled(
        FcEmbedding.objects.filter(embedding__cosine_distance__lt=([1, 0, 0], 0.5))
    )
    # The query vector travels in pgvector's binary format (aksara.db.vector_codec); the
    # columns are read as pgvector's text.
    assert "(fc_embedding.embedding <=> CAST($1 AS VECTOR(3))) < $2" in sql
    assert "CAST(fc_embedding.embedding AS TEXT) AS embedding" in sql
    assert args == [[1.0, 0.0, 0.0], 0.5]
    sql, _ = compiled(FcEmbedding.objects.filter(embedding__l1_distance__lt=([1, 0, 0], 0.5)))
    assert "l1_distance(fc_embedding.embedding, CAST($1 AS VECTOR(3))) < $2" in sql


def test_same_shape_reuses_the_plan():
    first, _ = FcDocument.objects.filter(metadata__theme="dark").sql()
    plans = len(FcDocument._meta.plans)
    second, args = FcDocument.objects.filter(metadata__theme="light").sql()
    assert first == second and args == ["theme", '"light"']
    assert len(FcDocument._meta.plans) == plans


def test_types_are_cacheable_and_compile_to_their_postgresql_types():
    for type_ in (
        DurationType(),
        SlugType(50),
        EnumType(FcStatus),
        IPAddressType(),
        FilePathType(100),
    ):
        assert type_.cache_ok
        column = sa.column("x", type_)
        assert Plan(sa.select(column).where(column == sa.bindparam("p0", type_=type_))).sql
    assert SlugType(50)._static_cache_key == SlugType(50)._static_cache_key
    assert SlugType(50)._static_cache_key != SlugType(60)._static_cache_key
    dialect = Plan.__init__.__globals__["DIALECT"]
    assert DurationType().compile(dialect=dialect) == "INTERVAL"
    assert SlugType(50).compile(dialect=dialect) == "VARCHAR(50)"
    assert EnumType(FcStatus).compile(dialect=dialect) == "VARCHAR"
    assert IPAddressType().compile(dialect=dialect) == "INET"


def test_type_conversions():
    dialect = Plan.__init__.__globals__["DIALECT"]
    duration = DurationType().bind_processor(dialect)
    assert duration is None or duration(90)
    assert DurationType().process_bind_param(90, dialect).total_seconds() == 90
    assert EnumType(FcStatus).process_bind_param("draft", dialect) == "draft"
    assert EnumType(FcStatus).process_result_value("archived", dialect) is FcStatus.ARCHIVED
    assert (
        IPAddressType().process_result_value(
            __import__("ipaddress").ip_address("::ffff:192.0.2.1"), dialect
        )
        == "::ffff:192.0.2.1"
    )
