"""Soft deletion's conditions (``Meta.soft_delete``): one object per model and kind, so
that ``with_deleted()`` can find and take out the one ``objects`` added."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aksara.query.expressions import Q

if TYPE_CHECKING:
    from aksara.models.base import Model


def deleted_filter(model: type[Model], *, hidden: bool) -> Q:
    """The condition that hides soft-deleted rows (``hidden``) or keeps them alone; one
    object per model, so that ``with_deleted()`` can take it out again."""
    meta = model._meta
    key = "hidden" if hidden else "deleted"
    found = meta.soft_delete_filters.get(key)
    if found is None:
        found = meta.soft_delete_filters[key] = Q(deleted_at__isnull=hidden)
    return found
