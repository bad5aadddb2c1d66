"""``FileSystemStorage``: media files in a folder on the local disk."""

from __future__ import annotations

import errno
import os
import posixpath
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Self

from aksara._concurrency import run_in_thread, run_to_the_end
from aksara.exceptions import SuspiciousFileOperation
from aksara.storage._names import validate_name
from aksara.storage.base import Storage, StorageFile

if TYPE_CHECKING:
    from aksara.conf import Settings

# Filesystems that refuse hard links (FAT, some SMB and FUSE mounts) answer with these.
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK}

#: Uploads are written under such a name next to their folder, then published.
TEMP_PREFIX = ".aksara-upload-"
TEMP_SUFFIX = ".part"


class FileSystemStorage(Storage):
    """Media files under ``root`` on the local disk, served from ``base_url``.

    ``media_storage="filesystem"`` builds one from ``media_root`` and ``media_url``.
    Every name is resolved, symlinks included, and must stay inside ``root`` by path
    components (``media-private`` next to ``media`` is outside), else
    ``SuspiciousFileOperation``. All disk access runs in a worker thread.

    A saved file appears complete or not at all: content is streamed to a hidden
    temporary file in the target folder and hard-linked to a free name, which also
    makes "never overwrite" atomic.
    """

    def __init__(self, *, root: str | os.PathLike[str], base_url: str | None = None) -> None:
        super().__init__(base_url=base_url)
        self.root: str = os.path.abspath(os.fspath(root))
        # Imported here, not with aksara: many programs never store a file.
        from fsspec.implementations.local import LocalFileSystem  # pyright: ignore[reportMissingTypeStubs]

        self.fs: Any = LocalFileSystem()

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(root=settings.media_root, base_url=settings.media_url)

    def _describe(self) -> str:
        return f"root={self.root!r}, base_url={self.base_url!r}"

    def path(self, name: str) -> str:
        """The absolute path of ``name`` (symlinks resolved), checked to be inside ``root``."""
        validate_name(name)
        return self._resolve(name)

    def location(self, name: str) -> tuple[str, ...]:
        return ("file", os.path.normpath(os.path.join(os.path.abspath(self.root), name)))

    def name_at(self, location: tuple[str, ...]) -> str | None:
        if location[0] != "file":
            return None
        root = os.path.abspath(self.root)
        path = location[1]
        if not path.startswith(root + os.sep):
            return None
        return os.path.relpath(path, root).replace(os.sep, "/")

    def _resolve(self, name: str, *, folder: bool = False) -> str:
        # Blocking (it reads symlinks): call it in a worker thread on the async paths.
        root = os.path.realpath(self.root)
        path = os.path.realpath(os.path.join(root, name))
        inside = PurePath(path).is_relative_to(root) and (folder or path != root)
        if not inside:
            raise SuspiciousFileOperation(f"{self!r}: {name!r} resolves outside the storage root")
        return path

    async def _save(self, name: str, chunks: AsyncIterator[bytes], max_length: int | None) -> str:
        # Each step in a thread runs to its end even when the task is cancelled, so the
        # clean-up below always knows what exists: the temporary file, and the published one.
        folder = await run_to_the_end(self._make_folder, posixpath.dirname(name))
        temp = os.path.join(folder, f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}")
        published: list[str] = []
        try:
            file = await run_to_the_end(self.fs.open, temp, "xb")
            try:
                async for chunk in chunks:
                    await run_to_the_end(file.write, chunk)
            finally:
                await run_to_the_end(file.close)
            return await run_to_the_end(self._publish, temp, name, max_length, published)
        except BaseException:
            for candidate in published:  # published, but the caller never gets its name
                await run_to_the_end(_remove_if_present, self._resolve(candidate))
            raise
        finally:
            await run_to_the_end(_remove_if_present, temp)

    def sweep_temporary_files(self, older_than: float = 3600.0) -> int:
        """Remove upload files left half-written (a process killed mid-upload) that are older
        than ``older_than`` seconds; returns how many. Blocking: call it in a thread
        (``Aksara`` apps do at start-up)."""
        cutoff = time.time() - older_than
        removed = 0
        root = self._resolve(".", folder=True)
        for folder, _, files in os.walk(root):
            for base in files:
                if base.startswith(TEMP_PREFIX) and base.endswith(TEMP_SUFFIX):
                    path = os.path.join(folder, base)
                    try:
                        if os.lstat(path).st_mtime < cutoff:
                            os.unlink(path)
                            removed += 1
                    except FileNotFoundError:
                        pass
        return removed

    def _make_folder(self, folder: str) -> str:
        path = self._resolve(folder or ".", folder=True)
        os.makedirs(path, exist_ok=True)
        return path

    def _publish(
        self, temp: str, name: str, max_length: int | None, published: list[str] | None = None
    ) -> str:
        folders: dict[str, str] = {}
        for candidate in self.candidate_names(name, max_length):
            folder, base = posixpath.split(candidate)
            if folder not in folders:
                folders[folder] = self._make_folder(folder)
            # Only the last component is new, and link() never follows an existing
            # entry (even a symlink), so the target cannot land outside the root.
            target = os.path.join(folders[folder], base)
            try:
                os.link(temp, target)
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in _NO_HARD_LINKS:
                    raise
                # No hard links here: claim the name, then move the content onto it.
                try:
                    os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
                except FileExistsError:
                    continue
                os.replace(temp, target)
            if published is not None:
                published.append(candidate)
            return candidate
        raise self._no_free_name(name)

    async def _open(self, name: str) -> StorageFile:
        file = await run_in_thread(self._open_sync, name)
        return _LocalFile(self, name, file)

    def _open_sync(self, name: str) -> Any:
        return self.fs.open(self._resolve(name), "rb")

    async def _read(self, name: str) -> bytes:
        return await run_in_thread(self._read_sync, name)

    def _read_sync(self, name: str) -> bytes:
        data: bytes = self.fs.cat_file(self._resolve(name))
        return data

    async def _exists(self, name: str) -> bool:
        return await run_in_thread(self._exists_sync, name)

    def _exists_sync(self, name: str) -> bool:
        return bool(self.fs.isfile(self._resolve(name)))

    async def _size(self, name: str) -> int:
        return await run_in_thread(self._size_sync, name)

    def _size_sync(self, name: str) -> int:
        info = self.fs.info(self._resolve(name))
        if info["type"] != "file":
            raise IsADirectoryError(errno.EISDIR, "is a directory", name)
        return int(info["size"])

    async def _delete(self, name: str) -> None:
        await run_in_thread(self._delete_sync, name)

    def _delete_sync(self, name: str) -> None:
        try:
            self.fs.rm_file(self._resolve(name))
        except FileNotFoundError:
            pass


class _LocalFile(StorageFile):
    def __init__(self, storage: FileSystemStorage, name: str, file: Any) -> None:
        super().__init__(storage, name)
        self._file = file

    async def _read(self, size: int) -> bytes:
        data: bytes = await run_in_thread(self._file.read, size)
        return data

    async def _close(self) -> None:
        await run_in_thread(self._file.close)


def _remove_if_present(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
