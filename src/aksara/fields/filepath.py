"""``FilePath``: a path chosen from the files (or folders) under a directory."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast, overload

import sqlalchemy as sa
from typing_extensions import Unpack

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import N
from aksara.fields.text import String, TextOptions
from aksara.types import FilePathType


class ScanChoices:
    """``FilePath.choices``: call it for a fresh directory scan, or iterate it like the
    ``(value, label)`` choices of other fields."""

    __slots__ = ("field",)

    def __init__(self, field: FilePath) -> None:
        self.field = field

    def __call__(self) -> list[tuple[str, str]]:
        return self.field.scan()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.field.scan())

    def __repr__(self) -> str:
        return f"<choices of {self.field!r} under {self.field.path!r}>"


class _ChoicesDescriptor:
    # A data descriptor, so the ``self.choices = None`` of Field.__init__ cannot hide it.
    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _ChoicesDescriptor: ...

    @overload
    def __get__(self, instance: FilePath, owner: type[Any]) -> ScanChoices: ...

    def __get__(self, instance: FilePath | None, owner: type[Any]) -> Any:
        return self if instance is None else ScanChoices(instance)

    def __set__(self, instance: FilePath, value: Any) -> None:
        if value is not None:
            raise ConfigurationError("FilePath takes its choices from the directory scan")


class FilePath(String[N]):
    """A file system path under ``path``. PostgreSQL type: ``VARCHAR(max_length)`` (default 100).

    ``template = fields.FilePath(path="/app/templates", match=r".*\\.html$", recursive=True)``

    ``choices()`` scans the directory and returns ``(path, display_name)`` tuples: the
    full path (what the column stores) and the path relative to ``path``. ``match`` is
    a regular expression searched in each file or folder *name*; ``recursive`` includes
    subdirectories; ``allow_files``/``allow_folders`` choose what is listed. A value that
    the scan would not list is rejected.
    """

    # The scan replaces the ``list | None`` of other fields: a FilePath's choices are read
    # from the directory each time, so the declaration of Field does not hold here.
    if TYPE_CHECKING:
        choices: ScanChoices  # type: ignore[assignment]  # pyright: ignore[reportIncompatibleVariableOverride]
    else:
        choices = _ChoicesDescriptor()

    def __init__(
        self,
        *,
        path: str | os.PathLike[str] = "",
        match: str | None = None,
        recursive: bool = False,
        allow_files: bool = True,
        allow_folders: bool = False,
        max_length: int = 100,
        **options: Unpack[TextOptions[N]],
    ) -> None:
        if options.get("choices") is not None:
            raise ConfigurationError("FilePath takes its choices from the directory scan")
        if not allow_files and not allow_folders:
            raise ConfigurationError("FilePath needs allow_files=True or allow_folders=True")
        super().__init__(max_length=max_length, **options)
        self.path = os.fspath(path)
        self.match = match
        self._match_re = re.compile(match) if match is not None else None
        self.recursive = recursive
        self.allow_files = allow_files
        self.allow_folders = allow_folders

    def _matches(self, name: str) -> bool:
        return self._match_re is None or self._match_re.search(name) is not None

    def scan(self) -> list[tuple[str, str]]:
        """The ``(path, display_name)`` choices, sorted; empty when ``path`` does not exist."""
        root = self.path
        found: list[str] = []
        if not os.path.isdir(root):
            return []
        if self.recursive:
            for directory, dirnames, filenames in os.walk(root):
                if self.allow_files:
                    found.extend(os.path.join(directory, f) for f in filenames if self._matches(f))
                if self.allow_folders:
                    found.extend(os.path.join(directory, d) for d in dirnames if self._matches(d))
        else:
            with os.scandir(root) as entries:
                for entry in entries:
                    if not self._matches(entry.name):
                        continue
                    if (self.allow_files and entry.is_file()) or (
                        self.allow_folders and entry.is_dir()
                    ):
                        found.append(entry.path)
        return [(p, os.path.relpath(p, root).replace(os.sep, "/")) for p in sorted(found)]

    def is_choice(self, value: str) -> bool:
        """Whether the scan would list ``value`` (checked with a few ``stat`` calls, not a scan)."""
        root = self.path
        relative = os.path.relpath(value, root) if root else ""
        if not root or relative.startswith(os.pardir) or os.path.isabs(relative):
            return False
        if os.path.join(root, relative) != value or relative == os.curdir:
            return False
        parts = relative.split(os.sep)
        if len(parts) > 1:
            if not self.recursive:
                return False
            # os.walk does not enter symlinked directories.
            for depth in range(1, len(parts)):
                if os.path.islink(os.path.join(root, *parts[:depth])):
                    return False
        if not self._matches(parts[-1]):
            return False
        if os.path.isdir(value):
            return self.allow_folders
        return self.allow_files and os.path.isfile(value)

    def to_python(self, value: Any) -> str:
        if isinstance(value, os.PathLike):
            value = os.fspath(cast("os.PathLike[Any]", value))
        return super().to_python(value)

    def validate_choices(self, value: Any) -> None:
        if not self.is_choice(value):
            raise ValidationError(
                f"{value!r} is not a path under {self.path!r} that this field lists"
            )

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return FilePathType(self.max_length)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["format"] = "path"
        return info
