"""The one boundary where OS, fsspec, botocore and aiohttp errors become ``StorageError``."""

from __future__ import annotations

import sys
from collections.abc import Generator, Sequence
from contextlib import contextmanager

from aksara.exceptions import StorageError


def backend_errors() -> tuple[type[BaseException], ...]:
    """The exception types a storage backend can raise.

    OSError covers local disks, fsspec's memory filesystem and s3fs, which turns S3 error
    codes into FileNotFoundError, PermissionError, ...; botocore and aiohttp errors can
    escape when s3fs gives up retrying. Those two are only looked up when already
    imported (no S3 storage, no such errors), so local storage never pays for importing them.
    """
    errors: list[type[BaseException]] = [OSError]  # TimeoutError included
    botocore = sys.modules.get("botocore.exceptions")
    if botocore is not None:
        errors += [botocore.BotoCoreError, botocore.ClientError]
    aiohttp = sys.modules.get("aiohttp")
    if aiohttp is not None:
        errors.append(aiohttp.ClientError)
    return tuple(errors)


@contextmanager
def translate_errors(
    storage: str, action: str, name: str, *, redact: Sequence[str] = ()
) -> Generator[None, None, None]:
    """Re-raise backend errors inside the block as ``StorageError`` (the original as ``__cause__``).

    The message names the storage, the action and the file; ``redact`` lists secrets
    that must never show up in it.
    """
    try:
        yield
    except StorageError:
        raise
    except Exception as exc:
        if not isinstance(exc, backend_errors()):
            raise
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
