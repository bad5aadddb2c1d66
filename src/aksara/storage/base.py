"""``Storage``: the async API every media backend offers; ``StorageFile``: a stored file open for reading."""

from __future__ import annotations

import abc
import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

from aksara.db.hooks import in_transaction, on_commit, on_rollback
from aksara.exceptions import StorageError
from aksara.storage import _names
from aksara.storage._content import Content, iter_content
from aksara.storage._errors import translate_errors

if TYPE_CHECKING:
    from aksara.conf import Settings

logger = logging.getLogger("aksara.storage")


class Storage(abc.ABC):
    """Where media files live: a local folder, an S3 bucket, memory, or your own backend.

    Names are relative "/"-separated keys (``"assets/report.pdf"``); every method checks
    them with ``validate_name`` first, and unsafe ones raise ``SuspiciousFileOperation``.
    Backend failures raise ``StorageError`` with the original error as ``__cause__``
    (a missing file: ``__cause__`` is a ``FileNotFoundError``).

    A subclass implements ``_save``, ``_open``, ``_read``, ``_exists``, ``_size`` and
    ``_delete``; it may override ``url``, ``path``, ``close`` and ``from_settings``.
    """

    #: Bytes read from content at a time while saving, and per chunk while reading.
    chunk_size: int = 1024 * 1024
    #: How many names ``save`` tries before giving up on finding a free one.
    max_name_attempts: int = 100

    def __init__(self, *, base_url: str | None = None) -> None:
        self.base_url = base_url

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the storage from aksara's settings (``media_storage`` names this class)."""
        return cls(base_url=settings.media_url)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"

    def _describe(self) -> str:
        return f"base_url={self.base_url!r}"

    # Names

    def get_valid_name(self, filename: str) -> str:
        """A safe base name for the client-supplied ``filename`` (see ``_names.get_valid_name``)."""
        return _names.get_valid_name(filename)

    def generate_filename(
        self, upload_to: _names.UploadTo, filename: str, instance: Any = None
    ) -> str:
        """The name an upload called ``filename`` gets under ``upload_to`` (folder, strftime, callable)."""
        return _names.generate_filename(upload_to, filename, instance)

    def get_alternative_name(self, name: str, max_length: int | None = None) -> str:
        """``name`` with a short random suffix, tried when ``name`` is taken."""
        return _names.get_alternative_name(name, max_length)

    def candidate_names(self, name: str, max_length: int | None = None) -> Iterator[str]:
        """``name`` (shortened to ``max_length``), then alternatives, ``max_name_attempts`` in all."""
        yield _names.fit_name(name, max_length)
        for _ in range(self.max_name_attempts - 1):
            yield self.get_alternative_name(name, max_length)

    def _no_free_name(self, name: str) -> StorageError:
        return StorageError(
            f"{self!r}: no free name for {name!r} after {self.max_name_attempts} attempts"
        )

    # The API

    async def save(self, name: str, content: Content, *, max_length: int | None = None) -> str:
        """Write ``content`` under ``name`` and return the name actually used.

        ``content`` is bytes, a binary file-like object (read from its current position),
        an object with ``async read(size)`` such as Starlette's ``UploadFile``, or an async
        iterator of bytes. It is streamed in chunks, so memory stays bounded whatever the
        size. An existing file is never overwritten: when ``name`` is taken, a short random
        suffix is added before the extension. ``max_length`` caps the returned name's length.

        Inside ``aksara.db.transaction()``, the new file is deleted if the block rolls back.
        """
        _names.validate_name(name)
        with self._errors("save", name):
            write = asyncio.ensure_future(
                self._save(name, iter_content(content, self.chunk_size), max_length)
            )
            try:
                final = await asyncio.shield(write)
            except asyncio.CancelledError:
                # Stop the write and wait for its clean-up (the backend removes a partial
                # file); if it had finished already, nobody will register the file: remove it.
                write.cancel()
                await asyncio.wait({write})
                if not write.cancelled() and write.exception() is None:
                    await self._delete_quietly(write.result(), "cancellation")
                raise
        await self._delete_on_rollback(final)
        return final

    async def open(self, name: str) -> StorageFile:
        """Open a stored file for reading: ``async with await storage.open(name) as f: ...``."""
        _names.validate_name(name)
        with self._errors("open", name):
            return await self._open(name)

    async def read(self, name: str) -> bytes:
        """The whole content of a stored file. Use ``chunks()`` for large files."""
        _names.validate_name(name)
        with self._errors("read", name):
            return await self._read(name)

    async def chunks(self, name: str, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """Yield a stored file's content in chunks of at most ``chunk_size`` bytes."""
        async with await self.open(name) as file:
            while chunk := await file.read(chunk_size or self.chunk_size):
                yield chunk

    async def exists(self, name: str) -> bool:
        """True when a file (not a folder) is stored under ``name``."""
        _names.validate_name(name)
        with self._errors("check", name):
            return await self._exists(name)

    async def size(self, name: str) -> int:
        """The size of a stored file in bytes."""
        _names.validate_name(name)
        with self._errors("get the size of", name):
            return await self._size(name)

    async def delete(self, name: str) -> None:
        """Delete a stored file. Deleting a missing file is not an error."""
        _names.validate_name(name)
        with self._errors("delete", name):
            await self._delete(name)

    # Where files are, whatever storage object names them (several may share a place).

    def location(self, name: str) -> tuple[str, ...]:
        """Where the file ``name`` is, independent of this object: two storages on one place
        (one folder, one bucket) give its file one location."""
        return ("object", str(id(self)), name)

    def name_at(self, location: tuple[str, ...]) -> str | None:
        """This storage's name for the file at ``location``; None when it lies outside."""
        own = ("object", str(id(self)))
        return location[2] if location[:2] == own and len(location) == 3 else None

    def url(self, name: str) -> str:
        """The URL a browser fetches the file from: ``base_url`` followed by the quoted name."""
        _names.validate_name(name)
        if self.base_url is None:
            raise StorageError(f"{self!r} has no base URL; cannot build a URL for {name!r}")
        return self.base_url.rstrip("/") + "/" + quote(name, safe="/")

    def path(self, name: str) -> str:
        """The file's path on the local filesystem. Only local storage has one."""
        raise StorageError(
            f"{self!r} has no local filesystem path for {name!r}; use url(), open() or read()"
        )

    async def delete_on_commit(
        self, name: str, *, unless: Callable[[], Awaitable[bool]] | None = None
    ) -> None:
        """Delete ``name`` once the current transaction commits; at once outside a transaction.

        This is how a replaced file goes away: never before the row that stopped
        pointing at it is committed. ``unless`` is asked first, after the commit: the file
        stays when it returns True (another row still refers to it). After a commit, a
        failed delete is logged (the transaction cannot be undone); outside a transaction
        it raises.
        """
        _names.validate_name(name)

        async def delete(quietly: bool) -> None:
            if unless is not None and await unless():
                logger.info("kept %r: still referred to", name)
                return
            if quietly:
                await self._delete_quietly(name, "commit")
            else:
                await self.delete(name)

        if in_transaction():
            await on_commit(functools.partial(delete, True))
        else:
            await delete(False)

    async def _delete_on_rollback(self, name: str) -> None:
        if in_transaction():
            await on_rollback(functools.partial(self._delete_quietly, name, "rollback"))

    async def _delete_quietly(self, name: str, event: str) -> None:
        # Runs in a transaction hook: raising here would hide the error that caused the
        # rollback, or report a committed transaction as failed. A leftover file is
        # harmless; say so in the log.
        try:
            await self.delete(name)
        except StorageError:
            logger.warning("could not delete %r after %s", name, event, exc_info=True)

    async def close(self) -> None:
        """Release connections held by the storage. Local and memory storage hold none."""
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @contextmanager
    def _errors(self, action: str, name: str) -> Generator[None, None, None]:
        with translate_errors(repr(self), action, name, redact=self._secrets()):
            yield

    def _secrets(self) -> tuple[str, ...]:
        return ()

    # What a backend implements. Names are already validated.

    @abc.abstractmethod
    async def _save(self, name: str, chunks: AsyncIterator[bytes], max_length: int | None) -> str:
        """Stream ``chunks`` to the first free name of ``candidate_names(name, max_length)``."""

    @abc.abstractmethod
    async def _open(self, name: str) -> StorageFile: ...

    @abc.abstractmethod
    async def _read(self, name: str) -> bytes: ...

    @abc.abstractmethod
    async def _exists(self, name: str) -> bool: ...

    @abc.abstractmethod
    async def _size(self, name: str) -> int: ...

    @abc.abstractmethod
    async def _delete(self, name: str) -> None:
        """Delete ``name``; a missing file is not an error."""


class StorageFile(abc.ABC):
    """A stored file open for reading: ``await read(size)``, ``async for chunk in file``, ``close()``."""

    def __init__(self, storage: Storage, name: str) -> None:
        self.storage = storage
        self.name = name
        self.closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}{' closed' if self.closed else ''}>"

    async def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (everything left when ``size`` is negative); ``b""`` at the end."""
        if self.closed:
            raise ValueError(f"{self!r}: I/O operation on a closed file")
        with self.storage._errors("read", self.name):
            return await self._read(size)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with self.storage._errors("close", self.name):
            await self._close()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter_chunks()

    async def _iter_chunks(self) -> AsyncIterator[bytes]:
        while chunk := await self.read(self.storage.chunk_size):
            yield chunk

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @abc.abstractmethod
    async def _read(self, size: int) -> bytes: ...

    @abc.abstractmethod
    async def _close(self) -> None: ...
