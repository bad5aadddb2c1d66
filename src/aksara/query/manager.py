"""``Model.objects``: the entry point to queries. Subclass it and override ``get_queryset()``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aksara.query.aggregates import Aggregate
from aksara.query.expressions import Q
from aksara.query.queryset import QuerySet

if TYPE_CHECKING:
    from aksara.models.base import Model

M = TypeVar("M", bound="Model")


class Manager(Generic[M]):
    """``Post.objects``: every QuerySet method, starting from ``get_queryset()``."""

    def __init__(self, model: type[M] | None = None) -> None:
        self.model: type[M] = model  # type: ignore[assignment]

    def __get__(self, instance: Any, owner: type[Any]) -> Manager[M]:
        if instance is not None:
            raise AttributeError(
                f"{owner.__name__}.objects is reachable from the class, not instances"
            )
        return self

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.model = owner

    def get_queryset(self) -> QuerySet[M]:
        return QuerySet(self.model)

    def __repr__(self) -> str:
        return f"<Manager for {self.model.__name__}>"

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self.get_queryset().__await__()

    def __aiter__(self) -> AsyncIterator[M]:
        return self.get_queryset().__aiter__()

    def __getitem__(self, item: int | slice) -> Any:
        return self.get_queryset()[item]

    def all(self) -> QuerySet[M]:
        return self.get_queryset()

    def filter(self, *conditions: Q, **lookups: Any) -> QuerySet[M]:
        return self.get_queryset().filter(*conditions, **lookups)

    def exclude(self, *conditions: Q, **lookups: Any) -> QuerySet[M]:
        return self.get_queryset().exclude(*conditions, **lookups)

    def order_by(self, *fields: str) -> QuerySet[M]:
        return self.get_queryset().order_by(*fields)

    def distinct(self) -> QuerySet[M]:
        return self.get_queryset().distinct()

    def only(self, *fields: str) -> QuerySet[M]:
        return self.get_queryset().only(*fields)

    def values(self, *fields: str) -> QuerySet[M]:
        return self.get_queryset().values(*fields)

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[M]:
        return self.get_queryset().values_list(*fields, flat=flat)

    def select_for_update(self, *, nowait: bool = False, skip_locked: bool = False) -> QuerySet[M]:
        return self.get_queryset().select_for_update(nowait=nowait, skip_locked=skip_locked)

    def select_related(self, *fields: str) -> QuerySet[M]:
        return self.get_queryset().select_related(*fields)

    def prefetch_related(self, *fields: str) -> QuerySet[M]:
        return self.get_queryset().prefetch_related(*fields)

    async def get(self, *conditions: Q, **lookups: Any) -> M:
        return await self.get_queryset().get(*conditions, **lookups)

    async def get_or_none(self, *conditions: Q, **lookups: Any) -> M | None:
        return await self.get_queryset().get_or_none(*conditions, **lookups)

    async def first(self) -> M | None:
        return await self.get_queryset().first()

    async def last(self) -> M | None:
        return await self.get_queryset().last()

    async def count(self) -> int:
        return await self.get_queryset().count()

    async def exists(self) -> bool:
        return await self.get_queryset().exists()

    async def aggregate(self, *aggregates: Aggregate, **named: Aggregate) -> dict[str, Any]:
        return await self.get_queryset().aggregate(*aggregates, **named)

    async def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        return await self.get_queryset().in_bulk(id_list, field_name=field_name)

    async def create(self, **values: Any) -> M:
        return await self.get_queryset().create(**values)

    async def get_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        return await self.get_queryset().get_or_create(defaults, **lookups)

    async def update_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        return await self.get_queryset().update_or_create(defaults, **lookups)

    async def update(self, **values: Any) -> int:
        return await self.get_queryset().update(**values)

    async def delete(self) -> int:
        return await self.get_queryset().delete()

    async def bulk_create(self, objs: Iterable[M], *, batch_size: int | None = None) -> list[M]:
        return await self.get_queryset().bulk_create(objs, batch_size=batch_size)

    async def bulk_update(
        self, objs: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        return await self.get_queryset().bulk_update(objs, fields, batch_size=batch_size)

    async def nearest(self, field: str, vector: Any, **options: Any) -> list[M]:
        return await self.get_queryset().nearest(field, vector, **options)
