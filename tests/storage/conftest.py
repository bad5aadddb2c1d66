"""Storage fixtures: ``storage`` runs a test once per backend (local, memory, S3 on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aksara import conf
from aksara.storage import FileSystemStorage, MemoryStorage, Storage
from aksara.testing.media import (
    S3Storages,
    memory_media_storage,  # noqa: F401 - fixture
    moto_s3_server,  # noqa: F401 - fixture
    s3_media_storage,  # noqa: F401 - fixture
    s3_storages,  # noqa: F401 - fixture
)

BACKENDS = ["local", "memory", "s3"]


@pytest.fixture(autouse=True)
def _restore_settings() -> Iterator[None]:
    previous = conf._current
    yield
    conf._current = previous


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    """The local storage root: ``<tmp>/media``, next to a ``media-private`` sibling."""
    return tmp_path / "media"


@pytest.fixture
def s3_storage(request: pytest.FixtureRequest) -> Storage:
    """S3 storage on the moto server, under a prefix no other test uses.

    Its public base URL is ``/media/`` like the other backends' so the contract holds
    for ``url()``; presigned URLs are tested in ``test_s3.py``.
    """
    storages: S3Storages = request.getfixturevalue("s3_storages")
    return storages.new(public_base_url="/media/")


@pytest.fixture(params=BACKENDS)
def storage(request: pytest.FixtureRequest, media_root: Path) -> Storage:
    """The same test on each backend; moto starts only when an S3 test runs."""
    if request.param == "local":
        return FileSystemStorage(root=media_root, base_url="/media/")
    if request.param == "memory":
        return MemoryStorage(base_url="/media/")
    s3: Storage = request.getfixturevalue("s3_storage")
    return s3
