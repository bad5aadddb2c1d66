"""Every field family through generated schemas: request parsing, JSON responses, OpenAPI."""

import base64
from pathlib import Path

import httpx

from aksara.contrib.fastapi import Aksara, DBTransaction, schema_for
from tests.contrib.fastapi.models import GizmoSpec, Level

SpecCreate = schema_for(GizmoSpec, "create")
SpecRead = schema_for(GizmoSpec)

PAYLOAD = {
    "title": "Hello World",
    "email": "ada@example.com",
    "website": "https://example.com/ada",
    "big": 2**40,
    "small": 2,
    "positive": 7,
    "ratio": 0.25,
    "price": "12.50",
    "born": "1815-12-10",
    "alarm": "07:30:00",
    "cooking": 1800,
    "embedding": [0.5, 0.25, 1.0],
    "level": "high",
    "tags": ["python", "async"],
    "scores": [3, 1],
    "server": "192.0.2.1",
    "digest": base64.b64encode(b"\x00\xffhash").decode(),
    "template": str(Path(__file__).with_name("models.py")),
}


def build_app() -> Aksara:
    app = Aksara()

    @app.post("/specs", response_model=SpecRead, status_code=201)
    async def create(payload: SpecCreate, db: DBTransaction):  # type: ignore[valid-type]
        return await GizmoSpec.objects.create(**payload.model_dump())

    @app.get("/specs/{slug}", response_model=SpecRead)
    async def read(slug: str):
        return await GizmoSpec.objects.get(slug=slug)

    return app


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_every_field_family_round_trips_through_the_api(db):
    async with client_for(build_app()) as client:
        created = await client.post("/specs", json=PAYLOAD)
        assert created.status_code == 201, created.text
        body = created.json()
        fetched = await client.get("/specs/hello-world")
    assert fetched.json() == body
    assert body["slug"] == "hello-world"  # filled in on save
    assert body["price"] == "12.50"
    assert body["cooking"] == "PT30M"
    assert body["embedding"] == [0.5, 0.25, 1.0]
    assert body["level"] == "high" and body["tags"] == ["python", "async"]
    assert body["big"] == 2**40 and body["born"] == "1815-12-10" and body["alarm"] == "07:30:00"
    assert base64.urlsafe_b64decode(body["digest"]) == b"\x00\xffhash"
    stored = await GizmoSpec.objects.get(slug="hello-world")
    assert stored.level is Level.HIGH and stored.digest == b"\x00\xffhash"
    assert stored.server == "192.0.2.1" and stored.scores == [3, 1]


async def test_bad_values_are_refused_by_the_schema_or_by_the_model(db):
    async with client_for(build_app()) as client:
        by_schema = await client.post(
            "/specs",
            json={**PAYLOAD, "embedding": [1.0, 2.0], "small": 5, "ratio": 2, "level": "mid"},
        )
        by_model = await client.post("/specs", json={**PAYLOAD, "template": "/etc/passwd"})
    assert by_schema.status_code == 422
    failed = {tuple(error["loc"]) for error in by_schema.json()["detail"]}
    assert failed == {
        ("body", "embedding"),
        ("body", "small"),
        ("body", "ratio"),
        ("body", "level"),
    }
    assert by_model.status_code == 422
    assert by_model.json()["detail"][0]["loc"] == ["body", "template"]
    assert by_model.json()["detail"][0]["ctx"] == {"model": "GizmoSpec"}
    assert await GizmoSpec.objects.count() == 0


def test_openapi_describes_every_field_family():
    components = build_app().openapi()["components"]["schemas"]
    create = components["GizmoSpecCreate"]["properties"]
    assert create["email"]["format"] == "email" and create["email"]["maxLength"] == 254
    assert create["website"]["anyOf"][0]["format"] == "uri"
    assert create["small"]["enum"] == [0, 1, 2]
    assert create["positive"]["minimum"] == 0
    assert (create["ratio"]["minimum"], create["ratio"]["maximum"]) == (0.0, 1.0)
    vector = create["embedding"]["anyOf"][0]
    assert vector["type"] == "array" and vector["minItems"] == vector["maxItems"] == 3
    assert vector["items"]["type"] == "number"
    assert create["tags"]["items"]["type"] == "string"
    assert create["scores"]["anyOf"][0]["items"]["type"] == "integer"
    assert components["Level"]["enum"] == ["low", "high"]
    assert create["born"]["anyOf"][0]["format"] == "date"
    assert create["cooking"]["anyOf"][0]["format"] == "duration"
    assert (
        "default" not in create["slug"] and "slug" not in components["GizmoSpecCreate"]["required"]
    )
    assert set(components["GizmoSpecCreate"]["required"]) == {"title", "email", "ratio", "price"}
    read = components["GizmoSpecRead"]["properties"]
    assert read["price"]["type"] == "string"  # decimals are strings in responses
