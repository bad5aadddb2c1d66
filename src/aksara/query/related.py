"""Related managers: ``user.posts`` (a reverse ForeignKey) and ``post.tags``/``tag.posts``
(a ManyToMany), with ``add()``, ``remove()``, ``clear()``, ``set()`` and ``create()``.

Importing this module installs ``RelatedManager`` as the class behind multi-valued
relation attributes (``Relation.manager_class``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.db import get_database, transaction
from aksara.exceptions import QueryError, ValidationError
from aksara.fields.relation_base import Relation, Step
from aksara.fields.relations import ForeignKey
from aksara.query._compile import Plan, array_param, param
from aksara.query._plans import cached_plan
from aksara.query.manager import Manager
from aksara.query.queryset import QuerySet
from aksara.registry import ModelRoot

if TYPE_CHECKING:
    from aksara.models.base import Model

M = TypeVar("M", bound="Model")


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
            rows = sa.select(owner, sa.func.unnest(array_param(1, target.type)))
            insert = pg.insert(junction).from_select([source.name, target.name], rows)
            return Plan(insert.on_conflict_do_nothing())
        stmt = sa.delete(junction).where(source == owner)
        if op == "remove":
            stmt = stmt.where(target == sa.any_(array_param(1, target.type)))
        elif op == "keep":
            stmt = stmt.where(target != sa.all_(array_param(1, target.type)))
        return Plan(stmt)

    key = ("junction", junction.name, step.junction_source, op)
    return cached_plan(step.source, key, build)  # type: ignore[no-any-return]


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
        super().__init__(cast("type[M]", relation.target()))
        self.instance = instance
        self.relation = relation
        self.step = relation.step()

    def __repr__(self) -> str:
        return f"<RelatedManager {type(self.instance).__name__}.{self.relation.accessor}>"

    @property
    def _name(self) -> str:
        return f"{type(self.instance).__name__}.{self.relation.accessor or self.relation.name}"

    def _key(self) -> Any:
        value = getattr(self.instance, self.step.source_attname, None)
        if value is None:
            raise ValidationError(
                f"{self._name} needs a {type(self.instance).__name__} with a primary key value"
            )
        return value

    def get_queryset(self) -> QuerySet[M]:
        remote = self.relation.remote
        assert remote is not None
        qs = QuerySet(self.model).filter(**{remote.name: self._key()})
        cached = getattr(self.instance, self.relation.cache_name, None)
        if cached is not None:
            qs._cache = cached
        return qs

    def __iter__(self) -> Iterator[M]:
        cached = getattr(self.instance, self.relation.cache_name, None)
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
        keys: list[Any] = []
        for obj in objs:
            if isinstance(obj, ModelRoot):
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
        vars(self.instance).pop(self.relation.cache_name, None)

    def _foreign_key(self, op: str | None = None) -> ForeignKey[Any, Any]:
        field = self.relation.remote
        assert isinstance(field, ForeignKey)
        if op is not None and not field.nullable:
            raise QueryError(
                f"{self._name}.{op}() would set {self.model.__name__}.{field.name} to NULL, "
                f"which is not nullable; delete those objects instead"
            )
        return cast("ForeignKey[Any, Any]", field)

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


Relation.manager_class = RelatedManager
