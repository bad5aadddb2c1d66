"""The base of the mixins ``QuerySet`` is made of (its writes, reports, locks and set
operations): what they share of the queryset they are part of."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar, cast

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.queryset import QuerySet

M = TypeVar("M", bound="Model")


class QuerySetPart(Generic[M]):
    """A part of ``QuerySet``; ``_queryset()`` is ``self``, typed as the whole."""

    __slots__ = ()

    def _queryset(self) -> QuerySet[M]:
        return cast("QuerySet[M]", self)
