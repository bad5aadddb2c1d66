"""Related objects: the managers behind ``user.posts`` and ``post.tags``, ``select_related``
joins, ``prefetch_related`` queries, and deletes that a RESTRICT reference may refuse.

```
select_related("author")     SELECT post.*, user_1.* FROM post
                               LEFT OUTER JOIN "user" AS user_1 ON user_1.id = post.author_id
prefetch_related("author")   SELECT "user".* FROM "user" WHERE id = ANY($1)       the posts' author ids
prefetch_related("posts")    SELECT post.* FROM post WHERE author_id = ANY($1)    the users' ids
prefetch_related("tags")     SELECT j.post_id, tag.* FROM tag JOIN post_tags AS j ON j.tag_id = tag.id
                               WHERE j.post_id = ANY($1)                          the posts' ids
```

Loaded objects live in each instance's ``__dict__`` under the relation's ``cache_name``:
one instance (or None) for a single-valued relation, a list for a multi-valued one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.db.connection import get_database
from aksara.db.transaction import in_transaction, transaction
from aksara.exceptions import QueryError, ValidationError
from aksara.fields.relations import (
    ForeignKey,
    Relation,
    Step,
    delete_may_be_blocked,
    relation_named,
)
from aksara.models.state import make_loaded
from aksara.query._compile import Plan, RowPlan, instance_builder, param
from aksara.query._resolve import order_column
from aksara.query.manager import Manager
from aksara.query.queryset import QuerySet, _cached_plan

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.models.options import Options

M = TypeVar("M", bound="Model")


def _model_base() -> type[Model]:
    from aksara.models.base import Model

    return Model


# -- instances ------------------------------------------------------------------------------


def _mutable_positions(meta: Options, names: tuple[str, ...]) -> tuple[int, ...]:
    if names is meta.attnames:
        return meta.mutable_positions
    return tuple(i for i, n in enumerate(names) if meta.by_attname[n].mutable)


def make_instance(
    model: type[M], names: tuple[str, ...], values: Sequence[Any], mutable: tuple[int, ...] = ()
) -> M:
    """An instance from one row's converted values, as ``hydrate()`` builds them."""
    obj = object.__new__(model)
    d = dict(zip(names, values, strict=True))
    loaded = tuple(values)
    d["_loaded"] = make_loaded(
        model._meta, names, _snapshot(model, names, loaded, mutable) if mutable else loaded
    )
    obj.__dict__ = d
    return obj


# -- select_related and values("author__email"): joins -----------------------------------------


def single_valued(model: type[Model], name: str, path: str) -> Relation:
    relation = relation_named(model, name)
    if relation.multi_valued:
        raise QueryError(
            f"{model.__name__}.{name} is multi-valued and cannot be joined in {path!r}; "
            f"use prefetch_related({path!r})"
        )
    return relation


def check_join_path(model: type[Model], path: str, *, columns: bool = True) -> None:
    """Check a ``select_related`` path (``author__team``) or, with ``columns``, a related
    column (``author__email``): every step must be a single-valued relation."""
    parts = path.split("__")
    current = model
    for part in parts[:-1] if columns else parts:
        current = single_valued(current, part, path).target()
    if columns:
        field = current._meta.get_field(parts[-1])
        if not field.concrete:
            raise QueryError(f"{current.__name__}.{parts[-1]} has no column to select in {path!r}")


class JoinLayout:
    """Where each ``select_related`` model's columns sit in a row, and whose relation it fills."""

    __slots__ = ("base_count", "entries", "paths", "names")

    def __init__(self, base_count: int) -> None:
        self.base_count = base_count
        # (relation, model, start, stop, parent entry or -1 for the queried model, pk position)
        self.entries: list[tuple[Relation, type[Model], int, int, int, int]] = []
        self.paths: dict[tuple[str, ...], int] = {}
        self.names: list[str] = []

    def add(
        self, path: tuple[str, ...], relation: Relation, model: type[Model], start: int
    ) -> None:
        meta = model._meta
        self.paths[path] = len(self.entries)
        parent = self.paths.get(path[:-1], -1)
        stop = start + len(meta.attnames)
        pk_index = meta.attnames.index(meta.pk_attname)
        self.entries.append((relation, model, start, stop, parent, pk_index))
        prefix = "__".join(path)
        self.names.extend(f"{prefix}__{a}" for a in meta.attnames)

    def hydrate(self, model: type[M], records: Sequence[Any], rows: RowPlan) -> list[M]:
        meta = model._meta
        n = self.base_count
        names = rows.names[:n]
        if names == meta.attnames:
            names = meta.attnames
        build = builder_for(model, names)
        related = []
        for relation, rmodel, start, stop, parent, pk_index in self.entries:
            back = relation.remote
            back_cache = back.cache_name if back is not None and not back.multi_valued else None
            related.append(
                (
                    relation.cache_name,
                    back_cache,
                    builder_for(rmodel, rmodel._meta.attnames),
                    start,
                    stop,
                    parent + 1,
                    pk_index,
                )
            )
        # Without converters the record is sliced as it is (a Record slice is a tuple).
        result: list[M] = []
        append = result.append
        # As hydrate() does for one model: this runs once per row and related row. The
        # relation caches are set as attributes: touching ``__dict__`` would make CPython
        # build a dict object for each instance.
        for values in rows.tuples(records) if rows.procs else records:
            obj = build(values[:n])
            if not related:
                append(obj)
                continue
            made: list[Any] = [obj]
            for cache, back_cache, rbuild, start, stop, parent, pk_index in related:
                owner = made[parent]
                part = values[start:stop]
                if part[pk_index] is None:
                    child = None
                else:
                    child = rbuild(part)
                    if back_cache is not None and owner is not None:
                        setattr(child, back_cache, owner)
                made.append(child)
                if owner is not None:
                    setattr(owner, cache, child)
            append(obj)
        return result


def builder_for(model: type[M], names: tuple[str, ...]) -> Callable[[tuple[Any, ...]], M]:
    """The instance builder of ``model`` for columns ``names`` (generated once, cached)."""
    plans = model._meta.plans
    key = ("builder", names)
    build = plans.get(key)
    if build is None:
        build = instance_builder(model, names)
        if build is None:
            mutable = _mutable_positions(model._meta, names)

            def build(values: Sequence[Any]) -> Any:
                return make_instance(model, names, values, mutable)

        plans[key] = build
    return build


def _snapshot(
    model: type[Model], names: tuple[str, ...], values: tuple[Any, ...], mutable: tuple[int, ...]
) -> tuple[Any, ...]:
    fields = model._meta.by_attname
    snap = list(values)
    for i in mutable:
        snap[i] = fields[names[i]].snapshot(snap[i])
    return tuple(snap)


class Joins:
    """LEFT OUTER JOINs from a model's table along single-valued relations, one alias per path."""

    def __init__(self, model: type[Model], table: sa.Table) -> None:
        self.from_: Any = table
        self._paths: dict[tuple[str, ...], tuple[Any, type[Model], Relation | None]] = {
            (): (table, model, None)
        }

    def join(self, path: tuple[str, ...]) -> tuple[Any, type[Model], Relation | None]:
        found = self._paths.get(path)
        if found is not None:
            return found
        parent, parent_model, _ = self.join(path[:-1])
        relation = single_valued(parent_model, path[-1], "__".join(path))
        step = relation.step()
        target_table = step.target._meta.table
        assert target_table is not None
        alias = target_table.alias()
        self.from_ = self.from_.outerjoin(
            alias, alias.c[step.target_attname] == parent.c[step.source_attname]
        )
        found = self._paths[path] = (alias, step.target, relation)
        return found

    def column(self, name: str) -> Any:
        *path, last = name.split("__")
        alias, model, _ = self.join(tuple(path))
        return alias.c[model._meta.get_field(last).attname]

    def select_related(self, names: Sequence[str], columns: list[Any]) -> JoinLayout:
        """Join every model on the ``names`` paths and append their columns to ``columns``."""
        layout = JoinLayout(len(columns))
        for name in names:
            parts = tuple(name.split("__"))
            for i in range(1, len(parts) + 1):
                path = parts[:i]
                if path in layout.paths:
                    continue
                alias, model, relation = self.join(path)
                assert relation is not None
                start = len(columns)
                columns.extend(alias.c[a] for a in model._meta.attnames)
                layout.add(path, relation, model, start)
        return layout


# -- prefetch_related --------------------------------------------------------------------------


def check_prefetch_path(model: type[Model], path: str) -> None:
    current = model
    for part in path.split("__"):
        current = relation_named(current, part).target()


async def prefetch_related_objects(
    instances: Iterable[Model | None], *lookups: str, refresh: bool = False
) -> None:
    """Load the relations named by ``lookups`` into ``instances`` (of one model) with one
    query per relation and level: ``await prefetch_related_objects(posts, "author", "tags")``.

    Relations already loaded are kept unless ``refresh``.
    """
    objs = [o for o in instances if o is not None]
    if not objs:
        return
    for lookup in lookups:
        await _prefetch(objs, lookup.split("__"), refresh)


async def _prefetch(objs: list[Model], parts: list[str], refresh: bool) -> None:
    relation = relation_named(type(objs[0]), parts[0])
    pending = objs if refresh else [o for o in objs if not relation.is_loaded(o)]
    if pending:
        await _load(relation, pending)
    if len(parts) == 1:
        return
    cache = relation.cache_name
    related: list[Model] = []
    seen: set[int] = set()
    for obj in objs:
        value: Any = obj.__dict__.get(cache)
        items: Iterable[Any] = value if relation.multi_valued else (value,)
        for item in items:
            if item is not None and id(item) not in seen:
                seen.add(id(item))
                related.append(item)
    if related:
        await _prefetch(related, parts[1:], refresh)


async def _load(relation: Relation, objs: list[Model]) -> None:
    step = relation.step()
    source = step.source_attname
    keys = list(dict.fromkeys(k for o in objs if (k := o.__dict__.get(source)) is not None))
    groups: dict[Any, list[Any]] = {}
    if keys:
        if step.junction is None:
            target_key = step.target_attname
            qs = QuerySet(step.target).filter(**{f"{target_key}__in": keys})
            for row in await qs._fetch():
                groups.setdefault(row.__dict__[target_key], []).append(row)
        else:
            for key, row in await _junction_rows(step, keys):
                groups.setdefault(key, []).append(row)
    cache = relation.cache_name
    back = relation.remote if step.junction is None else None
    back_cache = back.cache_name if back is not None and not back.multi_valued else None
    for obj in objs:
        found = groups.get(obj.__dict__.get(source), ())
        if relation.multi_valued:
            obj.__dict__[cache] = list(found)
            if back_cache is not None:
                for item in found:
                    item.__dict__[back_cache] = obj
        else:
            value = found[0] if found else None
            obj.__dict__[cache] = value
            if back_cache is not None and value is not None:
                value.__dict__[back_cache] = obj


def _junction_select(step: Step) -> tuple[Plan, RowPlan]:
    target = step.target
    junction = step.junction
    assert junction is not None

    def build() -> tuple[Plan, RowPlan]:
        tmeta = target._meta
        table = tmeta.table
        assert table is not None and junction is not None
        owner = junction.c[step.junction_source]
        columns = [owner, *(table.c[a] for a in tmeta.attnames)]
        link = junction.c[step.junction_target] == table.c[step.target_attname]
        stmt = (
            sa.select(*columns)
            .select_from(table.join(junction, link))
            .where(owner == sa.any_(param(0, pg.ARRAY(owner.type))))
        )
        if tmeta.ordering:
            stmt = stmt.order_by(*(order_column(target, table, o) for o in tmeta.ordering))
        return Plan(stmt), RowPlan(("", *tmeta.attnames), [c.type for c in columns])

    key = ("prefetch_junction", junction.name, step.junction_source)
    return _cached_plan(target, key, build)  # type: ignore[no-any-return]


async def _junction_rows(step: Step, keys: list[Any]) -> list[tuple[Any, Model]]:
    plan, rows = _junction_select(step)
    records = await get_database().fetch(plan.sql, plan.args([keys]))
    build = builder_for(step.target, step.target._meta.attnames)
    out = []
    for record in records:
        values = rows.values(record)
        out.append((values[0], build(values[1:])))
    return out


# -- managers ------------------------------------------------------------------------------------


def _junction_plan(step: Step, op: str) -> Plan:
    junction = step.junction
    assert junction is not None

    def build() -> Plan:
        assert junction is not None
        source = junction.c[step.junction_source]
        target = junction.c[step.junction_target]
        owner = param(0, source.type)
        if op == "add":
            # One statement for any number of rows: SELECT $1, unnest($2) ON CONFLICT DO NOTHING.
            rows = sa.select(owner, sa.func.unnest(param(1, pg.ARRAY(target.type))))
            insert = pg.insert(junction).from_select([source.name, target.name], rows)
            return Plan(insert.on_conflict_do_nothing())
        stmt = sa.delete(junction).where(source == owner)
        if op == "remove":
            stmt = stmt.where(target == sa.any_(param(1, pg.ARRAY(target.type))))
        elif op == "keep":
            stmt = stmt.where(target != sa.all_(param(1, pg.ARRAY(target.type))))
        return Plan(stmt)

    key = ("junction", junction.name, step.junction_source, op)
    return _cached_plan(step.source, key, build)  # type: ignore[no-any-return]


class RelatedManager(Manager[M]):
    """The related objects of one instance: ``user.posts`` (reverse ForeignKey), ``post.tags``
    and ``tag.posts`` (ManyToMany).

    Every ``Manager`` method works on them (``await user.posts.all()``, ``filter()``,
    ``count()``, ``get()``, ...), plus ``create()``, ``add()``, ``remove()``, ``clear()`` and
    ``set()``. After ``prefetch_related()`` the objects are known: ``all()`` and ``count()``
    answer without a query and the manager iterates (``for tag in post.tags``).
    ``remove()``, ``clear()`` and ``set()`` on a reverse ForeignKey set it to NULL, so they
    need ``nullable=True``.
    """

    def __init__(self, instance: Model, relation: Relation) -> None:
        super().__init__(relation.target())  # type: ignore[arg-type]
        self.instance = instance
        self.relation = relation
        self.step = relation.step()

    def __repr__(self) -> str:
        return f"<RelatedManager {type(self.instance).__name__}.{self.relation.accessor}>"

    @property
    def _name(self) -> str:
        return f"{type(self.instance).__name__}.{self.relation.accessor or self.relation.name}"

    def _key(self) -> Any:
        value = self.instance.__dict__.get(self.step.source_attname)
        if value is None:
            raise ValidationError(
                f"{self._name} needs a {type(self.instance).__name__} with a primary key value"
            )
        return value

    def get_queryset(self) -> QuerySet[M]:
        remote = self.relation.remote
        assert remote is not None
        qs = QuerySet(self.model).filter(**{remote.name: self._key()})
        cached = self.instance.__dict__.get(self.relation.cache_name)
        if cached is not None:
            qs._cache = cached
        return qs

    def __iter__(self) -> Iterator[M]:
        cached = self.instance.__dict__.get(self.relation.cache_name)
        if cached is None:
            name = self.relation.accessor
            raise QueryError(
                f"{self._name} was not prefetched: use `await obj.{name}.all()`, or "
                f"prefetch_related({name!r}) / `await obj.fetch_related({name!r})` first"
            )
        return iter(cached)

    # -- writes -----------------------------------------------------------------------------

    def _saved_key(self) -> Any:
        if not self.instance.is_saved:
            raise ValidationError(
                f"Save the {type(self.instance).__name__} before changing {self._name}"
            )
        return self._key()

    def _keys(self, objs: Iterable[Any]) -> list[Any]:
        target = self.model
        pk = target._meta.pk
        base = _model_base()
        keys = []
        for obj in objs:
            if isinstance(obj, base):
                if not isinstance(obj, target):
                    raise ValidationError(
                        f"{self._name} takes {target.__name__} instances or primary keys, "
                        f"got a {type(obj).__name__}"
                    )
                if not obj.is_saved:
                    raise ValidationError(
                        f"Save the {target.__name__} before adding it to {self._name}"
                    )
                obj = obj.pk
            keys.append(pk.to_python(obj))
        return list(dict.fromkeys(keys))

    def _forget(self) -> None:
        self.instance.__dict__.pop(self.relation.cache_name, None)

    def _foreign_key(self, op: str | None = None) -> ForeignKey:
        field = self.relation.remote
        assert isinstance(field, ForeignKey)
        if op is not None and not field.nullable:
            raise QueryError(
                f"{self._name}.{op}() would set {self.model.__name__}.{field.name} to NULL, "
                f"which is not nullable; delete those objects instead"
            )
        return field

    async def _junction(self, op: str, values: list[Any]) -> None:
        plan = _junction_plan(self.step, op)
        await get_database().execute(plan.sql, plan.args(values))

    async def add(self, *objs: Any) -> None:
        """Relate ``objs`` (instances or primary keys); already related ones are kept."""
        key = self._saved_key()
        keys = self._keys(objs)
        self._forget()
        if not keys:
            return
        if self.step.junction is not None:
            await self._junction("add", [key, keys])
            return
        field = self._foreign_key()
        await QuerySet(self.model).filter(pk__in=keys).update(**{field.name: key})
        for obj in objs:
            if isinstance(obj, self.model):
                setattr(obj, field.name, self.instance)

    async def remove(self, *objs: Any) -> None:
        """Unrelate ``objs`` (instances or primary keys)."""
        key = self._saved_key()
        keys = self._keys(objs)
        self._forget()
        if not keys:
            return
        if self.step.junction is not None:
            await self._junction("remove", [key, keys])
            return
        field = self._foreign_key("remove")
        qs = QuerySet(self.model).filter(pk__in=keys, **{field.attname: key})
        await qs.update(**{field.name: None})
        for obj in objs:
            if isinstance(obj, self.model) and obj.__dict__.get(field.attname) == key:
                setattr(obj, field.name, None)

    async def clear(self) -> None:
        """Unrelate every object."""
        key = self._saved_key()
        self._forget()
        if self.step.junction is not None:
            await self._junction("clear", [key])
            return
        field = self._foreign_key("clear")
        await QuerySet(self.model).filter(**{field.attname: key}).update(**{field.name: None})

    async def set(self, objs: Iterable[Any]) -> None:
        """Make ``objs`` exactly the related objects (two statements, in one transaction)."""
        objs = list(objs)
        key = self._saved_key()
        keys = self._keys(objs)
        self._forget()
        async with transaction():
            if self.step.junction is not None:
                await self._junction("keep", [key, keys])
                if keys:
                    await self._junction("add", [key, keys])
                return
            field = self._foreign_key("set")
            others = QuerySet(self.model).filter(**{field.attname: key}).exclude(pk__in=keys)
            await others.update(**{field.name: None})
            if keys:
                await self.add(*objs)

    async def create(self, **values: Any) -> M:
        """Create an object of the related model, related to this instance."""
        self._forget()
        if self.step.junction is None:
            values[self._foreign_key().name] = self.instance
            return await QuerySet(self.model).create(**values)
        key = self._saved_key()
        async with transaction():
            obj = await QuerySet(self.model).create(**values)
            await self._junction("add", [key, [obj.pk]])
        return obj

    async def get_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        if self.step.junction is None:
            lookups[self._foreign_key().name] = self.instance
            return await QuerySet(self.model).get_or_create(defaults, **lookups)
        async with transaction():
            obj = await self.get_queryset().get_or_none(**lookups)
            if obj is not None:
                return obj, False
            params = {k: v for k, v in lookups.items() if "__" not in k}
            return await self.create(**params, **(defaults or {})), True

    async def update_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        if self.step.junction is None:
            lookups[self._foreign_key().name] = self.instance
            return await QuerySet(self.model).update_or_create(defaults, **lookups)
        async with transaction():
            obj = await self.get_queryset().select_for_update().get_or_none(**lookups)
            if obj is None:
                return await self.get_or_create(defaults, **lookups)
            for name, value in (defaults or {}).items():
                setattr(obj, name, value)
            await obj.save()
            return obj, False


# -- deletes -----------------------------------------------------------------------------------


async def guard_delete(model: type[Model], run: Callable[[], Awaitable[int]]) -> int:
    """Run a DELETE that RESTRICT/PROTECT references may refuse. Inside a transaction it runs
    in a savepoint, so ``ProtectedError`` leaves the transaction usable, with nothing deleted."""
    if delete_may_be_blocked(model) and in_transaction():
        async with transaction():
            return await run()
    return await run()
