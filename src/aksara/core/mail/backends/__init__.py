"""Mail backends and ``get_connection()``, which picks one by name or dotted path."""

from __future__ import annotations

import importlib
from typing import Any

from aksara.conf import get_settings
from aksara.core.mail.backends.base import BaseEmailBackend, check_messages
from aksara.exceptions import ConfigurationError

BACKENDS = {
    "console": "aksara.core.mail.backends.console.ConsoleBackend",
    "locmem": "aksara.core.mail.backends.locmem.LocmemBackend",
    "smtp": "aksara.core.mail.backends.smtp.SMTPBackend",
}


def get_connection(
    backend: str | type[BaseEmailBackend] | None = None,
    *,
    fail_silently: bool = False,
    **options: Any,
) -> BaseEmailBackend:
    """Return a new backend instance; ``async with`` it to reuse one connection.

    ``backend`` is ``"console"``, ``"locmem"``, ``"smtp"``, the dotted path of a
    ``BaseEmailBackend`` subclass, or the class itself; ``None`` uses the
    ``email_backend`` setting. ``options`` go to the backend's constructor, e.g.
    ``get_connection("smtp", host="mail.internal", port=2525)``.
    """
    backend_class = resolve_backend(
        backend if backend is not None else get_settings().email_backend
    )
    return backend_class(fail_silently=fail_silently, **options)


def resolve_backend(spec: str | type[BaseEmailBackend]) -> type[BaseEmailBackend]:
    """The backend class named by ``spec`` (see ``get_connection``)."""
    if isinstance(spec, type):
        found: object = spec
    else:
        path = BACKENDS.get(spec, spec)
        module_name, _, class_name = path.rpartition(".")
        if not module_name:
            raise ConfigurationError(
                f"email_backend {spec!r} is not one of {', '.join(BACKENDS)} "
                "nor a dotted path such as 'myapp.mail.MyBackend'"
            )
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigurationError(
                f"email_backend {spec!r}: cannot import {module_name!r}: {exc}"
            ) from exc
        try:
            found = getattr(module, class_name)
        except AttributeError:
            raise ConfigurationError(
                f"email_backend {spec!r}: module {module_name!r} has no {class_name!r}"
            ) from None
    if not (isinstance(found, type) and issubclass(found, BaseEmailBackend)):
        raise ConfigurationError(
            f"email_backend {spec!r} is not a subclass of aksara.core.mail.BaseEmailBackend"
        )
    return found


__all__ = ["BACKENDS", "BaseEmailBackend", "check_messages", "get_connection", "resolve_backend"]
