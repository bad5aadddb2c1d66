"""The configured storage: ``get_storage()`` builds it from the settings in force and keeps it."""

from __future__ import annotations

import importlib

from aksara.conf import Settings, get_settings
from aksara.exceptions import ConfigurationError
from aksara.storage.base import Storage

BACKENDS = {
    "filesystem": "aksara.storage.local.FileSystemStorage",
    "memory": "aksara.storage.memory.MemoryStorage",
    "s3": "aksara.storage.s3.S3Storage",
}
"""The short names ``media_storage`` accepts; anything else is a dotted path to a class."""

_current: tuple[Settings, Storage] | None = None


def storage_from_settings(settings: Settings) -> Storage:
    """A new storage as ``settings.media_storage`` describes it.

    ``media_storage`` is ``"filesystem"``, ``"s3"``, ``"memory"``, or the dotted path of a
    ``Storage`` subclass, built with its ``from_settings(settings)``.
    """
    path = BACKENDS.get(settings.media_storage, settings.media_storage)
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise ConfigurationError(
            f"media_storage={settings.media_storage!r}: expected one of "
            f"{', '.join(sorted(BACKENDS))} or a dotted path to a Storage class"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigurationError(
            f"media_storage={settings.media_storage!r}: cannot import {module_name!r}: {exc}"
        ) from exc
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Storage)):
        raise ConfigurationError(
            f"media_storage={settings.media_storage!r}: {path!r} is not a Storage subclass"
        )
    return cls.from_settings(settings)


def get_storage() -> Storage:
    """The media storage of the settings in force, built once per settings object.

    After ``configure(...)`` installs new settings, the next call builds a new storage.
    """
    global _current
    settings = get_settings()
    if _current is None or _current[0] is not settings:
        _current = (settings, storage_from_settings(settings))
    return _current[1]


async def close_storage() -> None:
    """Close the configured storage's connections (at application shutdown) and forget it."""
    global _current
    current, _current = _current, None
    if current is not None:
        await current[1].close()
