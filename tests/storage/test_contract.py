"""What every storage promises, run on local disk, memory and S3 (moto's HTTP server)."""

from __future__ import annotations

import asyncio
import io
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import UploadFile

from aksara.exceptions import StorageError, SuspiciousFileOperation
from aksara.storage import Storage

PAYLOAD = bytes(range(256)) * 1000  # 256,000 bytes, every byte value


async def _agen(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        await asyncio.sleep(0)
        yield data[start : start + size]


class _AsyncReader:
    """An object with only ``async read(size)``, like an async file."""

    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)
        self.sizes: list[int] = []

    async def read(self, size: int = -1) -> bytes:
        self.sizes.append(size)
        return self._buffer.read(size)


def _upload_file(data: bytes) -> UploadFile:
    spooled = tempfile.SpooledTemporaryFile(max_size=1024)  # rolled to disk, like a big upload
    spooled.write(data)
    spooled.seek(0)
    return UploadFile(file=spooled, filename="upload.bin")


CONTENT_KINDS: dict[str, Callable[[bytes], Any]] = {
    "bytes": lambda data: data,
    "bytearray": bytearray,
    "memoryview": memoryview,
    "bytesio": io.BytesIO,
    "async_reader": _AsyncReader,
    "upload_file": _upload_file,
    "async_iterator": lambda data: _agen(data, 10_000),
}


@pytest.mark.parametrize("kind", CONTENT_KINDS)
async def test_save_accepts_every_content_kind_and_reads_it_back(
    storage: Storage, kind: str
) -> None:
    content = CONTENT_KINDS[kind](PAYLOAD)
    try:
        name = await storage.save(f"kinds/{kind}.bin", content)
    finally:
        if isinstance(content, UploadFile):
            await content.close()
    assert name == f"kinds/{kind}.bin"
    assert await storage.read(name) == PAYLOAD
    assert await storage.size(name) == len(PAYLOAD)
    assert await storage.exists(name)


async def test_save_reads_a_sync_file_from_disk_in_chunks(storage: Storage, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(PAYLOAD)
    with source.open("rb") as file:
        name = await storage.save("disk.bin", file)
    assert await storage.read(name) == PAYLOAD


async def test_save_reads_file_like_content_in_bounded_chunks(storage: Storage) -> None:
    storage.chunk_size = 4096
    reader = _AsyncReader(PAYLOAD)
    await storage.save("bounded.bin", reader)
    assert set(reader.sizes) == {4096}


async def test_save_stores_empty_content(storage: Storage) -> None:
    name = await storage.save("empty.txt", b"")
    assert await storage.size(name) == 0
    assert await storage.read(name) == b""


async def test_save_never_overwrites_and_adds_a_random_suffix(storage: Storage) -> None:
    first = await storage.save("docs/report.pdf", b"first")
    second = await storage.save("docs/report.pdf", b"second")
    third = await storage.save("docs/report.pdf", b"third")
    assert first == "docs/report.pdf"
    assert re.fullmatch(r"docs/report_[a-z0-9]{7}\.pdf", second)
    assert re.fullmatch(r"docs/report_[a-z0-9]{7}\.pdf", third)
    assert second != third
    assert await storage.read(first) == b"first"
    assert await storage.read(second) == b"second"
    assert await storage.read(third) == b"third"


async def test_collision_suffix_goes_before_a_compound_extension(storage: Storage) -> None:
    await storage.save("backup.tar.gz", b"1")
    renamed = await storage.save("backup.tar.gz", b"2")
    assert re.fullmatch(r"backup_[a-z0-9]{7}\.tar\.gz", renamed)


async def test_concurrent_saves_of_one_name_all_keep_their_content(storage: Storage) -> None:
    contents = [f"upload {i}".encode() for i in range(5)]
    names = await asyncio.gather(*(storage.save("same.txt", c) for c in contents))
    assert len(set(names)) == 5
    assert [await storage.read(name) for name in names] == contents


async def test_save_shortens_names_to_max_length(storage: Storage) -> None:
    name = await storage.save("a/" + "x" * 40 + ".txt", b"1", max_length=20)
    assert name == "a/" + "x" * 14 + ".txt"
    renamed = await storage.save("a/" + "x" * 40 + ".txt", b"2", max_length=20)
    assert len(renamed) == 20
    assert re.fullmatch(r"a/x{6}_[a-z0-9]{7}\.txt", renamed)
    assert await storage.read(renamed) == b"2"


async def test_save_refuses_a_name_that_cannot_fit_max_length(storage: Storage) -> None:
    with pytest.raises(SuspiciousFileOperation):
        await storage.save("folder/report.pdf", b"x", max_length=10)


async def test_chunks_streams_the_content_in_bounded_pieces(storage: Storage) -> None:
    name = await storage.save("stream.bin", PAYLOAD)
    pieces = [piece async for piece in storage.chunks(name, chunk_size=10_000)]
    assert b"".join(pieces) == PAYLOAD
    assert all(0 < len(piece) <= 10_000 for piece in pieces)
    assert len(pieces) >= 26


async def test_open_reads_part_by_part_and_iterates(storage: Storage) -> None:
    name = await storage.save("open.bin", PAYLOAD)
    async with await storage.open(name) as file:
        head = await file.read(10)
        rest = await file.read()
        assert await file.read() == b""
    assert head + rest == PAYLOAD
    assert file.closed
    with pytest.raises(ValueError, match="closed file"):
        await file.read()

    async with await storage.open(name) as file:
        assert b"".join([chunk async for chunk in file]) == PAYLOAD


async def test_missing_files_raise_storage_error_with_file_not_found_cause(
    storage: Storage,
) -> None:
    assert not await storage.exists("missing.txt")
    for call in (storage.read, storage.size, storage.open):
        with pytest.raises(StorageError, match="missing.txt") as info:
            await call("missing.txt")
        assert isinstance(info.value.__cause__, FileNotFoundError)


async def test_delete_removes_the_file_and_ignores_missing_ones(storage: Storage) -> None:
    name = await storage.save("gone.txt", b"bye")
    await storage.delete(name)
    assert not await storage.exists(name)
    await storage.delete(name)


async def test_a_folder_is_not_a_file(storage: Storage) -> None:
    await storage.save("folder/inner.txt", b"x")
    assert not await storage.exists("folder")
    assert await storage.exists("folder/inner.txt")


async def test_url_joins_the_base_url_and_the_quoted_name(storage: Storage) -> None:
    assert storage.url("a b/ü.txt") == "/media/a%20b/%C3%BC.txt"


UNSAFE_NAMES = [
    "../outside.txt",
    "a/../../outside.txt",
    "a/..",
    "/etc/passwd",
    "a\x00b.txt",
    "",
    "a//b.txt",
    "./a.txt",
    "a/",
    "..\\outside.txt",
    "line\nbreak.txt",
]


@pytest.mark.parametrize("name", UNSAFE_NAMES)
async def test_every_operation_rejects_unsafe_names(storage: Storage, name: str) -> None:
    operations = {
        "save": lambda: storage.save(name, b"x"),
        "open": lambda: storage.open(name),
        "read": lambda: storage.read(name),
        "exists": lambda: storage.exists(name),
        "size": lambda: storage.size(name),
        "delete": lambda: storage.delete(name),
        "delete_on_commit": lambda: storage.delete_on_commit(name),
    }
    for operation in operations.values():
        with pytest.raises(SuspiciousFileOperation):
            await operation()
    with pytest.raises(SuspiciousFileOperation):
        storage.url(name)


async def test_content_of_the_wrong_type_is_refused_and_nothing_is_stored(
    storage: Storage,
) -> None:
    async def text_chunks() -> AsyncIterator[Any]:
        yield b"fine"
        yield "not bytes"

    with pytest.raises(TypeError, match="content must be bytes"):
        await storage.save("text.txt", "plain text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must yield bytes"):
        await storage.save("text.txt", text_chunks())
    assert not await storage.exists("text.txt")


async def test_a_failing_source_propagates_and_leaves_nothing(storage: Storage) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"partial content"
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError, match="client went away"):
        await storage.save("broken.bin", broken())
    assert not await storage.exists("broken.bin")
    assert await storage.save("broken.bin", b"ok") == "broken.bin"
