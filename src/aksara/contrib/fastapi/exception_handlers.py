"""HTTP responses for aksara's errors: 422 for ``ValidationError``, 404 for ``DoesNotExist``,
409 for ``IntegrityError``, 403 for ``PermissionDenied`` (an AI agent's refused call)."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from aksara.exceptions import DoesNotExist, IntegrityError, PermissionDenied, ValidationError


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
    """404 with the error's message (``"Product matching (id=...) does not exist"``)."""
    return JSONResponse({"detail": str(exc)}, status_code=404)


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


async def permission_denied_handler(request: Request, exc: Exception) -> Response:
    """403 with the refusal's message (it names the model, field or tool, never a value)."""
    return JSONResponse({"detail": str(exc)}, status_code=403)


def add_exception_handlers(app: FastAPI) -> None:
    """Install aksara's error responses on a FastAPI app (``Aksara`` apps have them already)."""
    for exc_class, handler in EXCEPTION_HANDLERS.items():
        app.add_exception_handler(exc_class, handler)


EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    ValidationError: validation_error_handler,
    DoesNotExist: does_not_exist_handler,
    IntegrityError: integrity_error_handler,
    PermissionDenied: permission_denied_handler,
}


def _body_key(model_name: str | None, field_name: str) -> str:
    from aksara.registry import registry

    model = registry.get(model_name) if model_name else None
    if model is not None:
        field = model._meta.fields.get(field_name)
        if field is not None and field.concrete:
            return field.attname
    return field_name
