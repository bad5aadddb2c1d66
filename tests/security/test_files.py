"""A client cannot point its row at another row's file, and no delete takes a file that
another row still refers to.

Issue item 1: ``schema_for(..., "create")`` took file fields as stored names, so
``POST {"file": "files/secret.pdf"}`` served the victim's file through the attacker's row,
and deleting that row deleted the victim's file.
"""

import httpx
import pytest

from aksara import Aksara, DBTransaction, UploadFile, schema_for
from aksara.exceptions import ValidationError
from aksara.fields import StoredFile
from tests.security.models import SecAsset

SecAssetCreate = schema_for(SecAsset, "create")
SecAssetRead = schema_for(SecAsset)


def build_app() -> Aksara:
    app = Aksara(database_url=None)

    @app.post("/assets", response_model=SecAssetRead, status_code=201)
    async def create(payload: SecAssetCreate, db: DBTransaction):  # type: ignore[valid-type]
        return await SecAsset.objects.create(**payload.model_dump())

    @app.post("/assets/upload", response_model=SecAssetRead, status_code=201)
    async def upload(name: str, file: UploadFile, db: DBTransaction):
        return await SecAsset.objects.create(name=name, file=file)

    return app


async def test_a_client_cannot_name_a_stored_file(db, memory_media_storage):
    victim = await SecAsset.objects.create(name="victim", file=("secret.pdf", b"%PDF secret"))
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        attack = await client.post("/assets", json={"name": "mine", "file": victim.file.name})
        assert attack.status_code == 422  # the file arrives only as an upload
        assert await SecAsset.objects.count() == 1
        upload = await client.post(
            "/assets/upload", params={"name": "mine"}, files={"file": ("a.txt", b"mine")}
        )
        assert upload.status_code == 201 and upload.json()["file"] != victim.file.name
    assert await memory_media_storage.read(victim.file.name) == b"%PDF secret"


async def test_model_code_refuses_plain_names_but_keeps_the_stored_one(db, memory_media_storage):
    victim = await SecAsset.objects.create(name="victim", file=("secret.pdf", b"secret"))
    with pytest.raises(ValidationError, match="SecAsset.file: A stored file name cannot be"):
        SecAsset(name="mine", file=victim.file.name)
    mine = await SecAsset.objects.create(name="mine", file=("mine.txt", b"mine"))
    with pytest.raises(ValidationError):
        mine.file = victim.file.name
    loaded = await SecAsset.objects.get(id=mine.id)
    loaded.file = loaded.file.name  # the name it holds: fine
    assert loaded.file.name == mine.file.name
    # Trusted code says so explicitly.
    loaded.file = StoredFile(victim.file.name)
    await loaded.save()
    assert (await SecAsset.objects.get(id=mine.id)).file.name == victim.file.name


async def test_a_shared_file_stays_until_its_last_row_goes(transactional_db, memory_media_storage):
    first = await SecAsset.objects.create(name="first", file=("shared.txt", b"shared"))
    name = first.file.name
    second = await SecAsset.objects.create(name="second", file=StoredFile(name))
    third = await SecAsset.objects.create(name="third", file=StoredFile(name))
    await first.delete()
    assert await memory_media_storage.exists(name)
    second.file = ("new.txt", b"new")  # replaced in one row, still held by another
    await second.save()
    assert await memory_media_storage.exists(name)
    await third.file.delete(save=False)  # the row holds it until saved: the others count
    assert await memory_media_storage.exists(name) is False
    await SecAsset.objects.filter(id=third.id).delete()
    assert not await memory_media_storage.exists(name)


async def test_update_refuses_computed_file_names(db, memory_media_storage):
    from aksara import Value
    from aksara.exceptions import QueryError
    from aksara.query.functions import Concat

    await SecAsset.objects.create(name="mine", file=("mine.txt", b"mine"))
    with pytest.raises(QueryError, match="takes no computed value"):
        await SecAsset.objects.update(file=Concat(Value("files/"), Value("secret.pdf")))
    [row] = await SecAsset.objects.values_list("file", flat=True)
    assert "secret" not in row
