"""What every relation shares: ``Step`` (how rows of one model reach rows of another),
``Relation`` (the base of declared and reverse relations) and ``ReverseRelation`` (the side
that lives on the target: ``user.posts``, ``user.profile``); and ``AttnameDescriptor``, a
foreign key's column attribute (``post.author_id``).

Relation attributes never run queries. A multi-valued relation's attribute is a manager of
the query layer, which installs its class as ``Relation.manager_class``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, overload

import sqlalchemy as sa
from typing_extensions import Unpack

from aksara.exceptions import ConfigurationError
from aksara.fields.base import Field, FieldOptions

if TYPE_CHECKING:
    from aksara.fields.relations import ForeignKey, RelatedField
    from aksara.models.base import Model


class Step:
    """How rows of ``source`` reach rows of ``target`` through one relation, as columns.

    Without a junction table: ``target.<target_attname> = source.<source_attname>``.
    With one: ``junction.<junction_source> = source.<source_attname>`` and
    ``junction.<junction_target> = target.<target_attname>``.
    """

    __slots__ = (
        "source",
        "target",
        "multi_valued",
        "source_attname",
        "target_attname",
        "junction",
        "junction_source",
        "junction_target",
    )

    def __init__(
        self,
        source: type[Model],
        target: type[Model],
        *,
        multi_valued: bool,
        source_attname: str,
        target_attname: str,
        junction: sa.Table | None = None,
        junction_source: str = "",
        junction_target: str = "",
    ) -> None:
        self.source = source
        self.target = target
        self.multi_valued = multi_valued
        self.source_attname = source_attname
        self.target_attname = target_attname
        self.junction = junction
        self.junction_source = junction_source
        self.junction_target = junction_target

    def reversed(self, *, multi_valued: bool) -> Step:
        return Step(
            self.target,
            self.source,
            multi_valued=multi_valued,
            source_attname=self.target_attname,
            target_attname=self.source_attname,
            junction=self.junction,
            junction_source=self.junction_target,
            junction_target=self.junction_source,
        )

    def __repr__(self) -> str:
        via = f" via {self.junction.name}" if self.junction is not None else ""
        return f"<Step {self.source.__name__} -> {self.target.__name__}{via}>"


def not_loaded(model: type[Model], name: str) -> str:
    return (
        f"{model.__name__}.{name} is not loaded: add select_related({name!r}) or "
        f"prefetch_related({name!r}) to the query, or `await obj.fetch_related({name!r})` first"
    )


class Relation(Field[Any, Any]):
    """What forward and reverse relations share: the model they reach, how, and where an
    instance keeps the related objects once they are loaded (``cache_name`` in its ``__dict__``)."""

    #: The class of the managers behind multi-valued relation attributes (``post.tags``,
    #: ``user.posts``), called as ``manager_class(instance, relation)``; the query layer
    #: installs it (``aksara.query.related``).
    manager_class: ClassVar[Any] = None

    def __init__(self, **options: Unpack[FieldOptions[Any]]) -> None:
        super().__init__(**options)
        self.related_model: type[Model] | None = None
        #: The other side: a ForeignKey's or ManyToMany's reverse relation, and vice versa.
        self.remote: Relation | None = None
        self.multi_valued = False
        self.cache_name = ""
        #: The relation's name in ``select_related``/``prefetch_related`` and on instances.
        self.accessor: str | None = None

    def target(self) -> type[Model]:
        """The related model; a clear error while a string reference is still unresolved."""
        model = self.related_model
        if model is None:
            raise ConfigurationError(
                f"{self.model.__name__}.{self.name} refers to a model that is not defined"
            )
        return model

    def step(self) -> Step:
        """The join from this model to the related one; each kind of relation defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def is_loaded(self, instance: Model) -> bool:
        """True when ``instance`` holds this relation's objects (no query needed)."""
        return hasattr(instance, self.cache_name)  # not __dict__: CPython would build one

    def manager(self, instance: Model) -> Any:
        """The manager of ``instance``'s related objects through this relation."""
        manager_class = Relation.manager_class
        if manager_class is None:
            raise ConfigurationError("Related managers need the query layer: import aksara")
        return manager_class(instance, self)


class ReverseRelation(Relation):
    """The reverse side of a relation, living on its target: ``user.posts`` (many),
    ``tag.posts`` (many), ``user.profile`` (one, for a OneToOne)."""

    concrete = False

    def __init__(self, field: RelatedField, query_name: str, accessor: str | None) -> None:
        super().__init__()
        self.field = field
        self.model = field.target()
        self.related_model = field.model
        self.remote = field
        self.name = self.attname = query_name
        self.accessor = accessor
        self.multi_valued = field.multi_valued or not field.unique
        self.cache_name = f"_rel_{accessor or query_name}"
        self.nullable = True
        self._reversed: tuple[Step, Step] | None = None

    def step(self) -> Step:
        # The forward field's step reversed, made again only when that step is made again.
        forward = self.field.step()
        made = self._reversed
        if made is None or made[0] is not forward:
            made = self._reversed = (forward, forward.reversed(multi_valued=self.multi_valued))
        return made[1]

    # The overloads of Field's, one for one, as pyright requires of an override.
    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self: Field[Any, Literal[False]], instance: Model, owner: type[Any]) -> Any: ...

    @overload
    def __get__(self, instance: Model, owner: type[Any]) -> Any: ...

    def __get__(self, instance: Model | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        if self.multi_valued:
            return self.manager(instance)
        try:
            return getattr(instance, self.cache_name)
        except AttributeError:
            raise AttributeError(not_loaded(type(instance), self.accessor or self.name)) from None

    def __set__(self, instance: Model, value: Any) -> None:
        if self.multi_valued:
            raise TypeError(
                f"{type(instance).__name__}.{self.accessor} cannot be assigned; use its add()/set()"
            )
        if value is not None:
            # user.profile = profile: point the profile at the user (saving it is up to the caller).
            setattr(value, self.field.name, instance)
        vars(instance)[self.cache_name] = value

    def describe(self) -> dict[str, Any]:
        return {
            "type": "reverse",
            "to": self.related_model.__name__ if self.related_model else None,
        }

    def __repr__(self) -> str:
        return f"<ReverseRelation: {self.model.__name__}.{self.name} ← {self.field!r}>"


def closes_cycle(table: sa.Table, target: sa.Table) -> bool:
    """True when ``target`` already reaches ``table`` through foreign keys."""
    if table is target:
        return False
    seen = {target}
    stack = [target]
    while stack:
        current = stack.pop()
        for constraint in current.foreign_key_constraints:
            referred = constraint.referred_table
            if referred is table:
                return True
            if referred not in seen:
                seen.add(referred)
                stack.append(referred)
    return False


class AttnameDescriptor:
    """``post.author_id``: the column's value, kept in the instance ``__dict__``. A non-data
    descriptor: a row builder's or user's assignment is a plain attribute store (instances
    keep key-sharing dicts); ``post.author`` checks that its cached object still matches.
    This runs only for a column the instance lacks.

    Like a plain field, it is not on the model class until an instance may lack the column
    (``ForeignKey.attname_on_class``): a class attribute of the name, even this non-data
    descriptor, keeps CPython from specialising the reads and writes of ``post.author_id``
    on every instance (``models._attributes``)."""

    __slots__ = ("field",)

    def __init__(self, field: ForeignKey[Any, Any]) -> None:
        self.field = field

    @staticmethod
    def shadows(model: type[Model], attname: str) -> bool:
        """Whether the column must be on the class from the start: it shadows an attribute
        of the class, its bases or its metaclass (a mixin's property, ``Model.pk``...)."""
        metaclass: type = type(model)
        return any(attname in vars(k) for k in (*model.__mro__, *metaclass.__mro__))

    def __get__(self, instance: Model | None, owner: type[Any]) -> Any:
        if instance is None:
            return self.field
        # Reached only when the instance has no such attribute: an object assigned before it
        # had a key (its key now), or a column the query did not load.
        cached = getattr(instance, self.field.cache_name, None)
        if cached is not None:
            return cached.pk
        raise AttributeError(
            f"{type(instance).__name__}.{self.field.attname} was not loaded by the query "
            f"(see only()/defer()); call refresh_from_db() to load it"
        )
