"""``Model`` and its metaclass: declared fields become a table on ``aksara.metadata``."""

from __future__ import annotations

import copy
import sys
import unicodedata
import uuid
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

from aksara import exceptions
from aksara._codegen import is_identifier
from aksara._typing import DATABASE_DEFAULT, NOT_PROVIDED
from aksara.exceptions import ConfigurationError, ValidationError
from aksara.fields.base import Field
from aksara.fields.declarations import Declared
from aksara.fields.special import UUID
from aksara.fields.temporal import DateTime
from aksara.models._attributes import class_attribute, expect_columns, off_class
from aksara.models._init import can_install, keyword_init, share_keys
from aksara.models.options import Options

# The one upward edge of the layers: a model saves, deletes and queries itself through the
# query layer (``Model.save()``, ``Model.objects``, ...). See ARCHITECTURE.md.
from aksara.query import constraints, deletion, persist, prefetch, validation
from aksara.query.manager import AllObjectsManager, Manager
from aksara.registry import ModelRoot, registry
from aksara.state import Partial

if TYPE_CHECKING:
    import sqlalchemy as sa


class _TableOf:
    """``Model.table`` / ``Model.c``: the model's SQLAlchemy table and its columns, for the
    SQLAlchemy escape hatch (``Post.objects.filter(Post.c.views > 10)``).

    A non-data descriptor of the metaclass: a field of the same name (a model may have a
    field called ``table``) takes precedence, and ``Model._meta.table`` is always there."""

    def __init__(self, columns: bool) -> None:
        self.columns = columns

    def __get__(self, cls: Any, owner: Any = None) -> Any:
        table = cls._meta.table
        if table is None:
            raise AttributeError(f"{cls.__name__} is abstract: it has no table")
        return table.c if self.columns else table


class ModelMeta(type):
    """Collects fields in declaration order, adds the ``id`` primary key, compiles the table."""

    if TYPE_CHECKING:
        #: The model's SQLAlchemy ``Table``.
        table: sa.Table
        #: Its columns by column name: ``Post.c.author_id``.
        c: sa.ColumnCollection[str, sa.Column[Any]]
    else:
        table = _TableOf(columns=False)
        c = _TableOf(columns=True)

    if not TYPE_CHECKING:  # checkers keep reporting unknown attributes

        def __getattr__(cls, name: str) -> Any:
            return class_attribute(cls, name)

        def __dir__(cls) -> list[str]:
            meta = getattr(cls, "_meta", None)  # Model itself has none
            names = () if meta is None else (*meta.fields, *getattr(meta, "by_attname", ()))
            return sorted({*type.__dir__(cls), *names})

    def __new__(
        mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any], **kwargs: Any
    ) -> ModelMeta:
        parents = [b for b in bases if isinstance(b, ModelMeta)]
        if not parents:
            return super().__new__(mcs, name, bases, attrs, **kwargs)
        meta_class = attrs.pop("Meta", None)
        for key in [k for k, v in attrs.items() if isinstance(v, Declared)]:
            del attrs[key]  # fields.declared(): for checkers; the relation makes it
        fields: dict[str, Field[Any, Any]] = {}
        for base in reversed(bases):
            base_meta = getattr(base, "_meta", None)
            if base_meta is None:
                continue
            if not base_meta.abstract:
                raise ConfigurationError(
                    f"{name} cannot inherit from the concrete model {base.__name__}; "
                    f"make {base.__name__} abstract (class Meta: abstract = True)"
                )
            for field_name, field in base_meta.fields.items():
                fields[field_name] = copy.copy(field)
        fields.update(_own_fields(name, attrs))
        if getattr(meta_class, "soft_delete", False) and "deleted_at" not in fields:
            # Meta.soft_delete: when the row was deleted (NULL while it is not).
            fields["deleted_at"] = DateTime(nullable=True, db_index=True, ai_agent_writable=False)
        # Plain fields are no class attributes, unless they shadow one (models._attributes).
        left_out = off_class(fields, bases, mcs)
        for key, value in fields.items():
            if key in left_out:
                attrs.pop(key, None)
            else:
                attrs[key] = value
        cls = super().__new__(mcs, name, bases, attrs, **kwargs)
        for key in left_out:
            fields[key].__set_name__(cls, key)
        model = cast("type[Model]", cls)  # what this metaclass makes
        opts = Options(model, meta_class, fields)
        model._meta = opts
        if opts.abstract:
            return cls
        if not any(f.primary_key for f in fields.values()) and not opts.primary_key_names:
            pk = UUID(primary_key=True, default=uuid.uuid4, ai_agent_writable=False)
            pk.__set_name__(cls, "id")
            opts.fields = fields = {"id": pk, **fields}
        for field_name, field in list(fields.items()):
            field.contribute_to_class(model, field_name)
        opts.finalise()
        model.DoesNotExist = type(
            "DoesNotExist",
            (exceptions.DoesNotExist,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.DoesNotExist"},
        )
        model.MultipleObjectsReturned = type(
            "MultipleObjectsReturned",
            (exceptions.MultipleObjectsReturned,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.MultipleObjectsReturned"},
        )
        opts.build_table()
        if "objects" not in attrs:
            model.objects = Manager(model)
        else:
            attrs["objects"].model = model
        if opts.soft_delete and "all_objects" not in attrs:
            setattr(model, "all_objects", AllObjectsManager(model))  # noqa: B010
        try:
            registry.register(model)
            for field in fields.values():
                ready = getattr(field, "model_ready", None)
                if ready is not None:
                    ready()
            constraints.attach(model)
        except BaseException:
            # A definition error leaves no half-registered model or table behind, and no
            # reverse accessor or junction table of its relations.
            registry.unregister(model)
            raise
        share_keys(opts)
        return cls


def _own_fields(name: str, attrs: dict[str, Any]) -> dict[str, Field[Any, Any]]:
    """The fields a model's class body declares, their names checked."""
    fields: dict[str, Field[Any, Any]] = {}
    for key, value in attrs.items():
        if isinstance(value, Field):
            if key.startswith("_"):
                raise ConfigurationError(f"{name}.{key}: field names cannot start with '_'")
            if not is_identifier(key):
                raise ConfigurationError(
                    f"{name}.{key!r}: a field name must be a Python identifier that reads "
                    f"as itself (Python reads {key!r} as "
                    f"{unicodedata.normalize('NFKC', key)!r})"
                )
            if key in ("objects", "pk", "DoesNotExist", "MultipleObjectsReturned"):
                raise ConfigurationError(f"{name}.{key}: {key!r} is reserved")
            fields[key] = value
    return fields


class Model(ModelRoot, metaclass=ModelMeta):
    """Base class of aksara models.

    ``class Post(Model): title = fields.String(max_length=200)`` gets a UUID ``id`` primary
    key, a table named ``post`` and ``Post.objects`` for queries.
    """

    _meta: ClassVar[Options]
    objects: ClassVar[Manager[Self]]
    DoesNotExist: ClassVar[type[exceptions.DoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[exceptions.MultipleObjectsReturned]]
    id: Any

    if TYPE_CHECKING:
        # What a class statement does not declare is made when the classes are built: a
        # relation's key column (post.author_id) and the reverse accessors (author.posts).
        # Checkers read such attributes as Any; declare one to have it typed
        # (`author_id: int`, `posts: RelatedManager[Post]`). Assigning an undeclared
        # attribute stays an error.
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, **values: Any) -> None:
        init = self._meta._init  # made by the first instance (never for an abstract model)
        if init is None:
            meta = self._meta
            if meta.abstract:
                raise TypeError(f"{type(self).__name__} is abstract and cannot be instantiated")
            init = meta.initializer
            model = meta.model
            if type(self) is model and can_install(model, Model):
                # Later instances skip this method: the class gets a generated __init__.
                made = keyword_init(meta, Model.__init__)
                if made is not None:
                    model.__init__ = made  # type: ignore[method-assign]
        init(self, values)

    def _set_other(self, key: str, value: Any) -> None:
        """``Model(key=value)`` for a key with a descriptor (relations, files) or unknown."""
        meta = self._meta
        if key not in meta.fields and key not in meta.by_attname and key != "pk":
            raise TypeError(f"{type(self).__name__}() got an unexpected field {key!r}")
        setattr(self, key, value)

    def __getstate__(self) -> dict[str, Any]:
        # A loaded instance may keep the driver's record as its loaded values; pickle and
        # copy get a plain tuple instead.
        state = self.__dict__.copy()
        loaded = state.get("_loaded")
        if type(loaded) is Partial:
            if type(loaded[1]) is not tuple:
                state["_loaded"] = Partial(loaded[0], tuple(loaded[1]))
        elif loaded is not None and type(loaded) is not tuple:
            state["_loaded"] = tuple(loaded)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # An instance that lacks a column (deferred, or an object assigned before it had a
        # key) needs the column's attribute on the class, in this process too.
        meta = self._meta
        if not meta.attname_set <= state.keys():
            expect_columns(type(self), state)
        # Key by key, interned: CPython keeps an instance's __dict__ sharing its keys with
        # the class's other instances only while they are set like attributes are, and
        # dict.update() would give each unpickled instance a dict of its own.
        # Any: pyright takes a Model's __dict__ for a read-only mapping (custom metaclass).
        d: Any = self.__dict__
        for key, value in state.items():
            if type(key) is str:
                # Relation caches were named "_rel:<name>" before they became identifiers.
                key = sys.intern("_rel_" + key[5:] if key.startswith("_rel:") else key)
            d[key] = value

    # -- identity ------------------------------------------------------------------------

    @property
    def pk(self) -> Any:
        # An attribute read: reading __dict__ would make CPython build one for the instance.
        return getattr(self, self._meta.pk_attname, None)

    @pk.setter
    def pk(self, value: Any) -> None:
        vars(self)[self._meta.pk_attname] = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or other._meta.model is not self._meta.model:
            return NotImplemented
        pk = self.pk
        return pk is not None and pk == other.pk

    def __hash__(self) -> int:
        pk = self.pk
        if pk is None:
            raise TypeError("Model instances without a primary key value are unhashable")
        return hash((self._meta.model, pk))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"

    def __str__(self) -> str:
        return f"{type(self).__name__} object ({self.pk})"

    @property
    def is_saved(self) -> bool:
        """True once the instance was loaded from or written to the database."""
        return getattr(self, "_loaded", None) is not None

    # -- validation -------------------------------------------------------------------------

    def clean(self) -> None:
        """Model-wide validation after each field is clean; override and raise ``ValidationError``."""

    def full_clean(self, *, exclude: tuple[str, ...] = ()) -> None:
        """Validate and normalise every field, then ``clean()``; raise one ``ValidationError`` with all errors."""
        fields = [f for f in self._meta.concrete_fields if f.name not in exclude]
        self._clean_fields(fields)
        self._clean_model()

    async def validate_constraints(self, *, exclude: tuple[str, ...] = ()) -> None:
        """Ask the database whether saving would break a unique or check constraint of the
        model (``Meta.constraints``, ``unique=True``, ``unique_together``); raise one
        ``ValidationError`` naming the fields. Call it after ``full_clean()``."""
        await validation.validate_constraints(self, exclude)

    def _clean_fields(self, fields: Any) -> None:
        d = vars(self)
        slow = self._meta.validator(tuple(fields))(d, self)
        if not slow:
            return
        errors: dict[str, list[str]] = {}
        partial = type(d.get("_loaded")) is Partial
        defaulted: list[str] = []
        for field in slow:
            if (value := d.get(field.attname, d)) is d:
                if partial:
                    continue  # not loaded (``only()``, ``defer()``): not checked, not written
                value = None
            if value is None and field.filled_by_database and not field.nullable:
                # None cannot be stored: a NOT NULL column with a database default gets it.
                value = d[field.attname] = DATABASE_DEFAULT
                defaulted.append(field.attname)
            if value is DATABASE_DEFAULT:
                continue  # the database fills it on insert (db_default=, generated=)
            if field.generated is not NOT_PROVIDED:
                errors.setdefault(field.name, []).append(
                    "This field is generated by the database from other fields; it cannot be set"
                )
                continue
            try:
                d[field.attname] = field.clean(value, self)
            except ValidationError as error:
                errors.setdefault(field.name, []).extend(error.messages)
        for field in slow:
            # An empty field filled from another (a slug from its title) is not the user's
            # to fix when that other field is wrong: only the source is reported.
            source = field.derived_from
            if source in errors and field.name in errors and not d.get(field.attname):
                del errors[field.name]
        if errors:
            for attname in defaulted:  # as it was given: nothing is saved
                d[attname] = None
            raise ValidationError(errors, model=type(self).__name__)

    def _clean_model(self) -> None:
        try:
            self.clean()
        except ValidationError as error:
            if error.model is None:
                raise ValidationError(error.errors, model=type(self).__name__) from None
            raise

    # -- persistence ------------------------------------------------------------------------

    async def save(
        self,
        *,
        update_fields: list[str] | tuple[str, ...] | None = None,
        force_insert: bool = False,
    ) -> None:
        """Validate, then INSERT a new instance or UPDATE the changed fields of a loaded one.

        Raises ``ValidationError`` (nothing is written) or ``IntegrityError``.
        """
        await persist.save(self, update_fields=update_fields, force_insert=force_insert)

    async def delete(self) -> int:
        """Delete the row; return the number of rows deleted (0 or 1).

        Rows referring to it go as their ``on_delete`` says; a RESTRICT/PROTECT reference
        raises ``ProtectedError`` and nothing is deleted.
        """
        return await deletion.delete(self)

    async def hard_delete(self) -> int:
        """Delete the row for real, also on a model with ``Meta.soft_delete``."""
        return await deletion.delete(self, hard=True)

    async def restore(self) -> None:
        """Bring back a soft-deleted row (``deleted_at`` to NULL)."""
        await deletion.restore(self)

    async def refresh_from_db(self, *, fields: list[str] | tuple[str, ...] | None = None) -> None:
        """Reload field values from the database (all, or ``fields``); loaded relations are dropped."""
        await persist.refresh(self, fields)
        d = vars(self)
        for name in self._meta.relation_cache_names():
            d.pop(name, None)

    async def fetch_related(self, *names: str) -> None:
        """Load relations of this instance, one query each: ``await post.fetch_related("author",
        "tags")``; then ``post.author`` and ``post.tags`` need no query. Nested paths work
        (``"author__profile"``); relations loaded before are loaded again.
        """
        await prefetch.prefetch_related_objects([self], *names, refresh=True)

    def to_dict(self, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
        """The loaded field values by field name (relations as their ``*_id`` values)."""
        d = self.__dict__
        return {
            f.attname: d[f.attname]
            for f in self._meta.concrete_fields
            if f.attname in d and f.name not in exclude
        }


#: ``Model.save`` and ``Model.clean`` as defined: ``create()`` runs the first's work without
#: its coroutine, and a model whose ``clean()`` is the second has nothing to check beyond
#: its fields (``aksara.query.persist`` asks on every call, as either may be patched).
PLAIN_SAVE = Model.__dict__["save"]
PLAIN_CLEAN = Model.__dict__["clean"]
