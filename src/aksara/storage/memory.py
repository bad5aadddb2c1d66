"""``MemoryStorage``: media files in memory, for tests."""

from __future__ import annotations

import errno
import io
from collections.abc import AsyncIterator
from typing import Any

from aksara.storage.base import Storage, StorageFile


class MemoryStorage(Storage):
    """Media files kept in memory by fsspec's memory filesystem; each instance has its own.

    ``media_storage="memory"`` builds one with ``media_url`` as its base URL. Its
    operations are dictionary lookups, so they run directly on the event loop instead
    of in a worker thread. Saved content is held whole, so this is for tests only.
    """

    def __init__(self, *, base_url: str | None = "/media/") -> None:
        super().__init__(base_url=base_url)
        from fsspec.implementations.memory import MemoryFileSystem  # pyright: ignore[reportMissingTypeStubs]

        self.fs: Any = MemoryFileSystem(global_store=False, skip_instance_cache=True)

    async def _save(self, name: str, chunks: AsyncIterator[bytes], max_length: int | None) -> str:
        buffer = io.BytesIO()
        async for chunk in chunks:
            buffer.write(chunk)
        data = buffer.getvalue()
        # No await from the check to the write, so no other task can take the name.
        for candidate in self.candidate_names(name, max_length):
            if self.fs.exists(candidate):
                continue
            self.fs.pipe_file(candidate, data, mode="create")
            return candidate
        raise self._no_free_name(name)

    async def _open(self, name: str) -> StorageFile:
        return _MemoryFile(self, name, self.fs.cat_file(name))

    async def _read(self, name: str) -> bytes:
        data: bytes = self.fs.cat_file(name)
        return data

    async def _exists(self, name: str) -> bool:
        return bool(self.fs.isfile(name))

    async def _size(self, name: str) -> int:
        info = self.fs.info(name)
        if info["type"] != "file":
            raise IsADirectoryError(errno.EISDIR, "is a directory", name)
        return int(info["size"])

    async def _delete(self, name: str) -> None:
        if self.fs.isfile(name):
            self.fs.rm_file(name)


class _MemoryFile(StorageFile):
    def __init__(self, storage: MemoryStorage, name: str, data: bytes) -> None:
        super().__init__(storage, name)
        self._buffer = io.BytesIO(data)

    async def _read(self, size: int) -> bytes:
        return self._buffer.read(size)

    async def _close(self) -> None:
        self._buffer.close()
