"""Content to save, whatever its shape, read as a stream of bounded chunks."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterable, AsyncIterator, Awaitable
from typing import Any, Protocol, TypeAlias, cast, runtime_checkable

from aksara._concurrency import run_in_thread


@runtime_checkable
class SyncReadable(Protocol):
    """A blocking binary file-like object: ``open(..., "rb")``, ``BytesIO``, ``SpooledTemporaryFile``."""

    def read(self, size: int = -1, /) -> bytes: ...


@runtime_checkable
class AsyncReadable(Protocol):
    """An async binary file-like object with ``await read(size)``: Starlette's ``UploadFile``."""

    def read(self, size: int = -1, /) -> Awaitable[bytes]: ...


Content: TypeAlias = (
    bytes | bytearray | memoryview | SyncReadable | AsyncReadable | AsyncIterable[bytes]
)
"""What ``Storage.save()`` accepts."""


async def iter_content(content: Content, chunk_size: int) -> AsyncIterator[bytes]:
    """Yield ``content`` in chunks of about ``chunk_size`` bytes.

    bytes-like content is sliced; file-like objects are read from their current position,
    ``chunk_size`` bytes at a time (blocking ones in a worker thread); async iterators
    are passed through, so their own chunk size bounds memory.
    """
    if isinstance(content, bytes | bytearray | memoryview):
        view = memoryview(content).cast("B")
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    if isinstance(content, str):
        raise TypeError("content must be bytes, not str; encode it first")
    read = getattr(content, "read", None)
    if read is not None and inspect.iscoroutinefunction(read):
        while chunk := _check(await read(chunk_size)):
            yield chunk
        return
    if isinstance(content, AsyncIterable):
        async for item in content:
            if chunk := _check(item):
                yield chunk
        return
    if read is not None and callable(read):
        while True:
            data: Any = await run_in_thread(read, chunk_size)
            if inspect.isawaitable(data):  # an async read() that is not a coroutine function
                data = await data
            if not (chunk := _check(data)):
                return
            yield chunk
    raise TypeError(
        "content must be bytes, a binary file-like object, an object with an async "
        f"read(), or an async iterator of bytes; got {type(content).__name__}"
    )


def _check(chunk: object) -> bytes:
    if isinstance(chunk, bytes):
        return chunk
    if isinstance(chunk, bytearray | memoryview):
        return bytes(cast("bytearray | memoryview[Any]", chunk))
    raise TypeError(f"content must yield bytes, got {type(chunk).__name__}")
