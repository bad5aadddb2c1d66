"""The writes of a queryset: ``create``, ``get_or_create``, ``update_or_create``, ``update``,
``delete`` and the bulk ones. ``QuerySet`` inherits them (and ``Manager`` has them as it has
every public queryset method)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from aksara.db import transaction
from aksara.exceptions import IntegrityError, QueryError
from aksara.fields.temporal import now
from aksara.query import bulk, persist, upsert
from aksara.query._part import M, QuerySetPart, R
from aksara.query.deletion import guard_delete

if TYPE_CHECKING:
    pass


class Writes(QuerySetPart[M, R]):
    """The write methods of ``QuerySet``."""

    __slots__ = ()

    if TYPE_CHECKING:  # what the writes use of the queryset
        model: type[M]
        _limit: int | None
        _offset: int | None
        _annotations: tuple[tuple[str, Any], ...]
        _combined: Any

    async def create(self, **values: Any) -> M:
        """Build an instance, validate it and INSERT it."""
        obj = self.model(**values)
        if type(obj).save is persist.plain_save():
            # Model.save() itself: its work without its coroutine (asked on every call, so
            # that a save() patched in later is called).
            await persist.save(obj, update_fields=None, force_insert=True)
        else:
            await obj.save(force_insert=True)
        return obj

    async def get_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        """Get the row matching ``lookups`` or create it (with ``defaults``); safe under concurrency
        when a unique constraint covers ``lookups``."""
        try:
            return await self._instances().get(**lookups), False
        except self.model.DoesNotExist:
            pass
        params = {k: v for k, v in lookups.items() if "__" not in k}
        params.update(defaults or {})
        try:
            async with transaction():
                obj = await self.create(**params)
            return obj, True
        except IntegrityError:
            try:
                return await self._instances().get(**lookups), False
            except self.model.DoesNotExist:
                pass
            raise

    async def update_or_create(
        self, defaults: dict[str, Any] | None = None, **lookups: Any
    ) -> tuple[M, bool]:
        """Update the row matching ``lookups`` with ``defaults``, or create it."""
        defaults = defaults or {}
        async with transaction():
            obj = await self._instances().select_for_update().get_or_none(**lookups)
            if obj is not None:
                for name, value in defaults.items():
                    setattr(obj, name, value)
                await obj.save()
                return obj, False
        obj, created = await self.get_or_create(defaults, **lookups)
        if not created:
            return await self.update_or_create(defaults, **lookups)
        return obj, True

    async def update(self, **values: Any) -> int:
        """UPDATE every matching row; values are validated first. Returns the number of rows."""
        if self._limit is not None or self._offset is not None:
            raise QueryError("Cannot update a sliced queryset")
        if self._annotations or self._combined is not None:
            raise QueryError("Cannot update an annotated or combined queryset: filter by fields")
        return await bulk.update_rows(self._queryset(), values)

    async def delete(self) -> int:
        """DELETE every matching row; returns the number of rows deleted. On a model with
        ``Meta.soft_delete`` it marks them deleted instead (``deleted_at``)."""
        if self.model._meta.soft_delete:
            return await self.update(deleted_at=now())
        return await self.hard_delete()

    async def hard_delete(self) -> int:
        """DELETE every matching row, also on a model with ``Meta.soft_delete``."""
        if self._limit is not None or self._offset is not None:
            raise QueryError("Cannot delete a sliced queryset")
        if self._annotations or self._combined is not None:
            raise QueryError("Cannot delete an annotated or combined queryset: filter by fields")
        return await guard_delete(self.model, lambda: bulk.delete_matching(self._queryset()))

    async def restore(self) -> int:
        """Bring back the matching soft-deleted rows: ``Post.objects.only_deleted()
        .filter(...).restore()``; returns the number of rows."""
        if not self.model._meta.soft_delete:
            raise QueryError(f"{self.model.__name__} has no Meta.soft_delete")
        return await self.update(deleted_at=None)

    async def bulk_create(
        self,
        objs: Iterable[M],
        *,
        batch_size: int | None = None,
        on_conflict: Literal["ignore", "update"] | None = None,
        unique_fields: Sequence[str] | None = None,
        update_fields: Sequence[str] | None = None,
    ) -> list[M]:
        """Validate every instance, then INSERT them with one statement per batch.

        ``on_conflict="ignore"`` skips rows whose ``unique_fields`` exist already (their
        instances stay unsaved); ``on_conflict="update"`` updates ``update_fields`` (every
        other field by default) of those rows instead, and every instance gets its row's
        primary key: ``INSERT ... ON CONFLICT (...) DO NOTHING | DO UPDATE``."""
        if on_conflict is None:
            if unique_fields is not None or update_fields is not None:
                raise QueryError(
                    "bulk_create(): unique_fields and update_fields go with on_conflict="
                )
            return cast("list[M]", await bulk.bulk_create(self.model, list(objs), batch_size))
        return cast(
            "list[M]",
            await upsert.bulk_upsert(
                self.model, list(objs), batch_size, on_conflict, unique_fields, update_fields
            ),
        )

    async def upsert(
        self,
        defaults: dict[str, Any] | None = None,
        update_fields: Sequence[str] | None = None,
        **unique_keys: Any,
    ) -> tuple[M, bool]:
        """Insert the row of ``unique_keys`` and ``defaults``, or update the existing row's
        ``defaults`` (or ``update_fields``), in one statement; returns ``(instance, created)``:
        ``await User.objects.upsert(email="a@example.com", defaults={"name": "Ada"})``."""
        return await upsert.upsert(self.model, defaults, update_fields, unique_keys)

    async def bulk_update(
        self,
        objs: Iterable[M],
        fields: Sequence[str],
        *,
        batch_size: int | None = None,
    ) -> int:
        """Validate and UPDATE ``fields`` of every instance; returns the number of rows updated."""
        return await bulk.bulk_update(self.model, list(objs), fields, batch_size)
