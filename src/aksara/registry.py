"""The registry of model classes and the metadata their tables live on.

It sits below fields, models and the database layer: a relation field resolves a model
named by a string (``"User"``) through it, and ``create_all()`` creates what it holds,
without either importing the other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint

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
    ExcludeConstraint: "ex_%(table_name)s_%(constraint_name)s",
}

#: The metadata every model's table is compiled onto (Alembic's ``target_metadata``).
metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class ModelRoot:
    """The root class of every model (``aksara.Model`` derives from it), so that layers below
    ``models`` can tell model classes and instances from other values without importing them."""

    __slots__ = ()

    if TYPE_CHECKING:
        pk: Any


def is_model_class(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, ModelRoot)


def snake_case(name: str) -> str:
    """``BlogPost`` → ``blog_post``; ``HTTPLog`` → ``http_log``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Registry:
    """Model classes by name, with callbacks waiting for models not defined yet."""

    def __init__(self) -> None:
        self.models: dict[str, type[Model]] = {}
        self._pending: dict[str, list[Callable[[type[Model]], None]]] = {}
        #: Bumped whenever a relation between models is made or undone, so that caches
        #: derived from the relation graph (which deletes a reference may refuse) expire.
        self.version = 0

    def changed(self) -> None:
        self.version += 1

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

    def cancel(self, owner: object) -> None:
        """Drop the callbacks bound to ``owner`` that still wait for a model."""
        for name, waiting in list(self._pending.items()):
            waiting[:] = [c for c in waiting if getattr(c, "__self__", None) is not owner]
            if not waiting:
                del self._pending[name]

    def model_for_table(self, table: str) -> type[Model] | None:
        """The model whose table is called ``table``."""
        for model in self.models.values():
            t = model._meta.table
            if t is not None and t.name == table:
                return model
        return None

    def describe_constraint(
        self, table: str | None, constraint: str | None
    ) -> tuple[str | None, tuple[str, ...]]:
        """The model whose table is ``table`` and the fields a constraint (or index) of it
        called ``constraint`` covers: ``("Post", ("slug",))``; None and ``()`` when unknown."""
        model = self.model_for_table(table) if table else None
        if model is None:
            return None, ()
        meta = model._meta
        if constraint is not None and constraint.startswith("column:"):  # a NOT NULL column
            column = constraint[len("column:") :]
            field = meta.by_attname.get(column)
            return model.__name__, (field.name if field is not None else column,)
        sa_table = meta.table
        assert sa_table is not None
        for item in (*sa_table.constraints, *sa_table.indexes):
            name = getattr(item, "name", None)
            if name is None or constraint is None or str(name) != constraint:
                continue
            columns = [c.name for c in getattr(item, "columns", ())]
            return model.__name__, tuple(
                meta.by_attname[c].name if c in meta.by_attname else c for c in columns
            )
        return model.__name__, ()

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
