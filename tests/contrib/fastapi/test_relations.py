"""Relations in generated schemas and their database errors as HTTP responses."""

import uuid

import httpx

from aksara.contrib.fastapi import Aksara, DBTransaction, schema_for
from tests.contrib.fastapi.models import Gizmo, GizmoMaker, GizmoPart

PartCreate = schema_for(GizmoPart, "create")
PartRead = schema_for(GizmoPart)


def build_app() -> Aksara:
    app = Aksara()

    @app.post("/parts", response_model=PartRead, status_code=201)
    async def create_part(payload: PartCreate, db: DBTransaction):  # type: ignore[valid-type]
        return await GizmoPart.objects.create(**payload.model_dump())

    @app.delete("/gizmos/{gizmo_id}", status_code=204)
    async def delete_gizmo(gizmo_id: uuid.UUID, db: DBTransaction):
        gizmo = await Gizmo.objects.get(id=gizmo_id)
        await gizmo.delete()

    return app


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def test_foreign_keys_are_their_key_columns_in_schemas():
    assert list(PartCreate.model_fields) == ["gizmo_id", "maker_id", "name"]
    assert PartCreate.model_fields["gizmo_id"].is_required()
    assert not PartCreate.model_fields["maker_id"].is_required()
    properties = PartCreate.model_json_schema()["properties"]
    assert properties["gizmo_id"]["format"] == "uuid"
    assert properties["maker_id"]["anyOf"][0]["type"] == "string"  # GizmoMaker's key is a string
    assert list(schema_for(GizmoPart, include=["gizmo", "name"]).model_fields) == [
        "gizmo_id",
        "name",
    ]
    assert "gizmo_id" not in schema_for(GizmoPart, "update", exclude=["gizmo"]).model_fields


async def test_create_with_relations_and_their_integrity_errors(db):
    gizmo = await Gizmo.objects.create(name="Sprocket", sku="SPR-001")
    maker = await GizmoMaker.objects.create(code="ACME", name="Acme")
    async with client_for(build_app()) as client:
        created = await client.post(
            "/parts", json={"gizmo_id": str(gizmo.id), "maker_id": "ACME", "name": "cog"}
        )
        dangling = await client.post("/parts", json={"gizmo_id": str(uuid.uuid4()), "name": "x"})
        protected = await client.delete(f"/gizmos/{gizmo.id}")
    assert created.status_code == 201, created.text
    assert created.json()["gizmo_id"] == str(gizmo.id)
    assert created.json()["maker_id"] == maker.code
    assert dangling.status_code == 409
    assert "fk_gizmo_part_gizmo_id_gizmo" in dangling.json()["detail"]
    assert protected.status_code == 409  # RESTRICT: the gizmo still has parts
    assert await Gizmo.objects.filter(id=gizmo.id).exists()
    assert await GizmoPart.objects.count() == 1


async def test_relation_errors_are_located_at_the_body_key(db):
    app = Aksara()

    @app.post("/parts/orphan")
    async def orphan(db: DBTransaction):
        await GizmoPart.objects.create(gizmo=Gizmo(name="Unsaved", sku="UNS-001"), name="cog")

    async with client_for(app) as client:
        response = await client.post("/parts/orphan")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "gizmo_id"] and "not saved" in error["msg"]
