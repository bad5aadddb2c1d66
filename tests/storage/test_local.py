"""FileSystemStorage: path safety on a real disk, atomic saves, paths and permissions."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aksara._concurrency import run_in_thread
from aksara.exceptions import StorageError, SuspiciousFileOperation
from aksara.storage import FileSystemStorage, MemoryStorage


@pytest.fixture
def local(media_root: Path) -> FileSystemStorage:
    return FileSystemStorage(root=media_root, base_url="/media/")


@pytest.fixture
def existing_root(media_root: Path) -> Path:
    media_root.mkdir()
    return media_root


@pytest.fixture
def private(media_root: Path) -> Path:
    """``media-private/secret.txt``: a sibling whose path starts with the root's path."""
    sibling = media_root.parent / "media-private"
    sibling.mkdir()
    (sibling / "secret.txt").write_bytes(b"secret")
    return sibling


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


async def test_traversal_is_rejected_and_writes_nothing_outside(
    local: FileSystemStorage, media_root: Path
) -> None:
    before = _tree(media_root.parent)
    for name in ("../escaped.txt", "a/../../escaped.txt", "a/b/../../../escaped.txt"):
        with pytest.raises(SuspiciousFileOperation, match="leaves the storage root"):
            await local.save(name, b"x")
    assert _tree(media_root.parent) == before


async def test_sibling_directory_with_the_root_as_prefix_is_outside(
    local: FileSystemStorage, existing_root: Path, private: Path
) -> None:
    with pytest.raises(SuspiciousFileOperation):
        await local.read("../media-private/secret.txt")
    # A symlink makes the resolved path "<tmp>/media-private/secret.txt", which a string
    # prefix check against "<tmp>/media" would accept.
    (existing_root / "link").symlink_to(private, target_is_directory=True)
    for call in (local.read, local.exists, local.size, local.open, local.delete):
        with pytest.raises(SuspiciousFileOperation, match="resolves outside the storage root"):
            await call("link/secret.txt")
    with pytest.raises(SuspiciousFileOperation):
        local.path("link/secret.txt")
    with pytest.raises(SuspiciousFileOperation):
        await local.save("link/new.txt", b"x")
    assert sorted(os.listdir(private)) == ["secret.txt"]
    assert (private / "secret.txt").read_bytes() == b"secret"


async def test_absolute_paths_are_rejected(local: FileSystemStorage, tmp_path: Path) -> None:
    target = tmp_path / "absolute.txt"
    with pytest.raises(SuspiciousFileOperation, match="is absolute"):
        await local.save(str(target), b"x")
    with pytest.raises(SuspiciousFileOperation, match="is absolute"):
        local.path("/etc/passwd")
    assert not target.exists()


async def test_nul_bytes_are_rejected(local: FileSystemStorage) -> None:
    with pytest.raises(SuspiciousFileOperation, match="NUL byte"):
        await local.save("evil.txt\x00.jpg", b"x")
    with pytest.raises(SuspiciousFileOperation, match="NUL byte"):
        await local.exists("evil\x00")


async def test_symlinked_file_leaving_the_root_is_rejected(
    local: FileSystemStorage, existing_root: Path, private: Path
) -> None:
    (existing_root / "innocent.txt").symlink_to(private / "secret.txt")
    for call in (local.read, local.exists, local.size, local.open, local.delete):
        with pytest.raises(SuspiciousFileOperation):
            await call("innocent.txt")
    assert (private / "secret.txt").read_bytes() == b"secret"


async def test_symlinked_folder_leaving_the_root_gets_no_new_folders(
    local: FileSystemStorage, existing_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (existing_root / "uploads").symlink_to(outside, target_is_directory=True)
    with pytest.raises(SuspiciousFileOperation):
        await local.save("uploads/2024/01/photo.jpg", b"x")
    assert list(outside.iterdir()) == []


async def test_symlinks_that_stay_inside_the_root_are_followed(
    local: FileSystemStorage, media_root: Path
) -> None:
    await local.save("real/file.txt", b"inside")
    (media_root / "alias").symlink_to(media_root / "real", target_is_directory=True)
    assert await local.read("alias/file.txt") == b"inside"
    assert local.path("alias/file.txt") == str((media_root / "real" / "file.txt").resolve())


async def test_a_taken_name_that_is_a_symlink_outside_is_skipped_not_followed(
    local: FileSystemStorage, existing_root: Path, private: Path
) -> None:
    (existing_root / "secret.txt").symlink_to(private / "secret.txt")
    name = await local.save("secret.txt", b"upload")
    assert name != "secret.txt"
    assert (private / "secret.txt").read_bytes() == b"secret"
    assert await local.read(name) == b"upload"


async def test_folders_are_not_files(local: FileSystemStorage, existing_root: Path) -> None:
    (existing_root / "folder").mkdir()
    with pytest.raises(StorageError, match="it is a directory"):
        await local.size("folder")
    with pytest.raises(StorageError, match="it is a directory"):
        await local.read("folder")


async def test_save_creates_the_root_and_folders_lazily(
    local: FileSystemStorage, media_root: Path
) -> None:
    assert not await run_in_thread(media_root.exists)
    assert not await local.exists("a/b/c.txt")
    name = await local.save("a/b/c.txt", b"deep")
    assert (media_root / "a" / "b" / "c.txt").read_bytes() == b"deep"
    assert name == "a/b/c.txt"


async def test_saved_files_follow_the_umask_and_leave_no_temporary_file(
    local: FileSystemStorage, media_root: Path
) -> None:
    await local.save("perm.txt", b"x")
    mode = stat.S_IMODE((media_root / "perm.txt").stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert _tree(media_root) == {"perm.txt"}


async def test_a_file_appears_only_when_complete(local: FileSystemStorage) -> None:
    gate = asyncio.Event()
    first_written = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"first half "
        first_written.set()  # asked for more: the first half is written
        await gate.wait()
        yield b"second half"

    saving = asyncio.create_task(local.save("slow.txt", slow()))
    await first_written.wait()
    assert not await local.exists("slow.txt")
    gate.set()
    assert await saving == "slow.txt"
    assert await local.read("slow.txt") == b"first half second half"


async def test_a_cancelled_save_leaves_nothing(local: FileSystemStorage, media_root: Path) -> None:
    streaming = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        for sent in range(1_000_000):
            yield b"x" * 1024
            if sent == 10:
                streaming.set()
                await asyncio.Event().wait()  # the rest never comes

    saving = asyncio.create_task(local.save("cancelled.bin", endless()))
    await streaming.wait()
    saving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await saving
    assert _tree(media_root) == set()


async def test_a_file_where_a_folder_is_needed_is_a_storage_error(
    local: FileSystemStorage,
) -> None:
    await local.save("taken", b"a file")
    with pytest.raises(StorageError, match="could not save 'taken/inner.txt'") as info:
        await local.save("taken/inner.txt", b"x")
    assert not isinstance(info.value, SuspiciousFileOperation)


async def test_path_is_the_absolute_location_inside_the_root(
    local: FileSystemStorage, media_root: Path
) -> None:
    name = await local.save("docs/a.txt", b"x")
    real_root = await run_in_thread(media_root.resolve)
    assert local.path(name) == str(real_root / "docs" / "a.txt")
    assert await run_in_thread(Path(local.path(name)).read_bytes) == b"x"


async def test_storages_without_local_files_have_no_path() -> None:
    with pytest.raises(StorageError, match="no local filesystem path"):
        MemoryStorage().path("a.txt")


def test_repr_shows_root_and_base_url(local: FileSystemStorage, media_root: Path) -> None:
    assert repr(local) == f"FileSystemStorage(root={str(media_root)!r}, base_url='/media/')"
