"""The base of the mixins ``QuerySet`` is made of (its writes, reports, locks and set
operations): what they share of the queryset they are part of."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, cast

from typing_extensions import TypeVar

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.queryset import QuerySet

#: The model of a queryset.
M = TypeVar("M", bound="Model")
#: What a queryset's rows are: instances of its model, or the dicts, tuples or values of
#: ``values()`` and ``values_list()``.
R = TypeVar("R", default=M)


class QuerySetPart(Generic[M, R]):
    """A part of ``QuerySet``; ``_queryset()`` is ``self``, typed as the whole."""

    __slots__ = ()

    def _queryset(self) -> QuerySet[M, R]:
        return cast("QuerySet[M, R]", self)

    def _instances(self) -> QuerySet[M, M]:
        """``self`` where its rows are instances (writes and locks work on those)."""
        return cast("QuerySet[M, M]", self)
