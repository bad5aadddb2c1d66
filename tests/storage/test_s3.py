"""S3Storage against moto's S3 server over HTTP: keys, URLs, multipart uploads, errors."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from aksara._concurrency import run_in_thread
from aksara.exceptions import ConfigurationError, StorageError
from aksara.storage import S3Storage
from aksara.testing.media import S3Server, S3Storages

MiB = 1024 * 1024


@pytest.fixture
def s3(s3_storages: S3Storages) -> S3Storage:
    """Presigning S3 storage (no public base URL) under a prefix of its own."""
    return s3_storages.new()


@pytest.fixture
def client(moto_s3_server: S3Server) -> Any:
    client = moto_s3_server.client()
    yield client
    client.close()


def _head(client: Any, storage: S3Storage, name: str) -> dict[str, Any]:
    key = f"{storage.prefix}/{name}"
    response: dict[str, Any] = client.head_object(Bucket=storage.bucket, Key=key)
    return response


async def _blocks(total: int, block: int = 256 * 1024) -> AsyncIterator[bytes]:
    for index in range(total // block):
        yield bytes([index % 251]) * block


async def test_files_live_under_the_prefix_with_a_content_type(s3: S3Storage, client: Any) -> None:
    name = await s3.save("docs/report.pdf", b"%PDF-1.7")
    head = _head(client, s3, name)
    assert head["ContentLength"] == 8
    assert head["ContentType"] == "application/pdf"


async def test_large_content_goes_up_as_a_multipart_upload(s3: S3Storage, client: Any) -> None:
    s3.part_size = 5 * MiB  # the smallest part S3 accepts
    expected = b"".join([chunk async for chunk in _blocks(11 * MiB)])
    name = await s3.save("big.bin", _blocks(11 * MiB))
    assert name == "big.bin"
    head = _head(client, s3, name)
    assert head["ETag"].endswith('-3"')  # three parts: 5 + 5 + 1 MiB
    assert head["ContentType"] == "application/octet-stream"
    assert await s3.size(name) == 11 * MiB
    assert await s3.read(name) == expected


async def test_multipart_upload_never_overwrites_either(s3: S3Storage) -> None:
    s3.part_size = 5 * MiB
    await s3.save("big.bin", b"small original")
    renamed = await s3.save("big.bin", _blocks(6 * MiB))
    assert renamed != "big.bin"
    assert await s3.read("big.bin") == b"small original"
    assert await s3.size(renamed) == 6 * MiB


async def test_a_failed_multipart_upload_is_aborted_and_its_name_released(
    s3: S3Storage, client: Any
) -> None:
    s3.part_size = 5 * MiB

    async def broken() -> AsyncIterator[bytes]:
        async for chunk in _blocks(7 * MiB):
            yield chunk
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError, match="client went away"):
        await s3.save("broken.bin", broken())
    assert not await s3.exists("broken.bin")
    uploads = client.list_multipart_uploads(Bucket=s3.bucket, Prefix=s3.prefix)
    assert uploads.get("Uploads", []) == []


async def test_an_object_written_by_someone_else_is_never_overwritten(
    s3: S3Storage, client: Any
) -> None:
    key = f"{s3.prefix}/theirs.txt"
    await run_in_thread(client.put_object, Bucket=s3.bucket, Key=key, Body=b"theirs")
    name = await s3.save("theirs.txt", b"ours")
    assert name != "theirs.txt"
    assert await s3.read("theirs.txt") == b"theirs"


async def test_url_is_presigned_without_a_public_base_url(s3: S3Storage) -> None:
    s3.url_expires = 600
    name = await s3.save("private/a b.txt", b"presigned content")
    url = s3.url(name)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == f"/{s3.bucket}/{s3.prefix}/private/a%20b.txt"
    assert query["X-Amz-Expires"] == ["600"]
    assert "X-Amz-Signature" in query
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == b"presigned content"


async def test_url_uses_the_public_base_url_for_the_prefix(moto_s3_server: S3Server) -> None:
    storage = moto_s3_server.storage(
        prefix="media", public_base_url="https://cdn.example.com/media"
    )
    assert storage.url("assets/q1 report.pdf") == (
        "https://cdn.example.com/media/assets/q1%20report.pdf"
    )


async def test_secrets_never_show_in_reprs_or_errors(moto_s3_server: S3Server) -> None:
    secret = "s3cr3t-" + uuid.uuid4().hex
    storage = moto_s3_server.storage(secret_access_key=secret, prefix="leak-check")
    async with storage:
        assert secret not in repr(storage)
        with pytest.raises(StorageError) as info:
            await storage.read(f"{secret}.txt")
        assert secret not in str(info.value)
        assert "***.txt" in str(info.value)


async def test_a_missing_bucket_is_a_storage_error(moto_s3_server: S3Server) -> None:
    async with moto_s3_server.storage(bucket="no-such-bucket") as storage:
        with pytest.raises(StorageError, match="could not save 'a.txt'"):
            await storage.save("a.txt", b"x")


async def test_storage_works_again_from_another_event_loop(s3: S3Storage) -> None:
    name = await s3.save("loops.txt", b"from the test loop")

    def in_another_loop() -> bytes:
        return asyncio.run(s3.read(name))

    assert await run_in_thread(in_another_loop) == b"from the test loop"
    assert await s3.read(name) == b"from the test loop"


def test_without_s3fs_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)
    with pytest.raises(ConfigurationError, match=r'pip install "aksara-orm\[s3\]"'):
        S3Storage(bucket="media")


def test_a_bucket_is_required() -> None:
    with pytest.raises(ConfigurationError, match="bucket"):
        S3Storage(bucket="")


def test_repr_names_bucket_prefix_and_endpoint(moto_s3_server: S3Server) -> None:
    storage = moto_s3_server.storage(prefix="/media/")
    assert repr(storage) == (
        f"S3Storage(bucket={moto_s3_server.bucket!r}, prefix='media', "
        f"endpoint_url={moto_s3_server.endpoint_url!r})"
    )
