"""File names: the safe-key check every storage applies, upload names, collision suffixes."""

from __future__ import annotations

import posixpath
import re
import secrets
import string
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aksara.exceptions import SuspiciousFileOperation

UploadTo = str | Callable[[Any, str], str]
"""Where uploads go: a folder (strftime patterns allowed) or ``(instance, filename) -> name``."""

# A file name keeps letters and digits of any script, "_", "-" and ".": nothing a shell,
# a URL or another operating system would read as syntax.
_UNSAFE = re.compile(r"[^\w.-]")
_SPACES = re.compile(r"\s+")
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
_SUFFIX_LENGTH = 7
# Most filesystems cap one path component at 255 bytes; leave room for the collision suffix.
_MAX_BASENAME_BYTES = 200


def validate_name(name: str) -> str:
    """Return ``name`` if it is a safe storage key, else raise ``SuspiciousFileOperation``.

    A key is a relative, "/"-separated path: no empty, "." or ".." component, no leading
    "/", no backslash, no NUL byte or other control character. Every storage checks every
    name it is given this way before touching its backend.
    """
    if not isinstance(name, str):  # pyright: ignore[reportUnnecessaryIsInstance] # run-time check for untyped callers
        raise TypeError(f"a storage name must be a str, got {type(name).__name__}")
    if not name:
        raise SuspiciousFileOperation("a storage name cannot be empty")
    if "\x00" in name:
        raise SuspiciousFileOperation(f"storage name {name!r} contains a NUL byte")
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        raise SuspiciousFileOperation(f"storage name {name!r} contains a control character")
    if "\\" in name:
        raise SuspiciousFileOperation(
            f"storage name {name!r} contains a backslash; folders are separated by '/'"
        )
    if name.startswith("/"):
        raise SuspiciousFileOperation(
            f"storage name {name!r} is absolute; names are relative to the storage root"
        )
    for part in name.split("/"):
        if part == "..":
            raise SuspiciousFileOperation(f"storage name {name!r} leaves the storage root")
        if part in ("", "."):
            raise SuspiciousFileOperation(
                f"storage name {name!r} has an empty or '.' path component"
            )
    return name


def get_valid_name(filename: str) -> str:
    """Turn a client-supplied file name into a safe base name that keeps its extension.

    Any directory part (``/`` or ``\\``) is dropped, the name is NFKC-normalised,
    whitespace becomes ``_``, characters other than letters, digits, ``_``, ``-`` and ``.``
    are removed, and leading dots and dashes are stripped (no hidden files such as
    ``.htaccess``). ``"../../My Report (final).PDF"`` becomes ``"My_Report_final.PDF"``.

    Raises ``SuspiciousFileOperation`` for a NUL byte or when nothing usable is left.
    """
    if not isinstance(filename, str):  # pyright: ignore[reportUnnecessaryIsInstance] # run-time check for untyped callers
        raise TypeError(f"a file name must be a str, got {type(filename).__name__}")
    if "\x00" in filename:
        raise SuspiciousFileOperation(f"file name {filename!r} contains a NUL byte")
    base = re.split(r"[/\\]", filename)[-1]
    base = unicodedata.normalize("NFKC", base).strip()
    stem, ext = split_extension(base)
    stem = _UNSAFE.sub("", _SPACES.sub("_", stem)).lstrip(".-")
    ext = _UNSAFE.sub("", _SPACES.sub("_", ext))
    if not stem.strip("._-"):
        if not ext.strip("."):
            raise SuspiciousFileOperation(f"could not derive a file name from {filename!r}")
        # Only the extension survived ("😀.png"): keep it under a neutral stem.
        stem = "file"
    budget = _MAX_BASENAME_BYTES - len(ext.encode())
    # Cut on bytes, dropping a multi-byte character split at the edge.
    stem = stem.encode()[: max(budget, 0)].decode(errors="ignore")
    if not stem:
        raise SuspiciousFileOperation(f"file name {filename!r} has an overlong extension")
    return stem + ext


def generate_filename(
    upload_to: UploadTo,
    filename: str,
    instance: Any = None,
    *,
    now: datetime | None = None,
) -> str:
    """The storage name for an upload called ``filename``.

    ``upload_to`` is a folder such as ``"assets"``, a ``strftime`` pattern such as
    ``"uploads/%Y/%m"`` (expanded with the current UTC time, or ``now``), or a callable
    ``(instance, filename) -> name`` whose result keeps its folders. In every case the
    base name goes through ``get_valid_name`` and the whole name through ``validate_name``.
    """
    if callable(upload_to):
        generated = upload_to(instance, filename)
        if not isinstance(generated, str):  # pyright: ignore[reportUnnecessaryIsInstance] # run-time check of a user callable
            raise TypeError(f"upload_to callable must return a str, got {type(generated).__name__}")
        folder, base = posixpath.split(generated)
    else:
        folder = (now or datetime.now(UTC)).strftime(upload_to).rstrip("/")
        base = filename
    name = get_valid_name(base)
    if folder:
        name = f"{folder}/{name}"
    return validate_name(name)


def split_extension(basename: str) -> tuple[str, str]:
    """Split ``"report.tar.gz"`` into ``("report", ".tar.gz")`` and ``"a.b.pdf"`` into ``("a.b", ".pdf")``."""
    stem, ext = posixpath.splitext(basename)
    if stem.lower().endswith(".tar"):
        stem, ext = stem[:-4], stem[-4:] + ext
    return stem, ext


def fit_name(name: str, max_length: int | None) -> str:
    """Shorten the base name's stem so ``name`` has at most ``max_length`` characters."""
    if max_length is None or len(name) <= max_length:
        return name
    folder, base = posixpath.split(name)
    stem, ext = split_extension(base)
    excess = len(name) - max_length
    if excess >= len(stem):
        raise SuspiciousFileOperation(
            f"storage name {name!r} cannot be shortened to {max_length} characters"
        )
    base = stem[:-excess] + ext
    return f"{folder}/{base}" if folder else base


def get_alternative_name(name: str, max_length: int | None = None) -> str:
    """``name`` with a short random suffix before its extension: ``a/report_x7k2m9q.pdf``."""
    folder, base = posixpath.split(name)
    stem, ext = split_extension(base)
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(_SUFFIX_LENGTH))
    alternative = f"{stem}_{suffix}{ext}"
    if folder:
        alternative = f"{folder}/{alternative}"
    if max_length is not None and len(alternative) > max_length:
        # Cut the original stem, never the suffix that makes the name unique.
        excess = len(alternative) - max_length
        if excess >= len(stem):
            raise SuspiciousFileOperation(
                f"no free name for {name!r} fits in {max_length} characters"
            )
        alternative = f"{stem[:-excess]}_{suffix}{ext}"
        if folder:
            alternative = f"{folder}/{alternative}"
    return alternative
