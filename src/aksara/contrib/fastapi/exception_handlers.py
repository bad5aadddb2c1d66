"""HTTP responses for aksara's errors, none of them showing internals.

```
ValidationError                 422   FastAPI's shape, one item per message
QueryError                      400   a filter, lookup or ordering the request made
  DoesNotExist                  404   "<Model> not found"
  MultipleObjectsReturned       500   the endpoint's own mistake
IntegrityError                  409   the constraint's name
StaleObjectError                409   "changed since it was read": reload and retry
PermissionDenied                403   an AI agent's refused call
BadHeaderError, SuspiciousFileOperation  400
DatabaseConnectionError, PoolTimeoutError, StatementTimeoutError  503
any other AksaraError           500   "Internal server error" (the error itself in debug mode)
```
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from aksara.exceptions import (
    AksaraError,
    BadHeaderError,
    DatabaseConnectionError,
    DoesNotExist,
    IntegrityError,
    MultipleObjectsReturned,
    PermissionDenied,
    PoolTimeoutError,
    QueryError,
    StaleObjectError,
    StatementTimeoutError,
    SuspiciousFileOperation,
    ValidationError,
)

logger = logging.getLogger("aksara.fastapi")


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    """422 in FastAPI's shape: one ``{"loc": ["body", field], "msg", "type", "ctx"}`` per message.

    ``ctx.model`` names the model; ``loc`` uses the body's key (``author_id`` for a relation).
    Errors of the whole instance (``clean()``) are located at ``["body"]``.
    """
    if not isinstance(exc, ValidationError):  # pragma: no cover - registered for it only
        raise exc
    detail: list[dict[str, Any]] = []
    for name, messages in exc.errors.items():
        loc: list[str] = ["body"] if name == "__all__" else ["body", _body_key(exc.model, name)]
        for message in messages:
            item: dict[str, Any] = {"type": "value_error", "loc": loc, "msg": message}
            if exc.model is not None:
                item["ctx"] = {"model": exc.model}
            detail.append(item)
    return JSONResponse({"detail": detail}, status_code=422)


async def does_not_exist_handler(request: Request, exc: Exception) -> Response:
    """404 naming the model (``"Product not found"``); the values looked for (some perhaps
    added by the server, such as an owner) only in debug mode."""
    model = type(exc).__qualname__.rpartition(".DoesNotExist")[0]
    body: dict[str, Any] = {"detail": f"{model} not found" if model else "Not found"}
    if request.app.debug:
        body["error"] = str(exc)
    return JSONResponse(body, status_code=404)


async def integrity_error_handler(request: Request, exc: Exception) -> Response:
    """409 naming the violated constraint; the database's message (it quotes values) only in debug."""
    constraint = exc.details.get("constraint") if isinstance(exc, IntegrityError) else None
    message = "The request conflicts with the current state of the data"
    if constraint:
        message += f" (constraint {constraint})"
    body: dict[str, Any] = {"detail": message}
    if request.app.debug:
        body["error"] = str(exc)
    return JSONResponse(body, status_code=409)


async def stale_object_handler(request: Request, exc: Exception) -> Response:
    """409: the row changed since the client read it (``Meta.version_field``)."""
    body: dict[str, Any] = {
        "detail": "The data changed since it was read; reload it and apply the change again"
    }
    if request.app.debug:
        body["error"] = str(exc)
    return JSONResponse(body, status_code=409)


async def permission_denied_handler(request: Request, exc: Exception) -> Response:
    """403 with the refusal's message (it names the model, field or tool, never a value)."""
    return JSONResponse({"detail": str(exc)}, status_code=403)


async def bad_request_handler(request: Request, exc: Exception) -> Response:
    """400 with the error's message: it names the model, field or lookup the request got wrong."""
    return JSONResponse({"detail": str(exc)}, status_code=400)


async def unavailable_handler(request: Request, exc: Exception) -> Response:
    """503: the database is unreachable, busy or too slow now; the client may try again."""
    logger.warning("database unavailable: %s", exc)
    body: dict[str, Any] = {"detail": "The service is temporarily unavailable; try again"}
    if request.app.debug:
        body["error"] = str(exc)
    return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """500 for any other aksara error, logged with its traceback; the message only in debug."""
    logger.error(
        "%s handling %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc
    )
    body: dict[str, Any] = {"detail": "Internal server error"}
    if request.app.debug:
        body["error"] = f"{type(exc).__name__}: {exc}"
    return JSONResponse(body, status_code=500)


def add_exception_handlers(app: FastAPI) -> None:
    """Install aksara's error responses on a FastAPI app (``Aksara`` apps have them already)."""
    for exc_class, handler in EXCEPTION_HANDLERS.items():
        app.add_exception_handler(exc_class, handler)


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    # Starlette picks the handler of the nearest class in the error's MRO.
    AksaraError: server_error_handler,
    ValidationError: validation_error_handler,
    QueryError: bad_request_handler,
    DoesNotExist: does_not_exist_handler,
    MultipleObjectsReturned: server_error_handler,
    IntegrityError: integrity_error_handler,
    StaleObjectError: stale_object_handler,
    PermissionDenied: permission_denied_handler,
    BadHeaderError: bad_request_handler,
    SuspiciousFileOperation: bad_request_handler,
    DatabaseConnectionError: unavailable_handler,
    PoolTimeoutError: unavailable_handler,
    StatementTimeoutError: unavailable_handler,
}


def _body_key(model_name: str | None, field_name: str) -> str:
    from aksara.registry import registry

    model = registry.get(model_name) if model_name else None
    if model is not None:
        field = model._meta.fields.get(field_name)
        if field is not None and field.concrete:
            return field.attname
    return field_name
