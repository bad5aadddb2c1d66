"""``Field``: the base of every aksara field.

A field knows its options, how to ``clean()`` a Python value (validate and
normalise it, raising ``ValidationError``), the SQLAlchemy type of its column,
and its AI metadata. It never executes SQL.
"""

from __future__ import annotations

import copy
import marshal
from collections.abc import Callable, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    Self,
    TypedDict,
    cast,
    overload,
)

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from typing_extensions import TypeVar, Unpack

from aksara._typing import DATABASE_DEFAULT, NOT_PROVIDED
from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields._guard import guard_clean as _guard_clean
from aksara.fields._values import IMMUTABLE as _IMMUTABLE
from aksara.fields._values import copy_data as _copy_data
from aksara.fields._values import freeze as _freeze
from aksara.fields._values import normalise_choices as _normalise_choices
from aksara.fields._values import same as _same

#: The key of a column's ``info`` that holds the field it was compiled from (copies of the
#: table, as Alembic's target metadata, keep it).
COLUMN_FIELD = "aksara_field"

#: Defaults whose result is the same every time: a migration may give it to existing rows.
_BUILTIN_FACTORIES: frozenset[Any] = frozenset({list, dict, set, tuple, str, int, float, bool})

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.expressions import Combinable

T = TypeVar("T")
#: Whether a field is nullable, as its declaration says (``nullable=True``): a nullable
#: ``Integer`` reads as ``int | None``. Solved from the ``nullable`` argument; without one
#: it is ``Literal[False]``.
N = TypeVar("N", bound=Literal[True, False], default=Literal[False])


class CommonOptions(TypedDict, total=False):
    """The options every field accepts but ``nullable`` (which ``FieldOptions`` adds)."""

    default: Any
    unique: bool
    primary_key: bool
    db_index: bool
    ai_description: str
    ai_sensitive: bool
    ai_agent_writable: bool
    choices: Any
    help_text: str
    db_default: Any
    generated: Any


class FieldOptions(CommonOptions, Generic[N], total=False):
    """The options every field accepts (see "Common Field Options" in the fields reference)."""

    nullable: N


def is_db_expression(value: Any) -> bool:
    """True for a ``db_default=`` the query layer compiles (``Now()``, a SQLAlchemy element)."""
    return isinstance(value, sa.ClauseElement) or type(value).__module__.startswith("aksara.query")


_DDL_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


class SaveContext(Protocol):
    """What a field's ``pre_save_async`` may ask of the save that runs it. The query layer
    provides it, so a field learns what it needs of the database without running SQL."""

    #: True for an INSERT, False for an UPDATE.
    add: bool

    async def stored_value(self, field: Field[Any, Any]) -> Any:
        """The value the row holds now, read under a row lock the save's transaction keeps
        (the loaded value for a new instance)."""

    async def values_taken(self, field: Field[Any, Any], candidates: Sequence[Any]) -> set[Any]:
        """Which of ``candidates`` other rows hold in ``field``'s column."""
        ...

    def reserved(self, field: Field[Any, Any]) -> set[Any]:
        """Values of ``field`` that saves not yet inserted in this transaction have picked."""
        ...


class Field(Generic[T, N]):
    """Base class of all fields. Subclasses set ``sa_type()`` and extend ``to_python()``/``validate()``.

    Class access (``Post.title``) returns the field; instance access returns the value.
    """

    #: True when values are containers that can be changed in place (lists, dicts):
    #: the model keeps a copy when it loads a row so that ``save()`` sees the change.
    mutable: ClassVar[bool] = False
    #: The JSON Schema / AI type name of the field's values.
    ai_type: ClassVar[str] = "string"
    #: Default AI flags of this field class (Binary overrides them).
    default_ai_sensitive: ClassVar[bool] = False
    default_ai_agent_writable: ClassVar[bool] = True
    #: Whether the field has a column of its own (ManyToMany does not).
    concrete: ClassVar[bool] = True
    #: Lookups and transform factories registered on this very class (``register_lookup``).
    class_lookups: ClassVar[dict[str, Any]] = {}
    class_transforms: ClassVar[dict[str | None, Any]] = {}

    name: str
    column_name: str
    model: type[Model]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        clean = cls.__dict__.get("clean")
        if clean is not None and not getattr(clean, "_guarded", False):
            cls.clean = _guard_clean(clean)  # type: ignore[method-assign]

    def __init__(self, **options: Unpack[FieldOptions[N]]) -> None:
        unknown = set(options) - set(FieldOptions.__annotations__) - self._extra_options()
        if unknown:
            raise ConfigurationError(
                f"{type(self).__name__}() got unexpected option(s): {', '.join(sorted(unknown))}"
            )
        self.nullable: bool = options.get("nullable", False)
        self.default: Any = options.get("default", NOT_PROVIDED)
        #: A value or an expression (``Now()``) the column's server default computes.
        self.db_default: Any = options.get("db_default", NOT_PROVIDED)
        #: An expression the column is ``GENERATED ALWAYS AS (...) STORED`` from: read-only.
        self.generated: Any = options.get("generated", NOT_PROVIDED)
        if self.generated is not NOT_PROVIDED and (
            self.default is not NOT_PROVIDED or self.db_default is not NOT_PROVIDED
        ):
            raise ConfigurationError(
                f"{type(self).__name__}(generated=...) takes no default= or db_default=: "
                f"the database computes the value"
            )
        self.unique: bool = options.get("unique", False)
        self.primary_key: bool = options.get("primary_key", False)
        self.db_index: bool = options.get("db_index", False)
        self.ai_description: str = options.get("ai_description", "")
        self.ai_sensitive: bool = options.get("ai_sensitive", self.default_ai_sensitive)
        self.ai_agent_writable: bool = options.get(
            "ai_agent_writable",
            # A generated column is the database's to compute.
            self.default_ai_agent_writable and "generated" not in options,
        )
        # As declared on this field (not a field class's default, such as Binary's): a secret,
        # or a value clients must not set. API schemas follow these too (``schema_for``).
        self.declared_sensitive: bool = options.get("ai_sensitive") is True
        self.declared_read_only: bool = options.get("ai_agent_writable") is False
        self.help_text: str = options.get("help_text", "")
        self.choices: list[tuple[Any, str]] | None = _normalise_choices(options.get("choices"))
        if self.primary_key:
            self.nullable = False
        self.name = ""
        self.attname = ""
        self.column_name = ""

    @classmethod
    def _extra_options(cls) -> set[str]:
        return set()

    @property
    def sensitive(self) -> bool:
        """Whether this field holds a secret that stays on the server unless asked for by name:
        declared ``ai_sensitive=True``, or a relation to a model whose key is sensitive."""
        return self.declared_sensitive

    # -- class wiring -------------------------------------------------------------

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def get_attname(self) -> str:
        """The key of the value in the instance ``__dict__`` (and of the column)."""
        return self.name

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        """Called by the model metaclass once the model class exists."""
        self.model = model
        self.name = name
        self.attname = self.get_attname()
        if not self.column_name:
            self.column_name = self.attname

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self: Field[T, Literal[False]], instance: Model, owner: type[Any]) -> T: ...

    @overload
    def __get__(self, instance: Model, owner: type[Any]) -> T | None: ...

    def __get__(self, instance: Model | None, owner: type[Any]) -> Self | T | None:
        # A non-data descriptor: a loaded value lives in the instance __dict__ and wins,
        # so this runs only for class access or for a field a query did not load.
        if instance is None:
            return self
        raise AttributeError(
            f"{type(instance).__name__}.{self.name} was not loaded by the query "
            f"(see only()/defer()); call refresh_from_db() to load it"
        )

    if TYPE_CHECKING:
        # For type checkers only: at run time the value goes to the instance ``__dict__``.
        # None is accepted (a nullable field's value; validation refuses it elsewhere) and
        # so is an F() expression, which save() has the database compute.
        def __set__(self, instance: Model, value: T | Combinable | None) -> None: ...

    # -- defaults ----------------------------------------------------------------------

    def has_default(self) -> bool:
        return self.default is not NOT_PROVIDED

    def get_default(self) -> Any:
        """The default for a new instance: the value, a fresh copy of a list/dict, or the callable's result."""
        default: object = self.default
        if default is NOT_PROVIDED:
            return None
        if callable(default):
            return default()
        kind = type(default)
        if kind is list or kind is dict:
            frozen = self.__dict__.get("_default_bytes")
            if frozen is None:
                frozen = self.__dict__["_default_bytes"] = _freeze(default)
            # A fresh copy: unmarshalling builds new lists and dicts (about 1 µs).
            return marshal.loads(frozen) if frozen else _copy_data(default)
        if isinstance(default, (list, dict, set)):
            return copy.deepcopy(cast("list[Any] | dict[Any, Any] | set[Any]", default))
        return default

    # -- validation ------------------------------------------------------------------

    def clean(self, value: Any, instance: Model | None = None) -> T | None:
        """Validate and normalise ``value``; raise ``ValidationError`` (field-level message)."""
        if value is None:
            if self.nullable or self.db_generated:
                return None
            raise ValidationError("This field cannot be null", field=self.name)
        value = self.to_python(value)
        if self.choices is not None:
            self.validate_choices(value)
        self.validate(value)
        return value  # type: ignore[no-any-return]

    def clean_for_update(self, value: Any) -> Any:
        """``clean()`` for ``QuerySet.update()``, which writes many rows with no instance."""
        return self.clean(value)

    def to_python(self, value: Any) -> T:
        """Convert an accepted input to the field's Python type, or raise ``ValidationError``."""
        return value  # type: ignore[no-any-return]

    # -- shortcuts for the generated model validator ------------------------------------

    #: The methods a class's ``_shortcut()`` stands for: a subclass that overrides one of
    #: them gets no shortcut (its ``clean()`` always runs).
    shortcut_covers: ClassVar[tuple[str, ...]] = ("clean", "to_python", "validate")

    def _validator_expression(self, names: dict[str, Any], key: str) -> str | None:
        """A Python expression over ``v``, true only for values that ``clean()`` would return
        unchanged without raising; the model's generated validator then skips the call.
        Constants it needs go into ``names`` under keys starting with ``key``. None means
        ``clean()`` always runs. A field that must look at more than its value reads the
        instance as ``obj``, by attribute (``getattr``; never ``obj.__dict__``, which would
        make CPython build a dict object for an instance whose values are kept inline).

        It accepts ``None`` for a nullable field (saves do not clean it, as Django skips a
        blank field's empty value), the field's shared default (``shared_default()``) unless the
        class has a ``clean()`` of its own, and what its class's ``_shortcut()`` accepts."""
        parts: list[str] = []
        if self.nullable or self.db_generated:
            parts.append("v is None")
        own = (type(self).clean.__module__ or "").startswith("aksara.")  # else clean() runs
        shared, value = self.shared_default()
        if own and shared and value is not None and self._cleans_to_itself(value):
            names[key + "default"] = value
            parts.append(f"v is {key}default")
        if self.choices is None and shortcut_applies(type(self)):
            expr = self._shortcut(names, key)
            if expr:
                parts.append(f"({expr})")
        return " or ".join(parts) or None

    def _shortcut(self, names: dict[str, Any], key: str) -> str | None:
        """The class's part of ``_validator_expression()``: an expression over ``v`` (a non-None value)."""
        return None

    def shared_default(self) -> tuple[bool, Any]:
        """``(True, value)`` when every new instance can start with the same object: no
        default (``None``), or a constant of an immutable type. The constant is given as
        ``clean()`` makes it when that is an equal value of the same type (``Decimal("2.2")``
        becomes ``Decimal("2.20")`` for two places), so saving needs no work for it.
        ``(False, None)`` for callables, lists and dicts: ``get_default()`` runs per instance.
        """
        cached: tuple[bool, Any] | None = self.__dict__.get("_shared_default")
        if cached is None:
            cached = self.__dict__["_shared_default"] = self._shared_default()
        return cached

    @property
    def filled_by_database(self) -> bool:
        """True when the database fills the column on insert (``db_default=`` without a
        ``default=``, or ``generated=``): new instances hold ``DATABASE_DEFAULT``."""
        if self.generated is not NOT_PROVIDED:
            return True
        return self.db_default is not NOT_PROVIDED and self.default is NOT_PROVIDED

    def _shared_default(self) -> tuple[bool, Any]:
        if self.filled_by_database:
            return True, DATABASE_DEFAULT
        if type(self).get_default is not vars(Field)["get_default"]:
            return False, None
        default = self.default
        if default is NOT_PROVIDED:
            return True, None
        if callable(default) or not isinstance(default, _IMMUTABLE):
            return False, None
        try:
            cleaned = self.clean(default)
        except ValidationError:
            return True, default  # the error surfaces when an instance is saved
        return True, (cleaned if _same(cleaned, default) else default)

    def _cleans_to_itself(self, value: Any) -> bool:
        try:
            return _same(self.clean(value), value, exact=True)
        except ValidationError:
            return False

    def to_query(self, value: Any) -> Any:
        """Convert a value used in a filter (``filter(field=value)``) for its bound parameter."""
        return self.to_python(value)

    # -- lookups and transforms, registered by the query layer ----------------------------

    @classmethod
    def register_lookup(cls, lookup: Any, name: str | None = None) -> Any:
        """Make ``lookup`` the ``<field>__<name>`` lookup of this class and its subclasses
        (``name`` defaults to ``lookup.name``), as Django's ``register_lookup`` does. The query
        layer registers every built-in lookup this way; returns ``lookup``."""
        if "class_lookups" not in cls.__dict__:
            cls.class_lookups = {}
        cls.class_lookups[name or lookup.name] = lookup
        _registered.clear()
        return lookup

    @classmethod
    def register_transform(cls, factory: Any, name: str | None = None) -> Any:
        """Make ``factory(name, field)`` build the ``<field>__<name>`` transform (a JSON key,
        ``__year``, ...) of this class and its subclasses. Without ``name`` the factory is
        asked for every name and returns None for names that are not its own."""
        if "class_transforms" not in cls.__dict__:
            cls.class_transforms = {}
        cls.class_transforms[name] = factory
        _registered.clear()
        return factory

    def get_lookup(self, name: str) -> Any:
        """The lookup called ``name`` for this field, or None."""
        return _lookups(type(self)).get(name)

    def get_transform(self, name: str) -> Any:
        """A transform (``__year``, a JSON key, ...) applied before a lookup, or None."""
        named, factories = _transforms(type(self))
        factory = named.get(name)
        if factory is not None:
            return factory(name, self)
        for factory in factories:
            transform = factory(name, self)
            if transform is not None:
                return transform
        return None

    def validate(self, value: T) -> None:
        """Check the field's options against a converted value."""

    def validate_choices(self, value: Any) -> None:
        assert self.choices is not None
        if not any(value == choice for choice, _ in self.choices):
            allowed = ", ".join(repr(c) for c, _ in self.choices)
            raise ValidationError(f"Value {value!r} is not a valid choice (choose from {allowed})")

    def error(self, message: str) -> ValidationError:
        return ValidationError(message, field=self.name)

    # -- SQL ---------------------------------------------------------------------------

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        raise NotImplementedError(f"{type(self).__name__} does not define a column type")

    def sa_column_kwargs(self) -> dict[str, Any]:
        return {}

    @property
    def db_generated(self) -> bool:
        """True for an integer primary key without a default: the database numbers the rows
        (an identity column), as SQLAlchemy and Django do."""
        return self.primary_key and self.ai_type == "integer" and not self.has_default()

    def sa_column(self) -> sa.Column[Any]:
        if self.db_generated:
            return sa.Column(
                self.column_name,
                self.sa_type(),
                sa.Identity(),
                key=self.attname,
                primary_key=True,
                info={COLUMN_FIELD: self},
                **self.sa_column_kwargs(),
            )
        kwargs = self.sa_column_kwargs()
        if self.db_default is not NOT_PROVIDED and not is_db_expression(self.db_default):
            # A constant: the server default is its SQL literal (an expression is compiled
            # onto the column by the query layer, with the model's other DDL).
            literal = sa.literal(self.to_db(self.clean(self.db_default)), self.sa_type())
            compiled = literal.compile(dialect=_DDL_DIALECT, compile_kwargs={"literal_binds": True})
            kwargs["server_default"] = sa.text(str(compiled))
        return sa.Column(
            self.column_name,
            self.sa_type(),
            key=self.attname,
            primary_key=self.primary_key,
            nullable=self.nullable,
            unique=self.unique or None,
            index=self.db_index or None,
            info={COLUMN_FIELD: self},
            **kwargs,
        )

    def sa_constraints(self, table_name: str) -> list[sa.schema.SchemaItem]:
        """Extra table-level constraints (CHECKs) this field adds."""
        return []

    def to_db(self, value: Any) -> Any:
        """A cleaned Python value as the statement parameter (the column type's processors still apply)."""
        return value

    def db_converter(self) -> Callable[[Any], Any] | None:
        """``to_db`` where it may change a value; None where it returns every cleaned value
        as it is, so code that makes parameters for many rows skips the call."""
        return None if type(self).to_db is Field[Any, Any].to_db else self.to_db

    @property
    def derived_from(self) -> str | None:
        """The field an empty value of this one is generated from on save (a slug's title).
        When both fail validation only the source is reported: it is the one to fix."""
        return None

    def existing_rows_default(self) -> Any:
        """What rows already in a table get when this field's column is added to it.

        A migration that adds a required column gives it this value as a server default and
        then drops the default: the field's constant default, or the result of a built-in
        factory given as the default (``list``, ``dict``, ...). ``NOT_PROVIDED`` when there
        is none (no default, a function, a unique column): such a column is added as Alembic
        writes it, and a table with rows needs a hand-written backfill. A SQLAlchemy
        expression (``now()``) is used as it is.
        """
        default = self.default
        if default is NOT_PROVIDED or self.unique or self.primary_key:
            return NOT_PROVIDED
        if callable(default):
            if default not in _BUILTIN_FACTORIES:
                return NOT_PROVIDED
            default = default()
        try:
            # As a new instance gets it: cleaned (a naive datetime is UTC, "2024-01-01" a date).
            return self.to_db(self.clean(default))
        except ValidationError:
            return NOT_PROVIDED

    def changed(self, value: Any, snapshot: Any) -> bool:
        """Whether ``value`` differs from a loaded value's ``snapshot()`` (``mutable`` fields)."""
        return bool(value != snapshot)

    def snapshot(self, value: Any) -> Any:
        """A copy of a loaded value that in-place changes cannot reach (``mutable`` fields only)."""
        return value

    # -- hooks ---------------------------------------------------------------------------

    def pre_save(self, instance: Model, add: bool) -> None:
        """Set a value right before it is saved (auto_now, slugs). Only called when ``has_pre_save``."""

    has_pre_save: ClassVar[bool] = False

    @property
    def pre_saves_updates(self) -> bool:
        """Whether ``pre_save(instance, add=False)`` may change anything (not ``auto_now_add``)."""
        return self.has_pre_save

    #: Set on fields that do I/O before their value is written (``pre_save_async``).
    has_async_pre_save: ClassVar[bool] = False
    #: Set on fields that act on deleted rows (``post_delete``).
    has_post_delete: ClassVar[bool] = False

    async def validate_async(self, instance: Model) -> None:
        """Validation that needs I/O (reading an upload); runs for every field before any writes."""

    async def pre_save_async(self, instance: Model, add: bool, context: SaveContext) -> None:
        """I/O before the INSERT/UPDATE, after validation, inside the save's transaction.

        Register ``aksara.on_rollback`` to undo side effects if the write fails and
        ``aksara.on_commit`` for clean-up that must wait for the commit; ask ``context``
        about the rows in the database.
        """

    async def post_delete(self, values: list[Any]) -> None:
        """Called with this field's values of rows just deleted, inside the delete's transaction."""

    # -- description ---------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The field's constraints as plain data, for AI context and schema export."""
        info: dict[str, Any] = {"type": type(self).__name__, "nullable": self.nullable}
        if self.primary_key:
            info["primary_key"] = True
        if self.unique:
            info["unique"] = True
        if self.choices is not None:
            info["choices"] = [c for c, _ in self.choices]
        if self.has_default() and not callable(self.default):
            info["default"] = self.default
        if self.ai_description:
            info["description"] = self.ai_description
        return info

    def __repr__(self) -> str:
        owner = getattr(self, "model", None)
        if owner is not None:
            return f"<{type(self).__name__}: {owner.__name__}.{self.name}>"
        return f"<{type(self).__name__}>"


#: Lookups and transforms of each field class with those of its bases merged in, by class.
_registered: dict[Any, Any] = {}


def _lookups(cls: type[Field[Any, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] | None = _registered.get(cls)
    if merged is None:
        merged = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("class_lookups", {}))
        _registered[cls] = merged
    return merged


def _transforms(cls: type[Field[Any, Any]]) -> tuple[dict[str, Any], list[Any]]:
    key = ("transforms", cls)
    merged = _registered.get(key)
    if merged is None:
        named: dict[str, Any] = {}
        factories: list[Any] = []
        for klass in cls.__mro__:  # the class's own first
            for name, factory in klass.__dict__.get("class_transforms", {}).items():
                if name is None:
                    factories.append(factory)
                else:
                    named.setdefault(name, factory)
        merged = _registered[key] = (named, factories)
    return merged


def shortcut_applies(cls: type[Field[Any, Any]]) -> bool:
    """True when the class whose ``_shortcut()`` ``cls`` inherits also gives ``cls`` every
    method that shortcut stands for (no subclass changed what ``clean()`` does)."""
    owner = cast("type[Field[Any, Any]]", next(c for c in cls.__mro__ if "_shortcut" in c.__dict__))
    if owner is Field:
        return False
    return all(getattr(cls, name) is getattr(owner, name) for name in owner.shortcut_covers)


DefaultFactory = Callable[[], Any]


Field.clean = _guard_clean(vars(Field)["clean"])  # type: ignore[method-assign]
