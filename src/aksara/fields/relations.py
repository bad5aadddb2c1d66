"""Relationship fields: ``ForeignKey``, ``OneToOne``, ``ManyToMany`` and the ``on_delete`` actions.

```
class Post(Model):
    author = fields.ForeignKey("User", related_name="posts")   column author_id → "user".id
    tags = fields.ManyToMany("Tag", related_name="posts")      junction post_tags(post_id, tag_id)

forward   post.author_id    the column; always loaded
          post.author       the User loaded by select_related / prefetch_related / fetch_related
          post.tags         a manager: await post.tags.all(), add(), remove(), clear(), set()
reverse   user.posts        a manager of the user's posts (tag.posts likewise)
          user.profile      a OneToOne's reverse accessor is one object
filters   Post.objects.filter(author__email=...), User.objects.filter(posts__title=...)
```

Relation attributes never run queries. Related objects are loaded explicitly (in the
query with ``select_related()``/``prefetch_related()``, or later with
``await obj.fetch_related(...)``), and reading one that was not loaded raises an
``AttributeError`` that names those calls, so a loop cannot issue one query per row
without saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, Self, overload

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from typing_extensions import TypeVar, Unpack

from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import Field, FieldOptions, N, shortcut_applies
from aksara.fields.relation_base import (
    AttnameDescriptor,
    Relation,
    ReverseRelation,
    Step,
    closes_cycle,
    not_loaded,
)
from aksara.registry import ModelRoot, is_model_class, metadata, registry, snake_case

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.related import RelatedManager

#: ``on_delete`` actions, as the database enforces them (``ON DELETE ...`` of the constraint).
CASCADE: Final = "CASCADE"
"""Deleting the referenced row deletes this one too."""
SET_NULL: Final = "SET_NULL"
"""Deleting the referenced row sets this column to NULL (the field must be ``nullable=True``)."""
RESTRICT: Final = "RESTRICT"
"""The referenced row cannot be deleted while this one refers to it (``ProtectedError``)."""
PROTECT: Final = "PROTECT"
"""Alias of ``RESTRICT``."""

_SQL_ON_DELETE = {
    CASCADE: "CASCADE",
    SET_NULL: "SET NULL",
    RESTRICT: "RESTRICT",
    PROTECT: "RESTRICT",
}


def _on_delete(value: Any) -> str:
    key = value.upper().replace(" ", "_") if isinstance(value, str) else None
    if key not in _SQL_ON_DELETE:
        raise ConfigurationError(
            f"on_delete must be CASCADE, SET_NULL, RESTRICT or PROTECT, got {value!r}"
        )
    return key


class RelatedField(Relation):
    """A relation declared on a model (ForeignKey, OneToOne, ManyToMany): its target is a
    model class or a model name, resolved when that model exists (``"self"`` is this model)."""

    def __init__(
        self,
        to: type[Model] | str,
        *,
        related_name: str | None = None,
        **options: Unpack[FieldOptions[Any]],
    ) -> None:
        super().__init__(**options)
        if not isinstance(to, str) and not is_model_class(to):
            raise ConfigurationError(
                f"{type(self).__name__}() needs a model class or a model name, got {to!r}"
            )
        # Run-time checks: untyped callers may pass anything.
        if related_name is not None and (not isinstance(related_name, str) or not related_name):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(
                f"related_name must be a non-empty string, got {related_name!r}"
            )
        self.to = to
        self.related_name = related_name
        self._step: Step | None = None

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        self.cache_name = f"_rel_{name}"
        self.accessor = name
        if not isinstance(self.to, str) and self.to._meta.abstract:
            raise ConfigurationError(
                f"{model.__name__}.{name} cannot refer to the abstract model {self.to.__name__}"
            )

    @property
    def sensitive(self) -> bool:
        # The column holds the target's key: a secret key is as secret here.
        target = self.related_model
        return self.declared_sensitive or (target is not None and target._meta.pk.ai_sensitive)

    def target_name(self) -> str:
        to = self.to
        if isinstance(to, str):
            return self.model.__name__ if to == "self" else to.rsplit(".", 1)[-1]
        return to.__name__

    def model_ready(self) -> None:
        """Called once the model's table exists: resolve the target now or when it is defined."""
        if isinstance(self.to, str):
            registry.lazy(self.target_name(), self._resolve)
        else:
            self._resolve(self.to)

    def _resolve(self, target: type[Model]) -> None:
        if target._meta.abstract:
            raise ConfigurationError(
                f"{self.model.__name__}.{self.name} cannot refer to the abstract model {target.__name__}"
            )
        keyed = next(
            (
                m
                for m in (target, self.model)
                if m._meta.composite_pk and (m is target or self.multi_valued)
            ),
            None,
        )
        if keyed is not None:
            raise ConfigurationError(
                f"{self.model.__name__}.{self.name}: {keyed.__name__} has a composite primary "
                f"key, and relations to such a model are not supported; give it a "
                f"single-column key and make the pair unique (Meta.constraints)"
            )
        self.related_model = target
        self._step = None
        # Check the reverse names first, so a clash changes nothing.
        reverse = self._reverse(target)
        self.target_ready(target)
        target._meta.add_reverse(reverse)
        if reverse.accessor is not None:
            setattr(target, reverse.accessor, reverse)
        self.remote = reverse
        registry.changed()

    def target_ready(self, target: type[Model]) -> None:
        """Build what needs the target's table: the FOREIGN KEY constraint or the junction table."""

    def forget(self) -> None:
        """Undo what this field did to other models (when its model's definition fails)."""
        registry.cancel(self)
        target, reverse = self.related_model, self.remote
        if target is not None and reverse is not None:
            name, accessor = reverse.name, reverse.accessor
            if target._meta.reverse.get(name) is reverse:
                del target._meta.reverse[name]
            if accessor is not None and target.__dict__.get(accessor) is reverse:
                delattr(target, accessor)
        self.related_model = None
        self.remote = None
        self._step = None
        registry.changed()

    def default_accessor(self, source: str) -> str:
        return f"{source}_set"

    def _reverse(self, target: type[Model]) -> ReverseRelation:
        source = snake_case(self.model.__name__)
        related_name = self.related_name
        if related_name is not None and "%(" in related_name:
            related_name = related_name % {"class": source, "model": source}
        accessor: str | None
        if related_name is not None and related_name.endswith("+"):
            # No reverse accessor; the reverse relation still exists for the managers' queries.
            accessor, query_name = None, f"+{self.model.__name__}.{self.name}"
        else:
            accessor = related_name or self.default_accessor(source)
            query_name = related_name or source
        tmeta = target._meta
        where = f"{target.__name__}.{query_name}"
        if (
            query_name in tmeta.reverse
            or query_name in tmeta.fields
            or query_name in ("pk", "objects")
        ):
            raise ConfigurationError(
                f"{self.model.__name__}.{self.name}: the reverse name {where} clashes with another "
                f"field or relation of {target.__name__}; set related_name"
            )
        if accessor is not None and (accessor in tmeta.by_attname or hasattr(target, accessor)):
            raise ConfigurationError(
                f"{self.model.__name__}.{self.name}: the reverse accessor {target.__name__}.{accessor} "
                f"clashes with an attribute of {target.__name__}; set related_name"
            )
        return ReverseRelation(self, query_name, accessor)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["to"] = self.target_name()
        return info


#: The model a relation reaches: the class given as its target (``ForeignKey(Author)``), or
#: ``Any`` for a target given by name (``ForeignKey("Author")``), which no checker follows.
TM = TypeVar("TM", bound="Model", default=Any)


class ForeignKey(RelatedField, Generic[TM, N]):
    """Many-to-one relation: column ``<name>_id`` of the target's primary key type (``UUID`` by
    default) with a ``FOREIGN KEY ... ON DELETE <on_delete>`` constraint, indexed.

    ``author = fields.ForeignKey("User", on_delete=CASCADE, related_name="posts")``

    ``post.author_id`` is the column. ``post.author`` is the related instance once loaded
    (``select_related("author")``, ``prefetch_related("author")`` or
    ``await post.fetch_related("author")``); it is ``None`` when the column is NULL, and an
    ``AttributeError`` otherwise. Assign an instance or a primary key value:
    ``post.author = user`` or ``post.author = user.id``.

    ``on_delete``: ``CASCADE`` (default), ``SET_NULL`` (needs ``nullable=True``),
    ``RESTRICT``/``PROTECT`` (deleting the referenced row raises ``ProtectedError``).
    The reverse accessor is ``related_name`` (default ``<model>_set``, e.g. ``post_set``;
    ``"+"`` for none).
    """

    def __init__(
        self,
        to: type[TM] | str,
        *,
        on_delete: str = CASCADE,
        related_name: str | None = None,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        super().__init__(to, related_name=related_name, **options)
        self.on_delete = _on_delete(on_delete)
        if "db_index" not in options and not (self.unique or self.primary_key):
            # PostgreSQL does not index referencing columns itself; deletes and joins need it.
            self.db_index = True

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        where = f"{model.__name__}.{name}"
        if self.on_delete == SET_NULL and not self.nullable:
            raise ConfigurationError(f"{where}: on_delete=SET_NULL requires nullable=True")
        declared = model._meta.fields.get(self.attname)
        if declared is not None and declared is not self:
            raise ConfigurationError(
                f"{where}: its column {self.attname!r} clashes with the field of that name"
            )
        if AttnameDescriptor.shadows(model, self.attname):
            self.attname_on_class()

    def attname_on_class(self) -> None:
        """Put ``post.author_id``'s descriptor on the model class, for instances that lack
        the column: an object assigned before it had a key (the column reads the object's
        key), or a query that did not load it (reading says so). Once per model."""
        model = self.model
        if not isinstance(vars(model).get(self.attname), AttnameDescriptor):
            type.__setattr__(model, self.attname, AttnameDescriptor(self))

    # -- the column --------------------------------------------------------------------------

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        target = self.related_model
        if target is None:
            # The usual primary key type; fixed by target_ready() if the target's differs.
            return pg.UUID(as_uuid=True)
        return target._meta.pk.sa_type()

    def target_ready(self, target: type[Model]) -> None:
        meta = self.model._meta
        tmeta = target._meta
        table, target_table = meta.table, tmeta.table
        assert table is not None and target_table is not None
        column = table.c[self.attname]
        wanted = tmeta.pk.sa_type()
        if type(column.type) is not type(wanted) or repr(column.type) != repr(wanted):
            column.type = wanted
            column.__dict__.pop("comparator", None)
            meta.clear_caches()
        table.append_constraint(
            sa.ForeignKeyConstraint(
                [column],
                [target_table.c[tmeta.pk_attname]],
                ondelete=_SQL_ON_DELETE[self.on_delete],
                # A constraint that closes a cycle of tables is added after both tables exist.
                use_alter=closes_cycle(table, target_table),
            )
        )

    def step(self) -> Step:
        if self._step is None:
            target = self.target()
            self._step = Step(
                self.model,
                target,
                multi_valued=False,
                source_attname=self.attname,
                target_attname=target._meta.pk_attname,
            )
        return self._step

    # -- values --------------------------------------------------------------------------------

    def to_python(self, value: Any) -> Any:
        target = self.target()
        if isinstance(value, ModelRoot):
            if not isinstance(value, target):
                raise ValidationError(
                    f"Expected a {target.__name__} or its {target._meta.pk.name}, "
                    f"got a {type(value).__name__}"
                )
            if value.pk is None:
                raise ValidationError(f"The {target.__name__} is not saved; save it first")
            value = value.pk
        return target._meta.pk.to_python(value)

    def validate(self, value: Any) -> None:
        self.target()._meta.pk.validate(value)

    def to_db(self, value: Any) -> Any:
        return self.target()._meta.pk.to_db(value) if value is not None else None

    def db_converter(self) -> Callable[[Any], Any] | None:
        # A key is sent as the target's primary key sends it (or by a subclass's to_db).
        if type(self).to_db is ForeignKey.to_db and self.target()._meta.pk.db_converter() is None:
            return None
        return self.to_db

    def _validator_expression(self, names: dict[str, Any], key: str) -> str | None:
        expr = super()._validator_expression(names, key)
        if expr is None:
            return None
        # With an object assigned, clean() takes the object's key (given it by the database
        # since, perhaps) or refuses an object that is still unsaved: it always runs then.
        names[key + "cache"] = self.cache_name
        return f"({expr}) and getattr(obj, {key}cache, None) is None"

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        # A key value that the target's primary key keeps as it is.
        try:
            pk = self.target()._meta.pk
        except ConfigurationError:  # a target not defined yet: clean() runs
            return None
        applies = pk.choices is None and shortcut_applies(type(pk))
        return pk._shortcut(names, key + "pk_") if applies else None

    def clean(self, value: Any, instance: Model | None = None) -> Any:
        if instance is not None:
            cached = self._cached(instance, getattr(instance, self.attname, _MISSING))
            if cached is not None:
                if not cached.is_saved:
                    raise ValidationError(
                        f"The {type(cached).__name__} assigned to {self.name} is not saved; "
                        f"save it before saving this {self.model.__name__}",
                        field=self.name,
                    )
                # Assigned before the database gave it a primary key: take it now.
                value = cached.pk
        return super().clean(value, instance)

    def describe(self) -> dict[str, Any]:
        info = super().describe()
        info["on_delete"] = self.on_delete
        return info

    # -- the attribute -------------------------------------------------------------------------

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self: ForeignKey[TM, Literal[False]], instance: Model, owner: type[Any]) -> TM: ...

    @overload
    def __get__(self, instance: Model, owner: type[Any]) -> TM | None: ...

    def __get__(self, instance: Model | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        key = getattr(instance, self.attname, _MISSING)
        cached = self._cached(instance, key)
        if cached is not None:
            return cached
        if key is None:
            return None
        raise AttributeError(not_loaded(type(instance), self.name))

    def _cached(self, instance: Model, key: Any) -> Any:
        """The loaded related object if it still matches the column value ``key`` (a plain
        attribute: post.author_id assigned since makes it stale), else None. With no column
        value (an object assigned before it had a key, or a column the query deferred) the
        object is the value. Read as attributes: reading the instance ``__dict__`` would make
        CPython build one for it."""
        cached = getattr(instance, self.cache_name, None)
        return cached if cached is not None and (key is _MISSING or cached.pk == key) else None

    def __set__(self, instance: Model, value: Any) -> None:
        # Attribute writes: writing the instance __dict__ would make CPython build one.
        if value is None:
            object.__setattr__(instance, self.attname, None)
            _discard(instance, self.cache_name)
            return
        if isinstance(value, ModelRoot):
            target = self.related_model
            if not (
                isinstance(value, target)
                if target is not None
                else type(value).__name__ == self.target_name()
            ):
                raise ValidationError(
                    f"Expected a {self.target_name()} instance, got a {type(value).__name__}",
                    model=type(instance).__name__,
                    field=self.name,
                )
            object.__setattr__(instance, self.cache_name, value)
            if value.pk is None:
                # No key yet: the column stays unset (``post.author_id`` reads the object's
                # key) until save() takes it; any write to the column replaces the object.
                self.attname_on_class()
                _discard(instance, self.attname)
            else:
                object.__setattr__(instance, self.attname, value.pk)
            return
        object.__setattr__(instance, self.attname, value)
        _discard(instance, self.cache_name)

    def is_loaded(self, instance: Model) -> bool:
        key = getattr(instance, self.attname, _MISSING)
        return key is None or self._cached(instance, key) is not None


class OneToOne(ForeignKey[TM, N]):
    """One-to-one relation: a ``ForeignKey`` whose column is unique.

    ``user = fields.OneToOne("User", on_delete=CASCADE, related_name="profile")``

    The reverse accessor (default: the model name, e.g. ``user.user_profile``) is one object
    (or ``None``) once loaded with ``select_related``/``prefetch_related``/``fetch_related``.
    """

    def __init__(
        self,
        to: type[TM] | str,
        *,
        on_delete: str = CASCADE,
        related_name: str | None = None,
        **options: Unpack[FieldOptions[N]],
    ) -> None:
        options["unique"] = True
        super().__init__(to, on_delete=on_delete, related_name=related_name, **options)

    def default_accessor(self, source: str) -> str:
        return source


class ManyToMany(RelatedField, Generic[TM]):
    """Many-to-many relation through a junction table (no column on the model).

    ``tags = fields.ManyToMany("Tag", related_name="posts")`` creates ``post_tags(post_id,
    tag_id)`` (named by ``through`` when given) with a primary key on both columns and
    ``ON DELETE CASCADE`` to both sides. ``post.tags`` and ``tag.posts`` are managers:
    ``await post.tags.add(tag)``, ``remove()``, ``clear()``, ``set([...])``,
    ``await post.tags.all()``, ``post.tags.filter(...)``. A relation from a model to itself is
    not symmetrical: its columns are ``from_<model>_id`` and ``to_<model>_id``.
    """

    concrete = False

    def __init__(
        self,
        to: type[TM] | str,
        *,
        related_name: str | None = None,
        through: str | None = None,
        **options: Unpack[FieldOptions[Any]],
    ) -> None:
        unsupported = sorted(
            {"nullable", "default", "unique", "primary_key", "db_index"} & set(options)
        )
        if unsupported:
            raise ConfigurationError(f"ManyToMany() does not take {', '.join(unsupported)}")
        super().__init__(to, related_name=related_name, **options)
        # A run-time check: untyped callers may pass anything.
        if through is not None and (not isinstance(through, str) or not through):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(f"through must be a table name, got {through!r}")
        self.through = through
        self.multi_valued = True
        self.junction: sa.Table | None = None
        self.junction_source = ""
        self.junction_target = ""

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        self.column_name = ""

    def target_ready(self, target: type[Model]) -> None:
        meta, tmeta = self.model._meta, target._meta
        table, target_table = meta.table, tmeta.table
        assert table is not None and target_table is not None
        source_col = f"{snake_case(self.model.__name__)}_id"
        target_col = f"{snake_case(target.__name__)}_id"
        if source_col == target_col:
            source_col, target_col = f"from_{source_col}", f"to_{target_col}"
        name = self.through or f"{meta.table_name}_{self.name}"
        if name in metadata.tables:
            raise ConfigurationError(
                f"{self.model.__name__}.{self.name}: the junction table {name!r} is already used; "
                f"set through=..."
            )
        self.junction = sa.Table(
            name,
            metadata,
            sa.Column(source_col, meta.pk.sa_type(), nullable=False),
            # The primary key serves lookups from the source; this index the reverse side.
            sa.Column(target_col, tmeta.pk.sa_type(), nullable=False, index=True),
            sa.PrimaryKeyConstraint(source_col, target_col),
            sa.ForeignKeyConstraint([source_col], [table.c[meta.pk_attname]], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(
                [target_col], [target_table.c[tmeta.pk_attname]], ondelete="CASCADE"
            ),
        )
        self.junction_source, self.junction_target = source_col, target_col

    def forget(self) -> None:
        junction, self.junction = self.junction, None
        if junction is not None and metadata.tables.get(junction.name) is junction:
            metadata.remove(junction)
        super().forget()

    def step(self) -> Step:
        if self._step is None:
            target = self.target()
            self._step = Step(
                self.model,
                target,
                multi_valued=True,
                source_attname=self.model._meta.pk_attname,
                target_attname=target._meta.pk_attname,
                junction=self.junction,
                junction_source=self.junction_source,
                junction_target=self.junction_target,
            )
        return self._step

    # One overload for each of Field's, as pyright requires of an override; the third
    # stands for Field's ``T | None`` one and never applies to a ManyToMany.
    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self: ManyToMany[TM], instance: Model, owner: type[Any]) -> RelatedManager[TM]: ...

    @overload
    def __get__(
        self: Field[Any, Any], instance: Model, owner: type[Any]
    ) -> RelatedManager[Any]: ...

    def __get__(self, instance: Model | None, owner: type[Any]) -> Any:
        if instance is None:
            return self
        return self.manager(instance)

    def __set__(self, instance: Model, value: Any) -> None:
        raise TypeError(
            f"{type(instance).__name__}.{self.name} cannot be assigned; "
            f"use `await obj.{self.name}.set([...])`"
        )

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        raise ConfigurationError(f"{self.model.__name__}.{self.name} has no column")


def _discard(instance: Model, name: str) -> None:
    with suppress(AttributeError):
        object.__delattr__(instance, name)


class _Missing:
    pass


_MISSING: Final = _Missing()
