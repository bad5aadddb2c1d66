"""The one boundary where OS, fsspec, botocore and aiohttp errors become ``StorageError``."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from aksara.exceptions import StorageError


def _backend_errors() -> tuple[type[BaseException], ...]:
    # OSError covers local disks, fsspec's memory filesystem and s3fs, which turns S3
    # error codes into FileNotFoundError, PermissionError, ...; the rest are what can
    # escape botocore and aiohttp when s3fs gives up retrying.
    errors: list[type[BaseException]] = [OSError]  # TimeoutError included
    try:
        botocore = importlib.import_module("botocore.exceptions")
    except ImportError:
        pass
    else:
        errors += [botocore.BotoCoreError, botocore.ClientError]
    try:
        from aiohttp import ClientError as AiohttpClientError
    except ImportError:
        pass
    else:
        errors.append(AiohttpClientError)
    return tuple(errors)


BACKEND_ERRORS = _backend_errors()


@contextmanager
def translate_errors(
    storage: str, action: str, name: str, *, redact: Sequence[str] = ()
) -> Iterator[None]:
    """Re-raise backend errors inside the block as ``StorageError`` (the original as ``__cause__``).

    The message names the storage, the action and the file; ``redact`` lists secrets
    that must never show up in it.
    """
    try:
        yield
    except StorageError:
        raise
    except BACKEND_ERRORS as exc:
        if isinstance(exc, FileNotFoundError):
            detail = "no such file"
        elif isinstance(exc, IsADirectoryError):
            detail = "it is a directory"
        else:
            detail = str(exc) or type(exc).__name__
        message = f"{storage}: could not {action} {name!r}: {detail}"
        for secret in redact:
            if secret:
                message = message.replace(secret, "***")
        raise StorageError(message) from exc
