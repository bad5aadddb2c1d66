"""Pydantic schemas generated from models (no database needed)."""

import datetime as dt
import uuid

import pydantic
import pytest

from aksara.contrib.fastapi import schema_for
from aksara.exceptions import ConfigurationError
from tests.contrib.fastapi.models import Gizmo, GizmoMaker


def test_create_schema_has_writable_fields_required_unless_defaulted_or_nullable():
    schema = schema_for(Gizmo, "create")
    assert schema.__name__ == "GizmoCreate"
    assert list(schema.model_fields) == [
        "name",
        "sku",
        "level",
        "stock",
        "notes",
        "active",
        "extra",
        "ref",
    ]  # no automatic id, no auto_now_add timestamp
    required = {name for name, info in schema.model_fields.items() if info.is_required()}
    assert required == {"name", "sku"}
    payload = schema(name="Sprocket", sku="SPR-001")
    assert payload.model_dump() == {
        "name": "Sprocket",
        "sku": "SPR-001",
        "level": "low",
        "stock": 0,
        "notes": None,
        "active": True,
        "extra": {},
        "ref": None,
    }
    assert schema(name="Sprocket", sku="SPR-001").extra is not payload.extra


def test_create_schema_enforces_field_options():
    schema = schema_for(Gizmo, "create")
    with pytest.raises(pydantic.ValidationError) as caught:
        schema(name="x" * 101, sku="XABC-123", level="mid", stock=1001, notes=None)
    failed = {error["loc"][0]: error["type"] for error in caught.value.errors()}
    assert failed == {
        "name": "string_too_long",
        "sku": "string_pattern_mismatch",  # the whole value must match, as in the model
        "level": "literal_error",
        "stock": "less_than_equal",
    }
    with pytest.raises(pydantic.ValidationError):
        schema(name="a", sku="ABC-123")  # min_length=2
    with pytest.raises(pydantic.ValidationError):
        schema(name="Sprocket", sku="ABC-123", active=None)  # not nullable


def test_update_schema_makes_every_field_optional_and_keeps_what_was_sent():
    schema = schema_for(Gizmo, "update")
    assert not any(info.is_required() for info in schema.model_fields.values())
    payload = schema.model_validate({"stock": 5, "notes": None})
    assert payload.model_dump(exclude_unset=True) == {"stock": 5, "notes": None}
    with pytest.raises(pydantic.ValidationError):
        schema.model_validate({"name": None})  # a non-nullable field cannot be cleared
    properties = schema.model_json_schema()["properties"]
    assert all("default" not in prop for prop in properties.values())
    assert properties["stock"]["maximum"] == 1000


def test_read_schema_is_built_from_an_instance():
    schema = schema_for(Gizmo)
    assert schema is schema_for(Gizmo, "read")  # cached
    assert schema.__name__ == "GizmoRead"
    gizmo = Gizmo(name="Sprocket", sku="SPR-001", created_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    read = schema.model_validate(gizmo)
    assert read.id == gizmo.id and isinstance(read.id, uuid.UUID)
    assert read.model_dump(mode="json")["created_at"] == "2024-01-02T00:00:00Z"
    assert all(info.is_required() for info in schema.model_fields.values())


def test_read_schema_documents_constraints_without_enforcing_them():
    schema = schema_for(Gizmo)
    properties = schema.model_json_schema(mode="serialization")["properties"]
    assert properties["sku"]["pattern"] == r"^(?:[A-Z]{3}-\d{3})$"
    assert properties["level"]["enum"] == ["low", "high"]
    legacy = Gizmo(name="x", sku="old-style", level="legacy", created_at=dt.datetime.now(dt.UTC))
    assert schema.model_validate(legacy).level == "legacy"  # a stored row is never refused


def test_include_exclude_and_name():
    brief = schema_for(Gizmo, include=["id", "name"], name="GizmoBrief")
    assert brief.__name__ == "GizmoBrief" and list(brief.model_fields) == ["id", "name"]
    without = schema_for(Gizmo, "create", exclude=["extra", "ref"])
    assert without.__name__ == "GizmoCreateWithoutExtraRef"
    assert "extra" not in without.model_fields and "name" in without.model_fields
    stamped = schema_for(Gizmo, "create", include=["name", "created_at"])
    assert stamped.__name__ == "GizmoCreateWithNameCreatedAt"
    assert list(stamped.model_fields) == ["name", "created_at"]  # explicitly asked for
    with pytest.raises(ConfigurationError, match="Gizmo has no field 'nope'"):
        schema_for(Gizmo, exclude=["nope"])
    with pytest.raises(ConfigurationError, match="variant"):
        schema_for(Gizmo, "delete")  # type: ignore[arg-type]


def test_declared_primary_key_is_writable_and_choices_of_any_kind_are_checked():
    schema = schema_for(GizmoMaker, "create")
    assert list(schema.model_fields) == ["code", "name", "since", "favourite"]
    assert schema.model_fields["code"].is_required()
    assert schema(code="ACME", name="Acme", favourite={"tone": "cool"}).favourite == {
        "tone": "cool"
    }
    with pytest.raises(pydantic.ValidationError, match="not a valid choice"):
        schema(code="ACME", name="Acme", favourite={"tone": "loud"})
    properties = schema.model_json_schema()["properties"]
    assert properties["favourite"]["anyOf"][0]["enum"] == [{"tone": "warm"}, {"tone": "cool"}]
    assert properties["code"]["maxLength"] == 8


def test_subset_schemas_have_their_own_names_in_openapi():
    from aksara.contrib.fastapi import Aksara

    app = Aksara()

    @app.get("/full", response_model=schema_for(Gizmo))
    async def full(): ...

    @app.get("/brief", response_model=schema_for(Gizmo, include=["id", "name"]))
    async def brief(): ...

    assert set(app.openapi()["components"]["schemas"]) == {"GizmoRead", "GizmoReadWithIdName"}


def test_model_schema_classes_are_schema_for_as_a_class_statement():
    from aksara import ModelSchema
    from aksara.contrib.fastapi import Aksara

    class GizmoIn(ModelSchema, model=Gizmo, variant="create", exclude=["extra"]):
        tags: list[str] = []

    class GizmoOut(ModelSchema, model=Gizmo, read_only=["sku"]):
        pass

    class Plain(ModelSchema):
        note: str

    generated = schema_for(Gizmo, "create", exclude=["extra"])
    assert issubclass(GizmoIn, ModelSchema)
    assert list(GizmoIn.model_fields) == [*generated.model_fields, "tags"]
    with pytest.raises(pydantic.ValidationError) as caught:
        GizmoIn(name="x" * 101, sku="SPR-001")  # the model's constraints, as in schema_for
    assert [e["loc"] for e in caught.value.errors()] == [("name",)]
    payload = GizmoIn(name="Sprocket", sku="SPR-001", tags=["a"])
    assert payload.model_dump()["tags"] == ["a"] and "extra" not in payload.model_dump()
    gizmo = Gizmo(name="Sprocket", sku="SPR-001", created_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    assert GizmoOut.model_validate(gizmo).model_dump()["name"] == "Sprocket"  # from attributes
    assert list(Plain.model_fields) == ["note"]

    app = Aksara()

    @app.post("/gizmos", response_model=GizmoOut)
    async def create(payload: GizmoIn): ...

    assert {"GizmoIn", "GizmoOut"} <= set(app.openapi()["components"]["schemas"])
    with pytest.raises(ConfigurationError, match="variant"):

        class Wrong(ModelSchema, model=Gizmo, variant="delete"):  # type: ignore[arg-type]
            pass


def test_model_schema_options_need_a_model_and_one_model_only():
    from aksara import ModelSchema

    class GizmoOut(ModelSchema, model=Gizmo):
        pass

    class GizmoOutMore(GizmoOut):  # a plain subclass keeps the fields
        extra_note: str = ""

    assert "sku" in GizmoOutMore.model_fields and "extra_note" in GizmoOutMore.model_fields
    with pytest.raises(ConfigurationError, match="name it"):

        class Public(GizmoOut, exclude=["sku"]):
            pass

    with pytest.raises(ConfigurationError, match="already has the fields of Gizmo"):

        class Mixed(GizmoOut, model=GizmoMaker):
            pass

    for wrong in (int, "Gizmo", Gizmo(name="x", sku="ABC-123")):
        with pytest.raises(ConfigurationError, match="takes an aksara Model class"):

            class Wrong(ModelSchema, model=wrong):  # type: ignore[arg-type]
                pass


def test_a_model_schema_named_like_a_generated_schema_keeps_its_name_in_openapi():
    from aksara import ModelSchema
    from aksara.contrib.fastapi import Aksara

    class GizmoCreate(ModelSchema, model=Gizmo, variant="create"):
        tags: list[str] = []

    app = Aksara()

    @app.post("/a", response_model=schema_for(Gizmo))
    async def a(payload: GizmoCreate): ...

    assert set(app.openapi()["components"]["schemas"]) >= {"GizmoRead", "GizmoCreate"}
    assert not any(name.endswith("Fields") for name in app.openapi()["components"]["schemas"])


def test_read_only_fields_are_left_out_of_writes_even_when_included_and_name_the_schema():
    plain = schema_for(Gizmo, "update")
    locked = schema_for(Gizmo, "update", read_only=["sku"])
    assert locked.__name__ == "GizmoUpdateReadOnlySku" != plain.__name__
    assert "sku" not in locked.model_fields and "sku" in plain.model_fields
    picked = schema_for(Gizmo, "create", include=["name", "sku"], read_only=["sku"])
    assert list(picked.model_fields) == ["name"]
    assert "sku" in schema_for(Gizmo, include=["name", "sku"], read_only=["sku"]).model_fields
