"""Media field fixtures: local storage in a temporary media root."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from aksara import conf
from aksara.storage import get_storage


@pytest.fixture(autouse=True)
def _restore_settings() -> Iterator[None]:
    previous = conf.get_settings()
    yield
    conf.configure(previous)


@pytest.fixture
def local_media(tmp_path: Path):
    root = tmp_path / "media"
    conf.configure(media_storage="filesystem", media_root=str(root), media_url="/media/")
    return get_storage()
