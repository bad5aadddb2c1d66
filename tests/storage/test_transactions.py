"""Files follow transactions: new files go on rollback, replaced ones only after commit."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import aksara
from aksara.db import Database
from aksara.storage import FileSystemStorage, MemoryStorage, Storage


class Boom(Exception):
    pass


@pytest.fixture
def media() -> MemoryStorage:
    return MemoryStorage()


async def test_a_file_saved_in_a_rolled_back_transaction_is_deleted(
    db: Database, storage: Storage
) -> None:
    with pytest.raises(Boom):
        async with aksara.transaction():
            name = await storage.save("rollback.txt", b"x")
            assert await storage.exists(name)
            raise Boom
    assert not await storage.exists(name)


async def test_a_file_saved_in_a_committed_transaction_stays(
    db: Database, media: MemoryStorage
) -> None:
    async with aksara.transaction():
        name = await media.save("commit.txt", b"x")
    assert await media.read(name) == b"x"


async def test_a_savepoint_rollback_deletes_only_its_own_files(
    db: Database, media: MemoryStorage
) -> None:
    async with aksara.transaction():
        outer = await media.save("outer.txt", b"outer")
        with pytest.raises(Boom):
            async with aksara.transaction():
                inner = await media.save("inner.txt", b"inner")
                raise Boom
        assert not await media.exists(inner)
    assert await media.exists(outer)


async def test_delete_on_commit_waits_for_the_commit(db: Database, storage: Storage) -> None:
    old = await storage.save("old-avatar.png", b"old")
    async with aksara.transaction():
        await storage.delete_on_commit(old)
        assert await storage.exists(old)
    assert not await storage.exists(old)


async def test_delete_on_commit_keeps_the_file_when_the_transaction_rolls_back(
    db: Database, media: MemoryStorage
) -> None:
    old = await media.save("old-avatar.png", b"old")
    with pytest.raises(Boom):
        async with aksara.transaction():
            await media.delete_on_commit(old)
            raise Boom
    assert await media.read(old) == b"old"


async def test_delete_on_commit_outside_a_transaction_deletes_at_once(
    media: MemoryStorage,
) -> None:
    assert not aksara.in_transaction()
    name = await media.save("now.txt", b"x")
    await media.delete_on_commit(name)
    assert not await media.exists(name)


async def test_a_failed_cleanup_is_logged_and_does_not_hide_the_rollback_cause(
    db: Database, media_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = FileSystemStorage(root=media_root)
    with caplog.at_level(logging.WARNING, logger="aksara.storage"), pytest.raises(Boom):
        async with aksara.transaction():
            name = await local.save("stuck.txt", b"x")
            # Something else puts a folder where the file was: the cleanup cannot delete it.
            (media_root / name).unlink()
            (media_root / name).mkdir()
            raise Boom
    assert "could not delete 'stuck.txt' after rollback" in caplog.text
