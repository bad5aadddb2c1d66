"""get_storage(): the storage the settings describe, once per settings object."""

from __future__ import annotations

from pathlib import Path

import pytest

from aksara import conf
from aksara.conf import Settings, configure
from aksara.exceptions import ConfigurationError
from aksara.storage import (
    FileSystemStorage,
    MemoryStorage,
    S3Storage,
    close_storage,
    get_storage,
    storage_from_settings,
)
from aksara.testing.media import S3Server


class TaggedStorage(MemoryStorage):
    """A custom backend, named by its dotted path."""

    @classmethod
    def from_settings(cls, settings: Settings) -> TaggedStorage:
        return cls(base_url=settings.media_url + "tagged/")


def test_filesystem_storage_as_in_the_spec(tmp_path: Path) -> None:
    configure(
        Settings(
            media_storage="filesystem",
            media_root=str(tmp_path / "media"),
            media_url="/media/",
        )
    )
    storage = get_storage()
    assert isinstance(storage, FileSystemStorage)
    assert storage.root == str(tmp_path / "media")
    assert storage.url("assets/a.pdf") == "/media/assets/a.pdf"


def test_s3_storage_as_in_the_spec() -> None:
    configure(
        Settings(
            media_storage="s3",
            media_s3_bucket="my-app-media",
            media_s3_region="us-east-1",
            media_public_base_url="https://cdn.example.com/media",
        )
    )
    storage = get_storage()
    assert isinstance(storage, S3Storage)
    assert storage.bucket == "my-app-media"
    assert storage.region == "us-east-1"
    assert storage.url("assets/q1.pdf") == "https://cdn.example.com/media/assets/q1.pdf"


async def test_s3_settings_reach_a_working_storage(moto_s3_server: S3Server) -> None:
    configure(**moto_s3_server.media_settings(media_s3_prefix="from-settings"))
    storage = get_storage()
    try:
        name = await storage.save("hello.txt", b"hello")
        assert await storage.read(name) == b"hello"
        assert "testing" not in repr(storage)
    finally:
        await close_storage()


def test_the_storage_is_kept_per_settings_object() -> None:
    configure(media_storage="memory")
    first = get_storage()
    assert get_storage() is first
    configure(media_url="/files/")
    second = get_storage()
    assert second is not first
    assert isinstance(second, MemoryStorage)
    assert second.base_url == "/files/"


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AKSARA_MEDIA_STORAGE", "filesystem")
    monkeypatch.setenv("AKSARA_MEDIA_ROOT", str(tmp_path / "env-media"))
    monkeypatch.setenv("AKSARA_MEDIA_URL", "https://static.example.com/u/")
    conf.reset()
    storage = get_storage()
    assert isinstance(storage, FileSystemStorage)
    assert storage.root == str(tmp_path / "env-media")
    assert storage.url("a b.txt") == "https://static.example.com/u/a%20b.txt"


def test_a_dotted_path_names_a_custom_storage_class() -> None:
    configure(media_storage=f"{__name__}.TaggedStorage", media_url="/m/")
    storage = get_storage()
    assert type(storage) is TaggedStorage
    assert storage.base_url == "/m/tagged/"


@pytest.mark.parametrize(
    ("media_storage", "message"),
    [
        ("ftp", "expected one of filesystem, memory, s3"),
        ("no_such_module.Storage", "cannot import 'no_such_module'"),
        ("aksara.conf.Settings", "is not a Storage subclass"),
        ("aksara.storage.memory.Missing", "is not a Storage subclass"),
    ],
)
def test_bad_media_storage_values_are_configuration_errors(
    media_storage: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        storage_from_settings(Settings(media_storage=media_storage))


def test_s3_without_a_bucket_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="media_s3_bucket"):
        storage_from_settings(Settings(media_storage="s3"))


async def test_close_storage_forgets_the_storage() -> None:
    configure(media_storage="memory")
    first = get_storage()
    await close_storage()
    assert get_storage() is not first
    await close_storage()
    await close_storage()
