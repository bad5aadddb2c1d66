"""``QuerySet``: a lazy, immutable, chainable query over one model.

Each chained call returns a clone. Awaiting a queryset runs it (``await qs`` → list);
``async for`` iterates it. Statements are SQLAlchemy Core constructs compiled once per
query *shape* (fields, lookups and ordering; never values) and cached on the model
(see ``aksara.query._select``).
"""

from __future__ import annotations

import collections
import functools
from collections.abc import AsyncIterator, Coroutine, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, cast, overload

from aksara.db import get_database
from aksara.exceptions import QueryError
from aksara.fields.relation_base import Relation
from aksara.query import _fold, _select
from aksara.query._compile import RowPlan
from aksara.query._get import by_shape
from aksara.query._part import M, R
from aksara.query._plans import instances
from aksara.query._soft_delete import deleted_filter
from aksara.query._writes import Writes
from aksara.query.aggregates import Aggregate
from aksara.query.annotations import (
    check_condition,
    on_annotations,
)
from aksara.query.expressions import Condition, OrderBy, Q
from aksara.query.joins import JoinLayout, check_join_path, related_model
from aksara.query.locks_and_sets import LocksAndSets
from aksara.query.prefetch import check_prefetch_path, prefetch_related_objects
from aksara.query.reporting import Reports
from aksara.query.shaping import Ordering, Shaping
from aksara.query.streaming import DEFAULT_CHUNK_SIZE, check_chunk_size, stream
from aksara.query.vector import nearest

if TYPE_CHECKING:
    pass


#: The largest LIMIT or OFFSET (a bigint).
MAX_ROWS = 2**63 - 1


@functools.lru_cache(maxsize=256)
def named_row(names: tuple[str, ...]) -> Any:
    """The named-tuple class of ``values_list(..., named=True)`` rows with these columns."""
    # The columns are known at run time only: no NamedTuple can spell them.
    return collections.namedtuple("Row", names, rename=True)  # pyright: ignore[reportUntypedNamedTuple]


def sync_misuse(what: str, instead: str) -> str:
    return f"A queryset runs asynchronously and cannot be {what}: use {instead}"


class QuerySet(Shaping[M, R], Writes[M, R], Reports[M, R], LocksAndSets[M, R], Generic[M, R]):
    """A lazy query over ``model``: ``Post.objects.filter(published=True).order_by("-created_at")[:10]``."""

    __slots__ = (
        "model",
        "_where",
        "_order",
        "_limit",
        "_offset",
        "_fields",
        "_mode",
        "_distinct",
        "_for_update",
        "_related",
        "_related_only",
        "_prefetch",
        "_annotations",
        "_aliases",
        "_having",
        "_group",
        "_combined",
        "_cache",
    )

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._where: tuple[Q, ...] = ()
        if model._meta.soft_delete:  # soft-deleted rows are hidden unless asked for
            self._where = (deleted_filter(model, hidden=True),)
        self._order: tuple[Ordering, ...] | None = None
        self._limit: int | None = None
        self._offset: int | None = None
        self._fields: tuple[str, ...] | None = None
        self._mode: str = "instances"
        #: True for DISTINCT, the column names of DISTINCT ON.
        self._distinct: bool | tuple[str, ...] = False
        #: ``(nowait, skip_locked, of, no_key, read)`` of a locking read.
        self._for_update: tuple[bool, bool, tuple[str, ...], bool, bool] | None = None
        self._related: tuple[str, ...] = ()
        #: ``only("author__name")``: the fields loaded per ``select_related`` path.
        self._related_only: tuple[tuple[str, tuple[str, ...]], ...] = ()
        self._prefetch: tuple[str, ...] = ()
        #: ``annotate()``: ``(name, expression)`` pairs; conditions on them (``_having``);
        #: the ``values()`` fields grouped by when aggregates were annotated after them.
        self._annotations: tuple[tuple[str, Any], ...] = ()
        #: The annotations of ``alias()``: computed where used, never selected.
        self._aliases: frozenset[str] = frozenset()
        self._having: tuple[Q, ...] = ()
        self._group: tuple[str, ...] | None = None
        #: ``(operation, all, querysets)`` of a union, intersection or difference.
        self._combined: tuple[str, bool, tuple[Any, ...]] | None = None
        #: Results known without a query (a related manager's prefetched objects); never cloned.
        self._cache: list[M] | None = None

    #: What ``Subquery``, ``Exists`` and ``__in`` recognise a queryset by (no import cycle).
    is_queryset = True

    def _clone(self) -> QuerySet[M, R]:
        # Spelled out: a loop of getattr/setattr costs several microseconds per clone.
        clone = object.__new__(type(self))
        clone.model = self.model
        clone._where = self._where
        clone._order = self._order
        clone._limit = self._limit
        clone._offset = self._offset
        clone._fields = self._fields
        clone._mode = self._mode
        clone._distinct = self._distinct
        clone._for_update = self._for_update
        clone._related = self._related
        clone._related_only = self._related_only
        clone._prefetch = self._prefetch
        clone._annotations = self._annotations
        clone._aliases = self._aliases
        clone._having = self._having
        clone._group = self._group
        clone._combined = self._combined
        clone._cache = None
        return clone

    def __repr__(self) -> str:
        return f"<QuerySet {self.model.__name__} where={list(self._where)!r} order={self._order!r}>"

    # A queryset is asynchronous: without these, ``for obj in qs`` would fall back on
    # ``qs[0]``, ``qs[1]``, ... (each a new coroutine) and loop until memory runs out.

    def __iter__(self) -> Iterator[M]:
        raise TypeError(sync_misuse("iterated", "`async for obj in qs`, or `await qs` for a list"))

    def __len__(self) -> int:
        raise TypeError(sync_misuse("measured with len()", "`await qs.count()`"))

    def __bool__(self) -> bool:
        raise TypeError(sync_misuse("tested for truth", "`await qs.exists()`"))

    def __contains__(self, item: object) -> bool:
        raise TypeError(sync_misuse("searched with `in`", "`await qs.filter(pk=obj.pk).exists()`"))

    # -- chaining -------------------------------------------------------------------------

    def all(self) -> QuerySet[M, R]:
        return self._clone()

    def with_deleted(self) -> QuerySet[M, R]:
        """Soft-deleted rows too (``Meta.soft_delete``)."""
        return self._deleted_rows(None)

    def only_deleted(self) -> QuerySet[M, R]:
        """Soft-deleted rows alone (``Meta.soft_delete``)."""
        return self._deleted_rows(deleted_filter(self.model, hidden=False))

    def _deleted_rows(self, condition: Q | None) -> QuerySet[M, R]:
        if not self.model._meta.soft_delete:
            raise QueryError(f"{self.model.__name__} has no Meta.soft_delete")
        marks = (deleted_filter(self.model, hidden=True), deleted_filter(self.model, hidden=False))
        clone = self._clone()
        clone._where = tuple(q for q in self._where if all(q is not m for m in marks))
        if condition is not None:
            clone._where = (condition, *clone._where)
        return clone

    def filter(self, *conditions: Condition, **lookups: Any) -> QuerySet[M, R]:
        """Rows matching every condition: ``filter(title__icontains="db", views__gte=10)``."""
        if conditions or lookups:
            return self._add_condition(Q(*conditions, **lookups))
        return self._clone()

    def exclude(self, *conditions: Condition, **lookups: Any) -> QuerySet[M, R]:
        """Rows matching none of the conditions together (``NOT (...)``)."""
        if conditions or lookups:
            return self._add_condition(~Q(*conditions, **lookups))
        return self._clone()

    def _not_combined(self, method: str) -> None:
        if self._combined is not None:
            raise QueryError(
                f"{method}() cannot follow union(), intersection() or difference(): "
                f"apply it to each queryset before combining them"
            )

    def _add_condition(self, q: Q) -> QuerySet[M, R]:
        if self._combined is not None:
            self._not_combined("filter")
        clone = self._clone()
        if self._annotations and on_annotations(q, dict(self._annotations)):
            check_condition(self.model, dict(self._annotations), q)
            clone._having = (*self._having, q)
        else:
            clone._where = (*self._where, q)
        return clone

    def distinct(self, *fields: str) -> QuerySet[M, R]:
        """Each row once; ``distinct("author")`` keeps the first row per author
        (``DISTINCT ON``: order by those fields first, then by what picks the row)."""
        self._not_combined("distinct")
        clone = self._clone()
        if fields:
            meta = self.model._meta
            for name in fields:
                if not meta.get_field(name).concrete:
                    raise QueryError(f"{meta.model_name}.{name} has no column to be distinct on")
            clone._distinct = tuple(meta.get_field(n).attname for n in fields)
        else:
            clone._distinct = True
        return clone

    def only(self, *fields: str) -> QuerySet[M, R]:
        """Load only these fields (and the primary key); others raise ``AttributeError`` until
        refreshed. ``only("title", "author__name")`` with ``select_related("author")`` loads
        only the author's name (and key) too."""
        self._not_combined("only")
        meta = self.model._meta
        names: list[str] = []
        related: dict[str, list[str]] = {}
        for name in fields:
            path, _, rest = name.rpartition("__")
            if path and isinstance(meta.fields.get(name.partition("__")[0]), Relation):
                check_join_path(self.model, path, columns=False)
                target = related_model(self.model, path)
                field = target._meta.get_field(rest)
                if not field.concrete:
                    raise QueryError(f"{target._meta.model_name}.{rest} has no column to load")
                related.setdefault(path, []).append(field.name)
                names.append(meta.get_field(name.partition("__")[0]).name)
                continue
            field = meta.get_field(name)
            if not field.concrete:
                raise QueryError(f"{meta.model_name}.{name} has no column to load")
            names.append(field.name)
        clone = self._clone()
        clone._fields = tuple(dict.fromkeys([*(f.name for f in meta.pk_fields), *names]))
        clone._related_only = tuple((path, tuple(loaded)) for path, loaded in related.items())
        return clone

    def defer(self, *fields: str) -> QuerySet[M, R]:
        """Load every field but these (never the primary key); they load on ``refresh_from_db()``."""
        self._not_combined("defer")
        meta = self.model._meta
        deferred: set[str] = set()
        for name in fields:
            field = meta.get_field(name)
            if not field.concrete:
                raise QueryError(f"{meta.model_name}.{name} has no column to defer")
            if field is meta.pk or field in meta.pk_fields:
                raise QueryError(
                    f"{meta.model_name}.{name} is the primary key: it is always loaded"
                )
            deferred.add(field.name)
        loaded = self._fields or tuple(f.name for f in meta.concrete_fields)
        clone = self._clone()
        clone._fields = tuple(n for n in loaded if n not in deferred)
        return clone

    def values(self, *fields: str) -> QuerySet[M, dict[str, Any]]:
        """Rows as dicts of field values (all fields, or ``fields``)."""
        self._not_combined("values")
        clone = self._clone()
        clone._mode = "dicts"
        clone._fields = self._field_names(fields)
        return cast("QuerySet[M, dict[str, Any]]", clone)  # the rows change, not the query

    @overload
    def values_list(
        self, *fields: str, flat: Literal[False] = False, named: Literal[False] = False
    ) -> QuerySet[M, tuple[Any, ...]]: ...

    @overload
    def values_list(
        self, *fields: str, flat: bool = False, named: bool = False
    ) -> QuerySet[M, Any]: ...

    def values_list(
        self, *fields: str, flat: bool = False, named: bool = False
    ) -> QuerySet[M, Any]:
        """Rows as tuples; ``flat=True`` with one field gives the values themselves,
        ``named=True`` named tuples (``row.title``)."""
        self._not_combined("values_list")
        if flat and len(fields) != 1:
            raise QueryError("values_list(flat=True) needs exactly one field")
        if flat and named:
            raise QueryError("values_list() takes flat=True or named=True, not both")
        clone = self._clone()
        clone._mode = "flat" if flat else "named" if named else "tuples"
        clone._fields = self._field_names(fields)
        return clone

    def _field_names(self, fields: Sequence[str]) -> tuple[str, ...]:
        meta = self.model._meta
        annotated = [name for name, _ in self._annotations if name not in self._aliases]
        if not fields:
            return (*(f.attname for f in meta.concrete_fields), *annotated)
        names: list[str] = []
        for name in fields:
            if name in annotated:
                names.append(name)
                continue
            if "__" in name:
                # A column of a related row (author__email): selected through a join.
                check_join_path(self.model, name)
                names.append(name)
                continue
            field = meta.get_field(name)
            if field is meta.pk and meta.composite_pk:
                names.append("pk")  # the key's columns as one tuple
                continue
            if not field.concrete:
                raise QueryError(f"{meta.model_name}.{name} has no column to select")
            names.append(name if name in meta.by_attname else field.attname)
        return tuple(names)

    @overload
    def __getitem__(self, item: slice) -> QuerySet[M, R]: ...

    @overload
    def __getitem__(self, item: int) -> Coroutine[Any, Any, R]: ...

    def __getitem__(self, item: object) -> Any:  # any object: untyped callers are checked
        if isinstance(item, slice):
            window = cast("slice[Any, Any, Any]", item)  # its bounds are checked below
            if window.step is not None and window.step != 1:
                raise QueryError("QuerySet slicing does not support steps")
            start, stop = window.start or 0, window.stop
            # Two plain ints (the usual case) need no more checks; bool is an int refused.
            if type(start) is not int or (stop is not None and type(stop) is not int):
                for bound in (start, stop):
                    if isinstance(bound, bool) or (
                        bound is not None and not isinstance(bound, int)
                    ):
                        raise TypeError("QuerySet slices take integers")
            if start < 0 or (stop is not None and stop < 0):
                raise QueryError("QuerySet slicing does not support negative indexes")
            base_offset = self._offset or 0
            if base_offset + start > MAX_ROWS or (stop is not None and stop > MAX_ROWS):
                # LIMIT and OFFSET are bigints: a larger number (a client's page) cannot be sent.
                raise QueryError(f"QuerySet slices go up to {MAX_ROWS}")
            clone = self._clone()
            clone._offset = base_offset + start or None
            if stop is not None:
                limit = max(stop - start, 0)
                clone._limit = min(limit, self._limit - start) if self._limit is not None else limit
            elif self._limit is not None:
                clone._limit = max(self._limit - start, 0)
            return clone
        if isinstance(item, int) and not isinstance(item, bool):
            if item < 0:
                raise QueryError("QuerySet indexing does not support negative indexes")
            if item >= MAX_ROWS:
                raise QueryError(f"QuerySet indexes go up to {MAX_ROWS - 1}")
            return self._index(item)
        raise TypeError(f"QuerySet indices must be integers or slices, not {type(item).__name__}")

    async def _index(self, index: int) -> R:
        rows = await self[index : index + 1]._fetch()
        if not rows:
            raise IndexError("QuerySet index out of range")
        return rows[0]  # type: ignore[no-any-return]

    # -- compilation -------------------------------------------------------------------------

    # -- compilation -------------------------------------------------------------------------

    def _ordering(self) -> tuple[Ordering, ...]:
        if self._order is not None:
            return self._order
        # Meta.ordering does not apply to grouped rows (its fields are not grouped by), nor
        # to a union's (whose columns may not include them).
        plain = self._group is None and self._combined is None
        return self.model._meta.ordering if plain else ()

    def sql(self) -> tuple[str, list[Any]]:
        """The SQL this queryset runs and its parameters, as the driver receives them."""
        if self._limit == 0:
            raise QueryError("A queryset sliced to no rows runs no SQL")
        plan, _, values, _ = _select.select_plan(self)
        return plan.sql, list(plan.args(values))

    # -- execution -----------------------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, list[R]]:
        return self._fetch().__await__()

    async def _fetch(self) -> list[Any]:
        if self._cache is not None:
            return list(self._cache)
        if self._limit == 0:
            return []
        if self._prefetch and (folding := _fold.folded(self)) is not None:
            return await _fold.fetch(self, folding)
        plan, rows, values, layout = _select.select_plan(self)
        records = await get_database().fetch(plan.sql, plan.args(values))
        result = self._convert(records, rows, layout)
        if self._mode == "instances" and self._prefetch:
            await prefetch_related_objects(result, *self._prefetch)
        return result

    def _convert(
        self, records: Sequence[Any], rows: RowPlan, layout: JoinLayout | None = None
    ) -> list[Any]:
        mode = self._mode
        if mode == "instances":
            return instances(self.model, records, rows, layout)
        if mode == "dicts":
            return rows.dicts(records)
        if mode == "tuples":
            return rows.tuples(records)
        if mode == "named":
            row = named_row(rows.names)
            return [row._make(values) for values in rows.tuples(records)]
        return rows.flat(records)

    def __aiter__(self) -> AsyncIterator[R]:
        """Iterate the results, streamed from a server-side cursor (see ``iterator()``)."""
        return stream(self, DEFAULT_CHUNK_SIZE)

    def iterator(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[R]:
        """Stream the results ``chunk_size`` rows per round trip: ``async for obj in
        qs.iterator(chunk_size=500)``. Outside a transaction the cursor holds one pooled
        connection (and a read-only transaction) until the loop ends; ``prefetch_related``
        runs per chunk. Nothing is cached on the queryset."""
        return stream(self, check_chunk_size(chunk_size))

    async def get(self, *conditions: Condition, **lookups: Any) -> R:
        """The one row matching; ``Model.DoesNotExist`` or ``Model.MultipleObjectsReturned`` otherwise."""
        if len(lookups) == 1 and not conditions and self._gets_by_shape():
            rows = await by_shape(self, lookups)
        else:
            qs = self.filter(*conditions, **lookups) if conditions or lookups else self
            if qs._limit is None:
                if qs is self:  # one that filter() made is new: nothing else holds it
                    qs = qs._clone()
                qs._limit = 2
                if not qs._distinct:
                    qs._order = ()  # one row is wanted: no ordering (nor its parameters)
            rows = await qs._fetch()
        if len(rows) == 1:
            return rows[0]  # type: ignore[no-any-return]  # the mode decides the row type
        model = self.model
        described = ", ".join(f"{k}={v!r}" for k, v in lookups.items())
        if not rows:
            raise model.DoesNotExist(f"{model.__name__} matching ({described}) does not exist")
        raise model.MultipleObjectsReturned(
            f"get() returned more than one {model.__name__} matching ({described})"
        )

    def _is_plain(self) -> bool:
        """True for ``Model.objects`` itself or ``.all()``: instances, no condition, no limit."""
        return self._gets_by_shape() and not self._related and not self._prefetch

    def _gets_by_shape(self) -> bool:
        """True when ``get(key=value)``'s statement depends on the lookup's shape and on the
        queryset's ``select_related()`` and ``prefetch_related()`` only: instances, no
        condition, no limit, no annotation."""
        return (
            not self._where
            and self._limit is None
            and self._offset is None
            and self._mode == "instances"
            and self._fields is None
            and not self._distinct
            and self._for_update is None
            and not self._annotations
            and not self._having
            and self._group is None
            and self._combined is None
            and self._cache is None
        )

    async def get_or_none(self, *conditions: Condition, **lookups: Any) -> R | None:
        try:
            return await self.get(*conditions, **lookups)
        except self.model.DoesNotExist:
            return None

    def _default_order(self) -> tuple[str, ...]:
        """What ``first()`` and ``last()`` order by when nothing else does: the primary key,
        or the grouped fields of a grouped query."""
        return tuple(self._group) if self._group else ("pk",)

    async def first(self) -> R | None:
        qs = self if self._ordering() else self.order_by(*self._default_order())
        rows = await qs[0:1]._fetch()
        return rows[0] if rows else None

    async def last(self) -> R | None:
        order = self._ordering() or self._default_order()
        # order_by() takes back the orderings it made (expressions, SQLAlchemy ones) too.
        reversed_order: tuple[Any, ...] = tuple(
            o.reversed()
            if not isinstance(o, str) or isinstance(o, OrderBy)
            else o[1:]
            if o.startswith("-")
            else f"-{o}"
            for o in order
        )
        rows = await self.order_by(*reversed_order)[0:1]._fetch()
        return rows[0] if rows else None

    async def count(self) -> int:
        if self._cache is not None:
            return len(self._cache)
        plan, values = _select.count_plan(self)
        return int(await get_database().fetchval(plan.sql, plan.args(values)))

    async def exists(self) -> bool:
        if self._cache is not None:
            return bool(self._cache)
        plan, values = _select.exists_plan(self)
        return await get_database().fetchval(plan.sql, plan.args(values)) is not None

    async def aggregate(self, *aggregates: Aggregate, **named: Aggregate) -> dict[str, Any]:
        """``aggregate(total=Sum("price"), n=Count())`` → ``{"total": ..., "n": ...}``."""
        items = {a.default_alias: a for a in aggregates}
        items.update(named)
        if not items:
            raise QueryError("aggregate() needs at least one aggregate")
        plan, values = _select.aggregate_plan(self, items)
        record = await get_database().fetchrow(plan.sql, plan.args(values))
        assert record is not None
        return {
            alias: agg.convert(value)
            for (alias, agg), value in zip(items.items(), record, strict=True)
        }

    async def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        """A dict of instances keyed by ``field_name`` (only those in ``id_list`` when given)."""
        field = self.model._meta.get_field(field_name)
        if field_name != "pk" and not (field.unique or field.primary_key):
            raise QueryError(f"in_bulk() needs a unique field, and {field_name!r} is not unique")
        qs = self if id_list is None else self.filter(**{f"{field.name}__in": list(id_list)})
        if field is self.model._meta.pk:
            return {obj.pk: obj for obj in await qs._fetch()}
        return {obj.__dict__[field.attname]: obj for obj in await qs._fetch()}

    def select_related(self, *fields: str) -> QuerySet[M, R]:
        """Load these single-valued relations in the same query, one join each:
        ``select_related("author", "author__team")`` (ForeignKey, OneToOne and a OneToOne's
        reverse side). Afterwards ``post.author`` needs no query."""
        self._not_combined("select_related")
        for name in fields:
            check_join_path(self.model, name, columns=False)
        clone = self._clone()
        clone._related = tuple(dict.fromkeys((*self._related, *fields)))
        return clone

    def prefetch_related(self, *fields: str) -> QuerySet[M, R]:
        """Load these relations with one extra query each (and per level of ``a__b``):
        ``prefetch_related("tags", "author__posts")``. Afterwards ``post.tags`` iterates and
        ``await post.tags.all()`` answers without a query."""
        for name in fields:
            check_prefetch_path(self.model, name)
        clone = self._clone()
        clone._prefetch = tuple(dict.fromkeys((*self._prefetch, *fields)))
        return clone

    async def nearest(self, field: str, vector: Any, **options: Any) -> list[M]:
        """The rows nearest to ``vector`` by a Vector field (see ``aksara.query.vector.nearest``)."""
        return await nearest(self, field, vector, **options)
