"""Uploads through FastAPI: the spec's upload endpoint, file fields in schemas, debug media."""

import io

import httpx
import pydantic
import pytest
from PIL import Image

from aksara.conf import configure, get_settings
from aksara.contrib.fastapi import Aksara, UploadFile, schema_for
from aksara.fields import StoredFile
from tests.contrib.fastapi.models import GizmoAsset


@pytest.fixture
def local_media(tmp_path):
    saved = get_settings()
    configure(media_storage="filesystem", media_root=str(tmp_path / "media"), media_url="/media/")
    yield tmp_path / "media"
    configure(saved)


def build_app(**kwargs) -> Aksara:
    app = Aksara(**kwargs)

    # The endpoint of the media reference, as written there.
    @app.post("/assets/{asset_id}/upload")
    async def upload_asset(asset_id: str, file: UploadFile):
        asset = await GizmoAsset.objects.get(id=asset_id)
        asset.file = file
        await asset.save()
        return {"file": asset.file.url}

    @app.get("/assets/{asset_id}", response_model=schema_for(GizmoAsset))
    async def read_asset(asset_id: str):
        return await GizmoAsset.objects.get(id=asset_id)

    return app


def client_for(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_spec_upload_endpoint_stores_the_file_and_debug_mode_serves_it(db, local_media):
    asset = await GizmoAsset.objects.create(
        name="Quarterly Report", file=StoredFile("assets/old.pdf")
    )
    async with client_for(build_app(debug=True)) as client:
        uploaded = await client.post(
            f"/assets/{asset.id}/upload",
            files={"file": ("q1-report.pdf", b"%PDF-1.4 quarterly", "application/pdf")},
        )
        assert uploaded.status_code == 200, uploaded.text
        url = uploaded.json()["file"]
        assert url.startswith("/media/assets/q1-report") and url.endswith(".pdf")
        served = await client.get(url)
        read = await client.get(f"/assets/{asset.id}")
    assert served.status_code == 200 and served.content == b"%PDF-1.4 quarterly"
    assert read.json()["file"] == url.removeprefix("/media/")  # the stored name, a string
    assert read.json()["preview"] is None
    loaded = await GizmoAsset.objects.get(id=asset.id)
    assert await loaded.file.read() == b"%PDF-1.4 quarterly"


async def test_invalid_image_upload_is_422_and_nothing_is_written(db, local_media):
    app = Aksara()

    @app.post("/assets/{asset_id}/preview")
    async def upload_preview(asset_id: str, file: UploadFile):
        asset = await GizmoAsset.objects.get(id=asset_id)
        asset.preview = file
        await asset.save()
        return {"preview": asset.preview.url}

    asset = await GizmoAsset.objects.create(name="Chart", file=StoredFile("assets/chart.csv"))
    buf = io.BytesIO()
    Image.new("RGB", (3, 2), "blue").save(buf, "PNG")
    async with client_for(app) as client:
        bad = await client.post(
            f"/assets/{asset.id}/preview", files={"file": ("chart.png", b"not an image")}
        )
        good = await client.post(
            f"/assets/{asset.id}/preview", files={"file": ("chart.png", buf.getvalue())}
        )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "preview"]
    assert good.status_code == 200 and good.json()["preview"].startswith("/media/previews/chart")
    assert sorted(p.name for p in (local_media / "previews").iterdir()) == [
        good.json()["preview"].rsplit("/", 1)[1]
    ]


def test_file_fields_read_as_names_and_arrive_only_as_uploads():
    properties = schema_for(GizmoAsset).model_json_schema()["properties"]
    assert properties["file"]["type"] == "string" and properties["file"]["maxLength"] == 500
    assert properties["preview"]["anyOf"][0]["type"] == "string"
    for variant in ("create", "update"):
        # A client naming a stored file could point its row at another row's file.
        assert set(schema_for(GizmoAsset, variant).model_fields) == {"name"}
    form = schema_for(GizmoAsset, "create", include=["name", "file"])
    with pytest.raises(pydantic.ValidationError):
        form(name="Report", file="assets/report.pdf")
