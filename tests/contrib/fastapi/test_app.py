"""The ``Aksara`` app: lifespan, request transactions, error responses, OpenAPI, debug media."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException

import aksara
from aksara.conf import configure, get_settings
from aksara.contrib.fastapi import (
    Aksara,
    DBTransaction,
    add_exception_handlers,
    schema_for,
    transaction_dependency,
)
from aksara.db import current_transaction, get_database, set_database
from aksara.db._context import current
from aksara.exceptions import PermissionDenied
from tests.contrib.fastapi.models import Gizmo

GizmoCreate = schema_for(Gizmo, "create")
GizmoUpdate = schema_for(Gizmo, "update")
GizmoRead = schema_for(Gizmo, "read")


class Boom(Exception):
    pass


def build_app(**kwargs) -> Aksara:
    app = Aksara(**kwargs)

    @app.post("/gizmos", response_model=GizmoRead, status_code=201)
    async def create_gizmo(payload: GizmoCreate, db: DBTransaction):  # type: ignore[valid-type]
        return await Gizmo.objects.create(**payload.model_dump())

    @app.get("/gizmos/{gizmo_id}", response_model=GizmoRead)
    async def read_gizmo(gizmo_id: uuid.UUID):
        return await Gizmo.objects.get(id=gizmo_id)

    @app.patch("/gizmos/{gizmo_id}", response_model=GizmoRead)
    async def update_gizmo(gizmo_id: uuid.UUID, payload: GizmoUpdate, db: DBTransaction):  # type: ignore[valid-type]
        gizmo = await Gizmo.objects.get(id=gizmo_id)
        for name, value in payload.model_dump(exclude_unset=True).items():
            setattr(gizmo, name, value)
        await gizmo.save()
        return gizmo

    @app.get("/gizmos", response_model=list[GizmoRead])
    async def list_gizmos():
        return await Gizmo.objects.order_by("name")

    @app.post("/gizmos/then-fail")
    async def create_then_fail(
        payload: GizmoCreate,  # type: ignore[valid-type]
        db: aksara.Transaction = Depends(transaction_dependency),
    ):
        await Gizmo.objects.create(**payload.model_dump())
        raise HTTPException(status_code=400, detail="changed my mind")

    @app.post("/gizmos/then-crash")
    async def create_then_crash(payload: GizmoCreate, db: DBTransaction):  # type: ignore[valid-type]
        await Gizmo.objects.create(**payload.model_dump())
        raise Boom("unexpected")

    return app


@asynccontextmanager
async def client_for(
    app: FastAPI, *, raise_app_exceptions: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


GOOD = {"name": "Sprocket", "sku": "SPR-001", "stock": 3}


async def test_create_read_update_round_trip_through_schemas(db):
    async with client_for(build_app()) as client:
        created = await client.post("/gizmos", json=GOOD)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["name"] == "Sprocket" and body["level"] == "low" and body["notes"] is None
        assert set(body) == set(GizmoRead.model_fields)
        gizmo_id = body["id"]

        fetched = await client.get(f"/gizmos/{gizmo_id}")
        assert fetched.json() == body

        patched = await client.patch(f"/gizmos/{gizmo_id}", json={"notes": "oiled", "stock": 9})
        assert patched.status_code == 200, patched.text
        assert patched.json()["notes"] == "oiled" and patched.json()["stock"] == 9
        assert patched.json()["name"] == "Sprocket"
    gizmo = await Gizmo.objects.get(id=gizmo_id)
    assert (gizmo.notes, gizmo.stock) == ("oiled", 9)


async def test_request_body_is_checked_against_field_constraints(db):
    async with client_for(build_app()) as client:
        response = await client.post(
            "/gizmos", json={"name": "x", "sku": "bad", "level": "mid", "stock": -1}
        )
    assert response.status_code == 422
    failed = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert failed == {("body", "name"), ("body", "sku"), ("body", "level"), ("body", "stock")}
    assert await Gizmo.objects.count() == 0


async def test_model_validation_error_becomes_422_naming_model_and_field(db):
    async with client_for(build_app()) as client:
        response = await client.post("/gizmos", json={**GOOD, "name": "Forbidden"})
        whole = await client.post("/gizmos", json={**GOOD, "level": "high", "stock": 0})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "value_error",
                "loc": ["body", "name"],
                "msg": "This name is reserved",
                "ctx": {"model": "Gizmo"},
            }
        ]
    }
    assert whole.status_code == 422
    assert whole.json()["detail"][0]["loc"] == ["body"]
    assert whole.json()["detail"][0]["msg"] == "A high-level gizmo needs stock"
    assert await Gizmo.objects.count() == 0


async def test_missing_row_is_404_and_duplicate_is_409(db):
    async with client_for(build_app()) as client:
        missing = await client.get(f"/gizmos/{uuid.uuid4()}")
        first = await client.post("/gizmos", json=GOOD)
        duplicate = await client.post("/gizmos", json={**GOOD, "name": "Other"})
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Gizmo not found"}  # no values: only in debug
    assert first.status_code == 201
    assert duplicate.status_code == 409
    assert "uq_gizmo_sku" in duplicate.json()["detail"]
    assert "error" not in duplicate.json()  # the database's message only in debug
    assert await Gizmo.objects.count() == 1


async def test_permission_denied_is_403(db):
    app = Aksara()

    @app.get("/agent")
    async def agent_call():
        raise PermissionDenied("Gizmo.secret may not be written by an agent")

    async with client_for(app) as client:
        response = await client.get("/agent")
    assert response.status_code == 403
    assert response.json() == {"detail": "Gizmo.secret may not be written by an agent"}


async def test_endpoint_queries_run_in_the_request_transaction(db):
    app = Aksara()
    seen = {}

    @app.get("/tx")
    async def endpoint(
        tx: DBTransaction, again: aksara.Transaction = Depends(transaction_dependency)
    ):
        seen["same"] = tx is again and current_transaction() is tx
        seen["pid"] = await get_database().fetchval("SELECT pg_backend_pid()")
        seen["tx_pid"] = await tx.conn.raw.fetchval("SELECT pg_backend_pid()")
        return {}

    async with client_for(app) as client:
        assert (await client.get("/tx")).status_code == 200
    assert seen["same"] is True
    assert seen["pid"] == seen["tx_pid"]


async def test_success_commits_and_exceptions_roll_back(transactional_db):
    app = build_app()
    async with client_for(app, raise_app_exceptions=False) as client:
        kept = await client.post("/gizmos", json=GOOD)
        refused = await client.post("/gizmos/then-fail", json={**GOOD, "sku": "SPR-002"})
        crashed = await client.post("/gizmos/then-crash", json={**GOOD, "sku": "SPR-003"})
    assert kept.status_code == 201
    assert refused.status_code == 400
    assert crashed.status_code == 500
    assert await Gizmo.objects.values_list("sku", flat=True) == ["SPR-001"]


async def test_commit_happens_before_the_response_is_sent(transactional_db):
    app = build_app()
    visible_at_send = []

    async def receive():
        return {
            "type": "http.request",
            "body": b'{"name": "Early", "sku": "EAR-001"}',
            "more_body": False,
        }

    async def look_from_outside():
        current.set(None)  # this task inherited the request's context: leave its transaction
        return await Gizmo.objects.filter(sku="EAR-001").exists()

    async def send(message):
        if message["type"] == "http.response.start":
            visible_at_send.append(await asyncio.create_task(look_from_outside()))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/gizmos",
        "raw_path": b"/gizmos",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    assert visible_at_send == [True]


async def test_on_commit_hooks_run_after_a_successful_request_only(transactional_db):
    app = Aksara()
    calls = []

    @app.post("/hooked/{fail}")
    async def hooked(fail: bool, db: DBTransaction):
        await Gizmo.objects.create(name="Hooked", sku="HOK-001")
        await aksara.on_commit(lambda: calls.append("commit"))
        await aksara.on_rollback(lambda: calls.append("rollback"))
        if fail:
            raise HTTPException(status_code=409)
        return {}

    async with client_for(app) as client:
        assert (await client.post("/hooked/true")).status_code == 409
        assert (await client.post("/hooked/false")).status_code == 200
    assert calls == ["rollback", "commit"]


async def test_openapi_shows_field_constraints(db):
    schema = build_app().openapi()
    components = schema["components"]["schemas"]
    create = components["GizmoCreate"]["properties"]
    assert create["name"]["maxLength"] == 100 and create["name"]["minLength"] == 2
    assert create["sku"]["pattern"] == r"^(?:[A-Z]{3}-\d{3})$"
    assert create["level"]["enum"] == ["low", "high"]
    assert (create["stock"]["minimum"], create["stock"]["maximum"]) == (0, 1000)
    assert set(components["GizmoCreate"]["required"]) == {"name", "sku"}
    read = components["GizmoRead"]["properties"]
    assert read["id"]["format"] == "uuid" and read["created_at"]["format"] == "date-time"
    ok = schema["paths"]["/gizmos"]["post"]["responses"]["201"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/GizmoRead")


async def test_add_exception_handlers_on_a_plain_fastapi_app(db):
    app = FastAPI()
    add_exception_handlers(app)

    @app.get("/missing")
    async def missing():
        return await Gizmo.objects.get(sku="NOP-000")

    async with client_for(app) as client:
        assert (await client.get("/missing")).status_code == 404


async def test_lifespan_reuses_an_open_connection_and_leaves_it_open(aksara_database):
    app = Aksara(database_url="postgresql://elsewhere.invalid/app")
    async with app.router.lifespan_context(app):
        assert get_database() is aksara_database
    assert get_database() is aksara_database


async def test_lifespan_connects_and_disconnects_when_not_connected(aksara_database):
    entered = []

    @asynccontextmanager
    async def user_lifespan(app):
        entered.append(get_database())
        yield {"greeting": "hello"}

    app = Aksara(database_url=aksara_database.url, lifespan=user_lifespan)
    set_database(None)
    try:
        async with app.router.lifespan_context(app) as state:
            database = get_database()
            assert database is not aksara_database and database.url == aksara_database.url
            assert await database.fetchval("SELECT 1") == 1
            assert state == {"greeting": "hello"}
        assert entered == [database]
        with pytest.raises(aksara.AksaraError, match="not connected"):
            get_database()
    finally:
        set_database(aksara_database)


@pytest.fixture
def media_settings(tmp_path):
    saved = get_settings()
    configure(media_storage="filesystem", media_root=str(tmp_path / "media"), media_url="/media/")
    yield tmp_path / "media"
    configure(saved)


async def test_debug_mode_serves_media_from_the_filesystem(media_settings):
    app = Aksara(debug=True)
    async with client_for(app) as client:
        assert (await client.get("/media/docs/a.txt")).status_code == 404  # no folder yet
        (media_settings / "docs").mkdir(parents=True)
        (media_settings / "docs" / "a.txt").write_text("hello")
        served = await client.get("/media/docs/a.txt")
        escape = await client.get("/media/../pyproject.toml")
    assert served.status_code == 200 and served.text == "hello"
    assert escape.status_code == 404


async def test_media_is_not_mounted_outside_debug_or_for_other_storage(media_settings):
    (media_settings / "a.txt").parent.mkdir(parents=True)
    (media_settings / "a.txt").write_text("hello")
    production = Aksara(debug=False)
    configure(media_storage="memory")
    memory = Aksara(debug=True)
    configure(media_storage="s3", media_s3_bucket=None)  # not even built
    s3 = Aksara(debug=True)
    for app in (production, memory, s3):
        async with client_for(app) as client:
            assert (await client.get("/media/a.txt")).status_code == 404
