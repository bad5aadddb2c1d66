"""The annotations an expression may read by name (``F("n")`` after ``annotate(n=...)``)
while a queryset's expressions are checked, keyed or compiled.

Expressions are checked, keyed and compiled by functions that know nothing of querysets,
so the names travel in a context variable, set for the length of one step: each
annotation's expression, and once compiled, its SQL."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_EMPTY: tuple[dict[str, Any], dict[str, Any]] = ({}, {})

#: (annotation name → its expression, annotation name → its SQL once compiled).
scope: ContextVar[tuple[dict[str, Any], dict[str, Any]]] = ContextVar(
    "annotation_scope", default=_EMPTY
)


@contextmanager
def in_scope(
    expressions: dict[str, Any], sql: dict[str, Any] | None = None
) -> Generator[None, None, None]:
    """Make these annotations readable by name for the ``with`` block."""
    token = scope.set((expressions, sql if sql is not None else {}))
    try:
        yield
    finally:
        scope.reset(token)


def annotation(name: str) -> Any:
    """The expression of annotation ``name`` in scope, or None."""
    return scope.get()[0].get(name)


def annotations_in_scope() -> dict[str, Any]:
    """Every annotation in scope: name → expression."""
    return scope.get()[0]


def compiled(name: str) -> Any:
    """The SQL of annotation ``name`` in scope, or None before it is compiled."""
    return scope.get()[1].get(name)


def own_scope_needed(annotations: tuple[tuple[str, Any], ...]) -> bool:
    """Whether building a query with ``annotations`` must set a scope of its own: when it
    has annotations, or when an enclosing query's are in scope (a subquery must not read
    them). Most queries have neither, and skip the context variable's set and reset."""
    return bool(annotations) or scope.get() is not _EMPTY
