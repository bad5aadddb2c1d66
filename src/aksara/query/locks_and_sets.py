"""Row locks (``select_for_update``, ``select_for_share``) and set operations (``union``,
``intersection``, ``difference``) of a queryset; ``QuerySet`` inherits them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aksara.exceptions import QueryError
from aksara.query._part import M, QuerySetPart, R
from aksara.query.annotations import has_window
from aksara.query.joins import check_join_path

if TYPE_CHECKING:
    from aksara.query.queryset import QuerySet
    from aksara.query.shaping import Ordering


#: The set operations and their SQL.
OPERATIONS = ("union", "intersect", "except")


class LocksAndSets(QuerySetPart[M, R]):
    """The row locks and set operations of ``QuerySet``."""

    __slots__ = ()

    if TYPE_CHECKING:  # what they use of the queryset
        model: type[M]
        _mode: str
        _fields: tuple[str, ...] | None
        _group: tuple[str, ...] | None
        _annotations: tuple[tuple[str, Any], ...]
        _combined: tuple[str, bool, tuple[Any, ...]] | None
        _limit: int | None
        _offset: int | None
        _for_update: Any
        _order: tuple[Ordering, ...] | None

    def select_for_update(
        self,
        *,
        nowait: bool = False,
        skip_locked: bool = False,
        of: Sequence[str] = (),
        no_key: bool = False,
    ) -> QuerySet[M, R]:
        """Lock the selected rows until the transaction ends (``SELECT ... FOR UPDATE``).

        ``of=("self", "author")`` locks the rows of this model and of relations loaded with
        ``select_related()`` (by default only this model's); ``no_key=True`` takes the weaker
        ``FOR NO KEY UPDATE`` lock, which does not block inserts referring to the rows;
        ``nowait`` raises instead of waiting, ``skip_locked`` leaves locked rows out.
        """
        return self._locked("select_for_update", nowait, skip_locked, of, no_key, False)

    def select_for_share(
        self, *, nowait: bool = False, skip_locked: bool = False, of: Sequence[str] = ()
    ) -> QuerySet[M, R]:
        """Lock the selected rows against changes until the transaction ends, letting other
        transactions read and share-lock them (``SELECT ... FOR SHARE``)."""
        return self._locked("select_for_share", nowait, skip_locked, of, False, True)

    def _locked(
        self,
        method: str,
        nowait: bool,
        skip_locked: bool,
        of: Sequence[str],
        no_key: bool,
        read: bool,
    ) -> QuerySet[M, R]:
        if nowait and skip_locked:
            raise QueryError(f"{method}(): nowait and skip_locked exclude each other")
        if self._combined is not None:
            raise QueryError(
                f"{method}(): rows of a union, intersection or difference cannot be locked"
            )
        if self._group is not None or any(has_window(e) for _, e in self._annotations):
            raise QueryError(f"{method}(): a grouped or windowed queryset cannot lock rows")
        if isinstance(of, str):
            raise QueryError(f"{method}(of=...) takes a tuple of names, e.g. of=({of!r},)")
        for name in of:
            if name != "self":
                check_join_path(self.model, name, columns=False)
        clone = self._queryset()._clone()
        clone._for_update = (nowait, skip_locked, tuple(of), no_key, read)
        return clone

    def union(self, *others: QuerySet[Any], all: bool = False) -> QuerySet[M, R]:
        """The rows of this queryset and of ``others`` (``UNION``; ``all=True`` keeps
        duplicates). The result can be ordered, sliced, counted and iterated."""
        return self._combine("union", others, all)

    def intersection(self, *others: QuerySet[Any]) -> QuerySet[M, R]:
        """The rows in this queryset and in every one of ``others`` (``INTERSECT``)."""
        return self._combine("intersect", others, False)

    def difference(self, *others: QuerySet[Any]) -> QuerySet[M, R]:
        """The rows of this queryset that are in none of ``others`` (``EXCEPT``)."""
        return self._combine("except", others, False)

    def _combine(self, operation: str, others: Sequence[Any], all_rows: bool) -> QuerySet[M, R]:
        first = self._queryset()
        parts = [first, *others]
        for part in parts:
            if not getattr(part, "is_queryset", False):
                raise QueryError(f"{operation}: takes querysets, got {part!r}")
            if part._combined is not None or part._limit is not None or part._offset is not None:
                raise QueryError(f"{operation}: combine plain querysets (not sliced or combined)")
            if part._for_update is not None:
                raise QueryError(f"{operation}: rows of a combination cannot be locked")
            if part._mode != first._mode or part._fields != first._fields:
                raise QueryError(f"{operation}: every queryset must select the same columns")
            if first._mode == "instances" and part.model is not first.model:
                raise QueryError(
                    f"{operation}: instances of {first.model.__name__} cannot be combined with "
                    f"{part.model.__name__}: select the same values() from each"
                )
            if [n for n, _ in part._annotations] != [n for n, _ in first._annotations]:
                raise QueryError(f"{operation}: every queryset must have the same annotations")
        clone = first._clone()
        # Orderings of the parts mean nothing in SQL: the combination is ordered as a whole.
        clone._combined = (operation, all_rows, tuple(p.order_by() for p in parts))
        clone._order = None
        clone._where = clone._having = ()  # they belong to the first queryset, now a part
        clone._distinct = False
        clone._related = clone._prefetch = ()
        return clone
