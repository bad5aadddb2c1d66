"""``Options``: everything aksara knows about one model (``Model._meta``), and ``Index``."""

from __future__ import annotations

import gc
import inspect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from aksara._cache import LRUCache
from aksara._codegen import make_function
from aksara._typing import NOT_PROVIDED
from aksara.exceptions import ConfigurationError, FieldError
from aksara.registry import metadata, snake_case

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.fields.relation_base import ReverseRelation
    from aksara.models.base import Model

_META_OPTIONS = {
    "table_name",
    "ordering",
    "indexes",
    "constraints",
    "version_field",
    "soft_delete",
    "unique_together",
    "abstract",
    "ai_description",
    "verbose_name",
    "primary_key",
}


class Index:
    """An index declared in ``Meta.indexes``.

    ``Index("level", "text")``; ``Index("embedding", method="hnsw",
    opclasses=["vector_cosine_ops"], with_={"m": 16, "ef_construction": 64})``;
    ``Index("email", unique=True)``; ``Index(Lower("email"), name="email_lower")`` (an
    expression); ``Index("author", condition=Q(published=True), include=["title"])``
    (partial, covering). Positional strings are field names, other positional arguments
    expressions; ``fields=[...]`` names fields too. ``using=`` is ``method=``'s old name.
    """

    def __init__(
        self,
        *expressions: Any,
        fields: Sequence[str] = (),
        name: str | None = None,
        unique: bool = False,
        method: str | None = None,
        using: str | None = None,
        opclasses: Sequence[str] = (),
        with_: dict[str, Any] | None = None,
        condition: Any = None,
        include: Sequence[str] = (),
    ) -> None:
        from aksara.models.constraints import METHODS, check_name

        names = [e for e in expressions if isinstance(e, str)]
        self.expressions = tuple(e for e in expressions if not isinstance(e, str))
        if isinstance(fields, str):
            raise ConfigurationError("Index(fields=...) takes a list of field names")
        self.fields = (*names, *fields)
        if not self.fields and not self.expressions:
            raise ConfigurationError("Index() needs at least one field name or expression")
        if self.expressions and names and len(expressions) != len(names) + len(self.expressions):
            raise ConfigurationError("Index() mixes fields and expressions")
        if self.expressions and name is None:
            raise ConfigurationError("Index() on expressions needs name=")
        if opclasses and len(opclasses) != len(self.fields) + len(self.expressions):
            raise ConfigurationError("Index(opclasses=...) needs one operator class per column")
        if method is not None and using is not None and method != using:
            raise ConfigurationError("Index() takes method= (or its old name using=), not both")
        method = method or using
        if method is not None and method not in METHODS:
            raise ConfigurationError(
                f"Index(method=...) is one of {', '.join(METHODS)}, got {method!r}"
            )
        if name is not None:
            check_name("Index", name)
        if condition is not None and not hasattr(condition, "children"):
            raise ConfigurationError(f"Index(condition=...) takes a Q(...), got {condition!r}")
        if isinstance(include, str):
            raise ConfigurationError("Index(include=...) takes a list of field names")
        self.name = name
        self.unique = unique
        self.using = method
        self.opclasses = tuple(opclasses)
        self.with_ = dict(with_ or {})
        self.condition = condition
        self.include = tuple(include)

    @property
    def compiled_by_query(self) -> bool:
        """True when building it takes the query layer (a condition or expressions)."""
        return self.condition is not None or bool(self.expressions)

    def index_name(self, table: sa.Table, columns: Sequence[Any]) -> str:
        name = self.name or f"ix_{table.name}_{'_'.join(c.name for c in columns)}"
        if self.using and not self.name:
            name += f"_{self.using}"
        return name

    def options(self, meta: Options, columns: Sequence[Any]) -> dict[str, Any]:
        """The ``sa.Index`` keyword arguments besides a condition."""
        kwargs: dict[str, Any] = {"unique": self.unique}
        if self.using:
            kwargs["postgresql_using"] = self.using
        if self.opclasses:
            kwargs["postgresql_ops"] = {
                getattr(c, "name", None) or f"expr_{i}": op
                for i, (c, op) in enumerate(zip(columns, self.opclasses, strict=True))
            }
        if self.with_:
            kwargs["postgresql_with"] = self.with_
        if self.include:
            kwargs["postgresql_include"] = [meta.get_field(f).attname for f in self.include]
        return kwargs

    def to_sa(self, meta: Options, table: sa.Table) -> sa.Index:
        columns = [table.c[meta.get_field(f).attname] for f in self.fields]
        return sa.Index(self.index_name(table, columns), *columns, **self.options(meta, columns))


class Options:
    """Per-model metadata: fields, table, primary key, and the caches of compiled statements."""

    def __init__(
        self, model: type[Model], meta: type | None, fields: dict[str, Field[Any, Any]]
    ) -> None:
        self.model = model
        self.model_name = model.__name__
        attrs = {k: v for k, v in vars(meta).items() if not k.startswith("_")} if meta else {}
        unknown = set(attrs) - _META_OPTIONS
        if unknown:
            raise ConfigurationError(
                f"{self.model_name}.Meta has unknown option(s): {', '.join(sorted(unknown))}"
            )
        self.abstract: bool = attrs.get("abstract", False)
        self.table_name: str = attrs.get("table_name") or snake_case(model.__name__)
        self.ordering: tuple[str, ...] = tuple(attrs.get("ordering", ()))
        self.indexes: list[Index] = [_as_index(i) for i in attrs.get("indexes", ())]
        #: ``Meta.constraints``: checks, unique and exclusion constraints
        #: (``aksara.models.constraints``), compiled onto the table by the query layer.
        self.constraints: list[Any] = _constraints(self.model_name, attrs.get("constraints", ()))
        self.version_field_name: str | None = attrs.get("version_field")
        #: ``Meta.soft_delete``: ``delete()`` sets ``deleted_at``; ``objects`` hides those rows.
        self.soft_delete: bool = bool(attrs.get("soft_delete", False))
        #: The conditions of soft deletion, one object each (``aksara.query.queryset``).
        self.soft_delete_filters: dict[str, Any] = {}
        #: ``Meta.version_field``: the integer field saves check and bump (optimistic locking).
        self.version: Field[Any, Any] | None = None
        self.unique_together: list[tuple[str, ...]] = [
            tuple(group) for group in _groups(attrs.get("unique_together", ()))
        ]
        self.ai_description: str = attrs.get("ai_description") or (model.__doc__ or "").strip()
        self.fields: dict[str, Field[Any, Any]] = fields
        #: Reverse sides of relations pointing at this model, by query name (``posts``).
        self.reverse: dict[str, ReverseRelation] = {}
        #: The instance that puts the class's keys in its shared table, and those keys
        #: (``aksara.models._init.share_keys``).
        self.key_template: Any = None
        self.shared_keys: set[str] = set()
        self.table: sa.Table | None = None
        self.pk: Field[Any, Any] = cast("Field[Any, Any]", None)  # set by _set_primary_key()
        #: ``Meta.primary_key``: the names of the fields a composite key is made of.
        self.primary_key_names: tuple[str, ...] = _key_names(
            self.model_name, attrs.get("primary_key")
        )
        if self.primary_key_names and self.abstract:
            raise ConfigurationError(
                f"{self.model_name}.Meta.primary_key: Meta is not inherited, so an abstract "
                f"model's key would be lost; declare it on each concrete model"
            )
        # Caches, filled on first use, each bounded (least recently used entries go first).
        #: Compiled statements by query shape (``aksara.query._plans``).
        self.plans: LRUCache[Any] = LRUCache(MAX_PLANS)
        #: Functions generated for this model: row builders, snapshots, validators, ...
        self.generated: LRUCache[Any] = LRUCache(MAX_GENERATED)
        #: Filter keys (``author__name__icontains``) resolved against the fields.
        self.resolved: LRUCache[Any] = LRUCache(MAX_RESOLVED)
        self._defaults: tuple[dict[str, Any], tuple[Field[Any, Any], ...]] | None = None
        self._plain_keys: frozenset[str] | None = None
        self._init: Any = None

    # -- fields -------------------------------------------------------------------------

    def finalise(self) -> None:
        """Freeze the field lists once every field is known."""
        self.concrete_fields: tuple[Field[Any, Any], ...] = tuple(
            f for f in self.fields.values() if f.concrete
        )
        self.attnames: tuple[str, ...] = tuple(f.attname for f in self.concrete_fields)
        self.attname_set = frozenset(self.attnames)
        self.by_attname: dict[str, Field[Any, Any]] = {f.attname: f for f in self.concrete_fields}
        #: Each column's position in ``attnames`` (and in a whole instance's ``_loaded``).
        self.positions: dict[str, int] = {a: i for i, a in enumerate(self.attnames)}
        self.pre_save_fields = tuple(f for f in self.concrete_fields if f.has_pre_save)
        #: Those whose ``pre_save()`` may change a loaded instance (``auto_now``).
        self.pre_update_fields = tuple(f for f in self.pre_save_fields if f.pre_saves_updates)
        #: ``(column, cache)`` of each foreign key: the attribute of its key and of the object.
        self.key_caches: tuple[tuple[str, str], ...] = tuple(
            (f.attname, cast(str, getattr(f, "cache_name")))  # noqa: B009
            for f in self.concrete_fields
            if hasattr(f, "cache_name")
        )
        #: Fields whose ``pre_save_async`` does I/O around the write (files, unique slugs).
        self.async_save_fields = tuple(f for f in self.concrete_fields if f.has_async_pre_save)
        #: Fields told about deleted rows (``post_delete``), e.g. to remove their files.
        self.delete_hook_fields = tuple(f for f in self.concrete_fields if f.has_post_delete)
        self.mutable_positions = tuple(i for i, f in enumerate(self.concrete_fields) if f.mutable)
        self.mutable_attnames = frozenset(f.attname for f in self.concrete_fields if f.mutable)
        #: Fields the database fills on insert: ``generated=`` ones (never written) and
        #: ``db_default=`` ones (left out of an INSERT while they hold DATABASE_DEFAULT).
        self.generated_fields = tuple(
            f for f in self.concrete_fields if f.generated is not NOT_PROVIDED
        )
        self.filled_fields = tuple(f for f in self.concrete_fields if f.filled_by_database)
        self._set_primary_key()
        #: True when the model (or a base between it and ``Model``) defines ``clean()``.
        self.own_clean = _own_clean(self.model)
        if self.version_field_name is not None:
            from aksara.fields.numeric import Integer

            version = self.fields.get(self.version_field_name)
            if not isinstance(version, Integer) or version.primary_key:
                raise ConfigurationError(
                    f"{self.model_name}.Meta.version_field must name an integer field of the "
                    f"model, got {self.version_field_name!r}"
                )
            self.version = version
        #: True when nothing runs around an UPDATE of an instance but ``pre_save()`` and the
        #: fields' and the model's ``clean()``: no I/O of a field's own, no generated column
        #: to refuse, no version to check (``save()``'s quick way).
        self.plain_updates = not (
            self.async_save_fields or self.generated_fields or self.version is not None
        )
        self.clear_caches()

    def _set_primary_key(self) -> None:
        pks = [f for f in self.concrete_fields if f.primary_key]
        if self.primary_key_names:
            from aksara.fields.composite import CompositeKey

            if pks:
                raise ConfigurationError(
                    f"{self.model_name} declares Meta.primary_key and {pks[0].name}"
                    f"(primary_key=True): the key is one or the other"
                )
            parts = [self._key_part(n) for n in self.primary_key_names]
            if len(set(parts)) != len(parts):
                raise ConfigurationError(
                    f"{self.model_name}.Meta.primary_key names a field twice: "
                    f"{self.primary_key_names!r}"
                )
            self.pk = CompositeKey(self.model, parts)
            # ``obj.pk`` reads and sets the tuple of the key's values.
            setattr(self.model, "pk", self.pk)  # noqa: B010
            #: The fields of the primary key, in order (one for a single-column key).
            self.pk_fields: tuple[Field[Any, Any], ...] = tuple(parts)
            #: The attribute name of the key's column; "" for a composite key.
            self.pk_attname = ""
        else:
            if len(pks) != 1:
                raise ConfigurationError(
                    f"{self.model_name} must have exactly one primary key field"
                )
            self.pk = pks[0]
            self.pk_fields = (self.pk,)
            self.pk_attname = self.pk.attname
        self.pk_attnames: tuple[str, ...] = tuple(f.attname for f in self.pk_fields)
        #: True when the key is several columns (``Meta.primary_key``).
        self.composite_pk: bool = len(self.pk_fields) > 1

    def _key_part(self, name: str) -> Field[Any, Any]:
        field = self.fields.get(name) or self.by_attname.get(name)
        where = f"{self.model_name}.Meta.primary_key"
        if field is None:
            raise ConfigurationError(
                f"{where}: {self.model_name} has no field {name!r}. "
                f"Choices are: {', '.join(sorted(self.fields))}"
            )
        if not field.concrete:
            raise ConfigurationError(f"{where}: {name!r} has no column")
        if field.nullable:
            raise ConfigurationError(f"{where}: {name!r} is nullable; a key's columns are not")
        if field.generated is not NOT_PROVIDED:
            raise ConfigurationError(f"{where}: {name!r} is a generated column")
        return field

    def clear_caches(self) -> None:
        """Forget compiled statements and resolved keys (after a column's type changed)."""
        self.plans.clear()
        self.generated.clear()
        self.resolved.clear()
        self._defaults = None
        self._plain_keys = None
        self._init = None
        from aksara.models._init import GENERATED

        init = self.model.__dict__.get("__init__")
        if init is not None and getattr(init, GENERATED, False):
            delattr(self.model, "__init__")  # made again, from the new defaults

    def relation_cache_names(self) -> list[str]:
        """Where instances keep loaded related objects: each forward and reverse relation's."""
        relations = [*self.fields.values(), *self.reverse.values()]
        return [name for f in relations if (name := getattr(f, "cache_name", ""))]

    def add_reverse(self, reverse: ReverseRelation) -> None:
        """Take a reverse relation made by another model's field, its cache given a place in
        the instances' key table (unless hidden: ``related_name="+"``, never filled)."""
        self.reverse[reverse.name] = reverse
        if reverse.accessor is not None:
            self.share_key(reverse.cache_name)

    def share_key(self, name: str) -> None:
        """Put ``name`` in the shared key table of the model's class while it has room (see
        ``aksara.models._init.share_keys``); a relation made after the class (a reverse one)
        puts its cache there this way."""
        from aksara.models._init import SHARED_KEYS

        shared = self.shared_keys
        template = self.key_template
        if template is None or name in shared or len(shared) >= SHARED_KEYS:
            return
        object.__setattr__(template, name, None)
        if any(type(r) is dict for r in gc.get_referents(template)):
            # No room left (instances made already took it): the name went to a dict of
            # the template's own, and so would any other.
            self.key_template = None
            return
        shared.add(name)

    def get_field(self, name: str) -> Field[Any, Any]:
        """The field called ``name`` (its attribute name such as ``author_id`` and ``pk`` work too)."""
        field = self.fields.get(name)
        if field is not None:
            return field
        if name == "pk":
            return self.pk
        field = self.by_attname.get(name) or self.reverse.get(name)
        if field is not None:
            return field
        visible = {n for n in self.reverse if not n.startswith("+")}
        raise FieldError(self.model_name, name, sorted(set(self.fields) | visible | {"pk"}))

    # -- table ----------------------------------------------------------------------------

    def build_table(self) -> sa.Table:
        items: list[Any] = [f.sa_column() for f in self.concrete_fields]
        for f in self.concrete_fields:
            items.extend(f.sa_constraints(self.table_name))
        for group in self.unique_together:
            cols = [self.get_field(n).column_name for n in group]
            items.append(sa.UniqueConstraint(*cols))
        if self.composite_pk:
            items.append(sa.PrimaryKeyConstraint(*(f.column_name for f in self.pk_fields)))
        if self.table_name in metadata.tables:
            raise ConfigurationError(
                f"Table {self.table_name!r} of {self.model_name} is already used by another model; "
                f"set Meta.table_name"
            )
        table = sa.Table(self.table_name, metadata, *items)
        for index in self.indexes:
            if not index.compiled_by_query:
                index.to_sa(self, table)
        self.table = table
        return table

    @property
    def new_defaults(self) -> tuple[dict[str, Any], tuple[Field[Any, Any], ...]]:
        """What a new instance starts with: the defaults every instance shares (by attribute
        name), and the fields whose ``get_default()`` must run per instance."""
        if self._defaults is None:
            shared: dict[str, Any] = {}
            per_instance: list[Field[Any, Any]] = []
            for field in self.concrete_fields:
                ok, value = field.shared_default()
                if ok:
                    shared[field.attname] = value
                else:
                    per_instance.append(field)
            self._defaults = (shared, tuple(per_instance))
        return self._defaults

    @property
    def plain_keys(self) -> frozenset[str]:
        """The column attribute names a constructor stores straight into the instance
        ``__dict__``: no descriptor of the class intercepts setting them (files do; a
        relation's ``author`` does, its column ``author_id`` does not)."""
        keys = self._plain_keys
        if keys is None:
            model = self.model
            keys = self._plain_keys = frozenset(
                f.attname
                for f in self.concrete_fields
                if not hasattr(
                    type(cast(object, inspect.getattr_static(model, f.attname, None))), "__set__"
                )
                and model.__setattr__ is object.__setattr__
            )
        return keys

    @property
    def initializer(self) -> Any:
        """``init(instance, values)``: what ``Model(**values)`` does, generated for the model
        (``aksara.models._init``). Each per-instance default is made only when ``values``
        lacks the field: a list or dict default unmarshalled from its bytes, any other
        through ``get_default()``."""
        init = self._init
        if init is None:
            from aksara.models._init import build_initializer

            init = self._init = build_initializer(self)
        return init

    def validator(self, fields: tuple[Field[Any, Any], ...]) -> Any:
        """A function of an instance's ``__dict__`` and the instance returning the
        ``fields`` whose values need ``clean()``: those their validator expression does not
        accept. Generated once per field tuple, so a value that is already clean costs a
        type check, not a call."""
        # Every column's (each INSERT's): a short key, not a hash of every field per call.
        key = ("validator",) if fields is self.concrete_fields else ("validator", fields)
        validator = self.generated.lookup(key)
        if validator is None:
            return self.generated.put(key, _build_validator(self.model_name, fields))
        return validator

    def __repr__(self) -> str:
        return f"<Options for {self.model_name}>"


#: Bounds of the per-model caches.
MAX_PLANS = 2048
MAX_GENERATED = 512
MAX_RESOLVED = 2048


def _build_validator(model_name: str, fields: tuple[Field[Any, Any], ...]) -> Any:
    names: dict[str, Any] = {}
    lines = ["def needs_clean(d, obj):", "    slow = []"]
    for i, field in enumerate(fields):
        names[f"f{i}"] = field
        expr = field._validator_expression(names, f"c{i}_")
        if expr is None:
            lines.append(f"    slow.append(f{i})")
        else:
            lines.append(f"    v = d.get({field.attname!r})")
            lines.append(f"    if not ({expr}):")
            lines.append(f"        slow.append(f{i})")
    lines.append("    return slow")
    return make_function("\n".join(lines) + "\n", names, f"validator for {model_name}")


def _as_index(item: Any) -> Index:
    if isinstance(item, Index):
        return item
    if isinstance(item, str):
        return Index(item)
    if isinstance(item, Iterable):
        return Index(*item)
    raise ConfigurationError(
        f"Meta.indexes entries must be Index(...), a name or names, got {item!r}"
    )


def _constraints(model_name: str, items: Any) -> list[Any]:
    from aksara.models.constraints import BaseConstraint

    constraints = list(items)
    names: set[str] = set()
    for item in constraints:
        if not isinstance(item, BaseConstraint):
            raise ConfigurationError(
                f"{model_name}.Meta.constraints takes CheckConstraint, UniqueConstraint and "
                f"ExclusionConstraint, got {item!r}"
            )
        if item.name in names:
            raise ConfigurationError(f"{model_name}.Meta.constraints: {item.name!r} is used twice")
        names.add(item.name)
    return constraints


def _own_clean(model: type) -> bool:
    for klass in model.__mro__:
        if klass.__module__ == "aksara.models.base" and klass.__name__ == "Model":
            return False
        if "clean" in vars(klass):
            return True
    return False


def _key_names(model_name: str, value: Any) -> tuple[str, ...]:
    """``Meta.primary_key``: two or more distinct field names."""
    if value is None:
        return ()
    where = f"{model_name}.Meta.primary_key"
    items = cast("Sequence[Any]", value) if isinstance(value, (tuple, list)) else None
    if items is None or not all(isinstance(v, str) for v in items):
        raise ConfigurationError(
            f"{where} takes a tuple of field names such as ('order', 'line_no'), got {value!r}"
        )
    names: tuple[str, ...] = tuple(items)
    if len(names) < 2:
        raise ConfigurationError(
            f"{where} names two or more fields; for one, declare it with primary_key=True"
        )
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{where} names a field twice: {names!r}")
    return names


def _groups(value: Any) -> list[Sequence[str]]:
    if not value:
        return []
    if all(isinstance(v, str) for v in value):
        return [value]
    return list(value)
