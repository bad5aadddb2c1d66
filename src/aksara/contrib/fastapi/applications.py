"""``Aksara``: a FastAPI application that connects aksara's database for its lifetime."""

# No ``from __future__ import annotations``: FastAPI inspects this module's callables.

import logging
import os
from collections.abc import AsyncGenerator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from aksara._concurrency import run_in_thread
from aksara.conf import get_settings
from aksara.contrib.fastapi.exception_handlers import EXCEPTION_HANDLERS
from aksara.db import connect, connected, disconnect
from aksara.db.database import State
from aksara.storage import FileSystemStorage, get_storage
from aksara.storage._mimetypes import inline_safe
from aksara.storage.registry import BACKENDS

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


logger = logging.getLogger("aksara.fastapi")


class Aksara(FastAPI):
    """A FastAPI application whose lifespan connects aksara to PostgreSQL.

    ``app = Aksara(database_url="postgresql://localhost/myapp")``. Without a URL the
    configured one is used (``AKSARA_DATABASE_URL``), else an embedded PostgreSQL. If aksara
    is already connected when the app starts (a test's database, a script that connected
    first), the app uses that connection and leaves it open at shutdown; otherwise it
    connects at startup and disconnects at shutdown. At shutdown it first tries once more to
    send mail deferred to a commit that the mail server refused (``retry_deferred()``), and
    logs what still fails as dropped. An app driven in-process through
    httpx's ``ASGITransport`` runs no lifespan and uses whatever aksara is connected to.

    ``debug`` defaults to ``settings.debug``. In debug mode with filesystem media storage,
    ``settings.media_url`` serves the files under ``settings.media_root``.

    aksara's errors become responses: ``ValidationError`` 422, ``DoesNotExist`` 404,
    ``IntegrityError`` 409 (see ``aksara.contrib.fastapi.exception_handlers``). Every other
    keyword goes to ``FastAPI``; a ``lifespan`` given here runs inside the database's.
    """

    def __init__(
        self,
        *,
        database_url: str | None = None,
        debug: bool | None = None,
        lifespan: Lifespan | None = None,
        exception_handlers: Mapping[Any, Any] | None = None,
        **fastapi_kwargs: Any,
    ) -> None:
        self.database_url = database_url
        self._user_lifespan = lifespan
        debug = get_settings().debug if debug is None else debug
        handlers: dict[Any, Any] = {**EXCEPTION_HANDLERS, **(exception_handlers or {})}
        super().__init__(
            debug=debug,
            lifespan=self._lifespan,
            exception_handlers=handlers,
            **fastapi_kwargs,
        )
        if debug:
            mount_media(self)

    @asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncGenerator[Any, None]:
        owns_database = await self._connect()
        await _sweep_uploads()
        try:
            if self._user_lifespan is None:
                yield None
            else:
                async with self._user_lifespan(app) as state:
                    yield state
        finally:
            await _send_deferred_mail()
            if owns_database:
                from aksara.storage import close_storage

                await close_storage()
                await disconnect()

    async def _connect(self) -> bool:
        """Connect unless aksara already is; True when this app opened the connection."""
        database = connected()
        if database is not None and database.state is State.OPEN:
            return False
        await connect(self.database_url)
        return True


async def _send_deferred_mail() -> None:
    """Mail a commit deferred and the mail server refused waits in this process only: try it
    once more before the process ends, and log what is still unsent as dropped (by its
    ``Message-ID``s) rather than lose it silently."""
    from aksara.core.mail import deferred_mail, discard_deferred, retry_deferred

    if not deferred_mail():
        return
    await retry_deferred()
    if deferred_mail():
        logger.error("shutting down with deferred mail that could not be sent")
        discard_deferred()


def _local_storage() -> FileSystemStorage | None:
    """The configured media storage when it is on the local disk."""
    settings = get_settings()
    if settings.media_storage != "filesystem" and settings.media_storage in BACKENDS:
        return None  # known not to be local: do not build it (S3 may lack its extra)
    storage = get_storage()
    return storage if isinstance(storage, FileSystemStorage) else None


async def _sweep_uploads() -> None:
    """Remove half-written uploads a killed process left in local media storage."""
    storage = _local_storage()
    if storage is not None and await run_in_thread(os.path.isdir, storage.root):
        removed = await run_in_thread(storage.sweep_temporary_files)
        if removed:
            logger.info("removed %d half-written uploads from %s", removed, storage.root)


class MediaFiles(StaticFiles):
    """``StaticFiles`` for uploaded media: the folder may not exist until the first upload.

    Every response says ``X-Content-Type-Options: nosniff``, and a file whose type a browser
    could run (HTML, SVG, ...) is sent as an attachment: an upload never runs as a page.
    """

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if not inline_safe(response.media_type or response.headers.get("content-type")):
            response.headers["Content-Disposition"] = "attachment"
        return response

    async def check_config(self) -> None:
        if self.directory is not None and not await run_in_thread(os.path.exists, self.directory):
            return  # every request is a 404 until files arrive
        await super().check_config()

    def __repr__(self) -> str:
        return f"MediaFiles(directory={self.directory!r})"


def mount_media(app: FastAPI) -> bool:
    """Serve ``settings.media_root`` at ``settings.media_url`` when media is stored on the local disk.

    ``Aksara`` calls this in debug mode; in production let the web server or a CDN serve
    media. Does nothing (and returns False) for other storages or an absolute ``media_url``.
    """
    url = get_settings().media_url
    storage = _local_storage()
    if storage is None or not url.startswith("/"):
        return False
    path = "/" + url.strip("/")
    if path == "/":
        return False  # serving media at the site root would shadow every route
    app.mount(path, MediaFiles(directory=storage.root, check_dir=False), name="media")
    return True
