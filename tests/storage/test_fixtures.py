"""The media fixtures aksara.testing offers to applications."""

from __future__ import annotations

from aksara.storage import MemoryStorage, S3Storage, get_storage
from aksara.testing.media import S3Server


async def test_memory_media_storage_is_the_configured_storage(
    memory_media_storage: MemoryStorage,
) -> None:
    assert get_storage() is memory_media_storage
    name = await memory_media_storage.save("a.txt", b"in memory")
    assert await get_storage().read(name) == b"in memory"


def test_memory_media_storage_starts_empty_each_test(memory_media_storage: MemoryStorage) -> None:
    assert memory_media_storage.fs.store == {}


async def test_s3_media_storage_is_the_configured_storage_on_moto(
    s3_media_storage: S3Storage, moto_s3_server: S3Server
) -> None:
    assert get_storage() is s3_media_storage
    assert s3_media_storage.endpoint_url == moto_s3_server.endpoint_url
    assert s3_media_storage.prefix.startswith("test-")
    name = await s3_media_storage.save("a.txt", b"on s3")
    assert await s3_media_storage.read(name) == b"on s3"
