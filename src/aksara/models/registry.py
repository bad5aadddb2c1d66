"""The registry of model classes, so that string references such as ``"User"`` resolve lazily."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from aksara.exceptions import ConfigurationError

if TYPE_CHECKING:
    from aksara.models.base import Model

#: Constraint names follow this convention so Alembic sees stable names.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The metadata every model's table is compiled onto (Alembic's ``target_metadata``).
metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Registry:
    """Model classes by name, with callbacks waiting for models not defined yet."""

    def __init__(self) -> None:
        self.models: dict[str, type[Model]] = {}
        self._pending: dict[str, list[Callable[[type[Model]], None]]] = {}

    def register(self, model: type[Model]) -> None:
        name = model.__name__
        existing = self.models.get(name)
        if existing is not None and existing.__module__ != model.__module__:
            # Two models with one name would make string references ambiguous.
            raise ConfigurationError(
                f"A model named {name!r} is already defined in {existing.__module__}; "
                f"model names must be unique"
            )
        self.models[name] = model
        for callback in self._pending.pop(name, []):
            callback(model)

    def get(self, name: str) -> type[Model] | None:
        return self.models.get(name)

    def lazy(self, name: str, callback: Callable[[type[Model]], None]) -> None:
        """Call ``callback(model)`` as soon as a model named ``name`` exists."""
        model = self.models.get(name)
        if model is not None:
            callback(model)
        else:
            self._pending.setdefault(name, []).append(callback)

    def unresolved(self) -> list[str]:
        return sorted(self._pending)

    def unregister(self, model: type[Model]) -> None:
        """Remove a model, its table and what its relations did to other models
        (tests that define throwaway models use this)."""
        if self.models.get(model.__name__) is model:
            del self.models[model.__name__]
        for field in model._meta.fields.values():
            forget = getattr(field, "forget", None)
            if forget is not None:
                forget()
        table = model._meta.table
        if table is not None and table.metadata is metadata and table.name in metadata.tables:
            metadata.remove(table)


registry = Registry()
