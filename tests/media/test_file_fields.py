"""FileField and ImageField on real storage (local disk, memory, S3 on moto) and PostgreSQL."""

import io
from pathlib import Path

import pytest
from PIL import Image
from starlette.datastructures import UploadFile

import aksara
from aksara import Model, fields
from aksara._concurrency import run_in_thread
from aksara.exceptions import IntegrityError, StorageError, ValidationError
from aksara.fields.files import FieldFile, StoredFile
from aksara.storage import get_storage


class Asset(Model):
    name = fields.String(max_length=200)
    file = fields.FileField(upload_to="assets")
    preview = fields.ImageField(upload_to="previews", nullable=True)


class MdDocument(Model):
    code = fields.String(max_length=20, unique=True)
    attachment = fields.FileField(
        upload_to="docs/%Y", allowed_extensions=["pdf", "txt"], max_size=1000, nullable=True
    )


def png(width=4, height=3, color="red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return buf.getvalue()


async def test_spec_example_saves_upload_content(db, memory_media_storage):
    pdf_bytes = b"%PDF-1.4 quarterly"
    asset = Asset(name="Quarterly Report")
    asset.file = ("q1-report.pdf", pdf_bytes)
    await asset.save()

    assert isinstance(asset.file, FieldFile)
    assert asset.file.name.startswith("assets/q1-report") and asset.file.name.endswith(".pdf")
    loaded = await Asset.objects.get(id=asset.id)
    assert loaded.file == asset.file.name
    assert loaded.file.url == "/media/" + asset.file.name
    assert await loaded.file.exists()
    assert await loaded.file.size() == len(pdf_bytes)
    assert await loaded.file.read() == pdf_bytes
    assert b"".join([c async for c in loaded.file.chunks(4)]) == pdf_bytes
    async with await loaded.file.open() as f:
        assert await f.read(4) == b"%PDF"
    assert not loaded.preview
    await loaded.file.delete()
    assert not await memory_media_storage.exists(asset.file.name)
    assert not loaded.file
    assert (await Asset.objects.get(id=asset.id)).file.name == ""


async def test_column_type_is_varchar_500(db):
    rows = await db.fetch(
        "SELECT data_type, character_maximum_length FROM information_schema.columns "
        "WHERE table_name = 'asset' AND column_name = 'file'"
    )
    assert [tuple(r) for r in rows] == [("character varying", 500)]


async def test_local_storage_path_and_url(db, local_media):
    asset = await Asset.objects.create(name="a", file=("Report Final (v2).pdf", b"data"))
    assert asset.file.name.startswith("assets/")
    path = asset.file.path
    assert path.startswith(local_media.root + "/assets/")
    assert await run_in_thread(Path(path).read_bytes) == b"data"
    assert asset.file.url == "/media/" + asset.file.name


async def test_s3_storage_round_trip_and_no_local_path(db, s3_media_storage):
    asset = await Asset.objects.create(name="s3", file=("a.txt", b"hello s3"))
    loaded = await Asset.objects.get(id=asset.id)
    assert await loaded.file.read() == b"hello s3"
    assert loaded.file.url.startswith("http")
    with pytest.raises(StorageError):
        loaded.file.path  # noqa: B018


async def test_directory_parts_of_client_names_are_dropped(db, memory_media_storage):
    asset = await Asset.objects.create(name="x", file=("../../etc/passwd.txt", b"x"))
    assert asset.file.name.startswith("assets/passwd")
    asset2 = await Asset.objects.create(name="y", file=("C:\\Windows\\evil.txt", b"x"))
    assert "/" not in asset2.file.name[len("assets/") :]


async def test_same_name_never_overwrites(db, memory_media_storage):
    a = await Asset.objects.create(name="a", file=("same.txt", b"one"))
    b = await Asset.objects.create(name="b", file=("same.txt", b"two"))
    assert a.file.name != b.file.name
    assert await a.file.read() == b"one" and await b.file.read() == b"two"


async def test_assigning_an_existing_name_stores_it(db, memory_media_storage):
    name = await memory_media_storage.save("assets/existing.txt", b"e")
    asset = await Asset.objects.create(name="e", file=StoredFile(name))
    assert (await Asset.objects.get(id=asset.id)).file.name == name
    with pytest.raises(ValidationError, match="file"):
        await Asset.objects.create(name="bad", file=StoredFile("../outside.txt"))


async def test_extension_and_size_limits_write_nothing(db, memory_media_storage):
    with pytest.raises(ValidationError, match="MdDocument.attachment: File extension '.exe'"):
        await MdDocument.objects.create(code="a", attachment=("setup.exe", b"MZ"))
    with pytest.raises(ValidationError, match="too large"):
        await MdDocument.objects.create(code="b", attachment=("big.pdf", b"x" * 1001))
    streamed = UploadFile(file=io.BytesIO(b"y" * 2000), filename="big.txt")
    with pytest.raises(ValidationError, match="too large"):
        await MdDocument.objects.create(code="c", attachment=streamed)
    assert await MdDocument.objects.count() == 0
    assert memory_media_storage.fs.find("/") == []


async def test_upload_file_from_starlette(db, memory_media_storage):
    upload = UploadFile(file=io.BytesIO(png()), filename="avatar.png")
    asset = Asset(name="u", file=("a.txt", b"a"))
    asset.preview = upload
    await asset.save()
    assert asset.preview.name.startswith("previews/avatar")
    assert (asset.preview.width, asset.preview.height) == (4, 3)
    loaded = await Asset.objects.get(id=asset.id)
    assert await loaded.preview.dimensions() == (4, 3)
    assert loaded.preview.width == 4


async def test_fake_truncated_and_oversized_images_are_rejected(db, memory_media_storage):
    with pytest.raises(ValidationError, match="Asset.preview: Upload a valid image"):
        await Asset.objects.create(
            name="f", file=("a.txt", b"a"), preview=("x.png", b"not an image")
        )
    with pytest.raises(ValidationError, match="Upload a valid image"):
        await Asset.objects.create(
            name="t", file=("a.txt", b"a"), preview=("t.png", png(64, 64)[:-40])
        )
    aksara.configure(media_max_image_pixels=100)
    with pytest.raises(ValidationError, match="Image is too large"):
        await Asset.objects.create(name="b", file=("a.txt", b"a"), preview=("b.png", png(20, 20)))
    assert await Asset.objects.count() == 0


async def test_decompression_bomb_is_rejected_without_decoding(db, memory_media_storage):
    buf = io.BytesIO()
    Image.new("1", (12000, 12000)).save(buf, "PNG")  # 144 Mpx, a few KB compressed
    with pytest.raises(ValidationError, match="Image is too large"):
        await Asset.objects.create(
            name="bomb", file=("a.txt", b"a"), preview=("bomb.png", buf.getvalue())
        )
    assert await Asset.objects.count() == 0


async def test_rollback_deletes_the_new_file(db, memory_media_storage):
    class Boom(Exception):
        pass

    asset = Asset(name="r", file=("r.txt", b"r"))
    with pytest.raises(Boom):
        async with aksara.transaction():
            await asset.save()
            assert await memory_media_storage.exists(asset.file.name)
            raise Boom
    assert not await memory_media_storage.exists(asset.file.name)


async def test_failed_insert_deletes_the_new_file(db, memory_media_storage):
    await MdDocument.objects.create(code="dup", attachment=("a.txt", b"a"))
    before = set(memory_media_storage.fs.find("/"))
    with pytest.raises(IntegrityError):
        await MdDocument.objects.create(code="dup", attachment=("b.txt", b"b"))
    assert set(memory_media_storage.fs.find("/")) == before


async def test_replaced_file_is_removed_only_after_commit(db, memory_media_storage):
    asset = await Asset.objects.create(name="v", file=("v1.txt", b"one"))
    old = asset.file.name
    async with aksara.transaction():
        asset.file = ("v2.txt", b"two")
        await asset.save()
        assert await memory_media_storage.exists(old)
    assert not await memory_media_storage.exists(old)
    assert await asset.file.read() == b"two"


async def test_replacing_a_stale_instance_removes_the_file_the_row_holds(db, memory_media_storage):
    # Two requests load the same asset; both upload. The second must remove the first's
    # file (what the row held when it wrote), not the name it loaded: that one is gone.
    asset = await Asset.objects.create(name="s", file=("s0.txt", b"zero"))
    first = await Asset.objects.get(pk=asset.pk)
    second = await Asset.objects.get(pk=asset.pk)
    first.file = ("s1.txt", b"one")
    await first.save()
    second.file = ("s2.txt", b"two")
    await second.save()
    stored = {p.rsplit("/", 1)[-1] for p in memory_media_storage.fs.find("/")}
    assert stored == {second.file.name.rsplit("/", 1)[-1]}
    assert await (await Asset.objects.get(pk=asset.pk)).file.read() == b"two"


async def test_concurrent_replacements_leave_only_the_winners_file(
    transactional_db, memory_media_storage
):
    import asyncio

    asset = await Asset.objects.create(name="c", file=("c0.txt", b"zero"))

    async def upload(n: int) -> None:
        async with aksara.transaction():
            obj = await Asset.objects.get(pk=asset.pk)
            obj.file = (f"c{n}.txt", str(n).encode())
            await obj.save()
            await asyncio.sleep(0.01 * (n % 3))

    await asyncio.gather(*(upload(n) for n in range(1, 7)))
    row = await Asset.objects.get(pk=asset.pk)
    stored = {p.rsplit("/", 1)[-1] for p in memory_media_storage.fs.find("/")}
    assert stored == {row.file.name.rsplit("/", 1)[-1]}


async def test_keep_replaced_files_setting(db, memory_media_storage):
    aksara.configure(media_keep_replaced_files=True)
    asset = await Asset.objects.create(name="k", file=("k1.txt", b"one"))
    old = asset.file.name
    asset.file = ("k2.txt", b"two")
    await asset.save()
    assert await get_storage().exists(old)


async def test_deleted_rows_lose_their_files_after_commit(db, memory_media_storage):
    a = await Asset.objects.create(name="d1", file=("d1.txt", b"1"))
    b = await Asset.objects.create(name="d2", file=("d2.txt", b"2"))
    async with aksara.transaction():
        await a.delete()
        assert await memory_media_storage.exists(a.file.name)
    assert not await memory_media_storage.exists(a.file.name)
    await Asset.objects.filter(name="d2").delete()
    assert not await memory_media_storage.exists(b.file.name)


async def test_field_file_save_and_delete_without_saving(db, memory_media_storage):
    asset = await Asset.objects.create(name="s", file=("s.txt", b"s"))
    await asset.file.save("new.txt", b"new")
    assert (await Asset.objects.get(id=asset.id)).file.name == asset.file.name
    assert await asset.file.read() == b"new"
    name = asset.file.name
    await asset.file.delete(save=False)
    assert not await memory_media_storage.exists(name)
    assert not asset.file


async def test_bulk_create_writes_every_file(db, memory_media_storage):
    assets = [Asset(name=f"b{i}", file=(f"b{i}.txt", b"x")) for i in range(3)]
    await Asset.objects.bulk_create(assets)
    for asset in assets:
        assert await asset.file.exists()
