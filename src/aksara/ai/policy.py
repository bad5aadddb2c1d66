"""What an AI agent may see, filter on, sort by and write, derived from field metadata.

```
ai_sensitive=True           absent everywhere: context, tool schemas, results, filters, sorting;
                            so is a foreign key to a model whose primary key is sensitive
ai_agent_writable=False     visible and filterable, refused in create/update data
foreign keys                writable only when their target model is exported too
filled in by save() or the  (automatic keys, auto_now timestamps, files) not in write inputs
database
delete                      offered only when the delete changes no record of a model that is
                            not exported (no CASCADE or SET_NULL into one, no many-to-many
                            relation with one)
```

Everything the tools export and the toolkit accepts comes from one ``ModelPolicy`` per
model, so a key the schema does not list is a key the toolkit refuses.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any, Final

from aksara.exceptions import ConfigurationError
from aksara.fields.relations import CASCADE, SET_NULL, ForeignKey, ManyToMany, RelatedField
from aksara.fields.special import JSON
from aksara.fields.vector import Vector

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model

TEXT_LOOKUPS: Final = (
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "in",
)
#: Lookups taking a free-text string, not a value of the field.
TEXT_PATTERN_LOOKUPS: Final = frozenset(TEXT_LOOKUPS) - {"exact", "in"}
ORDERED_LOOKUPS: Final = ("exact", "gt", "gte", "lt", "lte", "in", "range")
CHOICE_LOOKUPS: Final = ("exact", "in")
JSON_LOOKUPS: Final = ("has_key", "contains")
ARRAY_LOOKUPS: Final = ("contains", "contained_by", "overlap")
#: ``describe()`` formats whose values are ordered (compared with gt/lt, sorted).
ORDERED_FORMATS: Final = frozenset({"date", "date-time", "time", "duration"})
#: pgvector operator classes of ``Meta.indexes`` → the metric the index answers.
INDEX_METRICS: Final = {
    "vector_l2_ops": "l2",
    "vector_cosine_ops": "cosine",
    "vector_ip_ops": "inner_product",
    "vector_l1_ops": "l1",
}
METRICS: Final = ("l2", "cosine", "inner_product", "l1")


def unique_models(models: Iterable[type[Model]]) -> list[type[Model]]:
    """``models`` without repeats, each checked to be a concrete model class."""
    from aksara.models.base import Model

    chosen: list[type[Model]] = []
    for model in models:
        # run-time check for untyped callers
        if not (isinstance(model, type) and issubclass(model, Model)) or model._meta.abstract:  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ConfigurationError(f"Expected a concrete model class, got {model!r}")
        if model not in chosen:
            chosen.append(model)
    if not chosen:
        raise ConfigurationError("Describe at least one model")
    return chosen


def is_file(field: Field[Any, Any]) -> bool:
    """File and image fields: their values are stored files, not data an agent can send."""
    return getattr(field, "attr_class", None) is not None


def is_generated(field: Field[Any, Any]) -> bool:
    """Values that ``save()`` or the database fills in: automatic keys and timestamps."""
    if field.primary_key and (field.has_default() or field.db_generated):
        return True
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def is_sensitive(field: Field[Any, Any]) -> bool:
    """Hidden from agents: ``ai_sensitive``, or a relation whose target's key is (its column
    holds that key, and a filter on it would be a guessing oracle): ``Field.sensitive``."""
    return field.ai_sensitive or field.sensitive


def agent_writable(field: Field[Any, Any], peers: Collection[type[Model]] = ()) -> bool:
    """Whether an agent may set ``field`` in create/update data: a visible, agent-writable
    column that save() does not fill in; a foreign key only into a model in ``peers``."""
    if isinstance(field, RelatedField) and field.related_model not in peers:
        return False
    return (
        not is_sensitive(field)
        and field.ai_agent_writable
        and field.concrete
        and not is_file(field)
        and not is_generated(field)
    )


def hidden_effects(model: type[Model], peers: Collection[type[Model]]) -> list[str]:
    """The models outside ``peers`` whose rows deleting a ``model`` row deletes (CASCADE) or
    changes (SET_NULL), following cascades; empty when a delete stays among ``peers``."""
    found: list[str] = []
    seen = {model}
    stack = [model]

    def reaches(other: type[Model]) -> None:
        if other not in peers and other.__name__ not in found:
            found.append(other.__name__)

    while stack:
        current = stack.pop()
        for field in current._meta.fields.values():
            if isinstance(field, ManyToMany) and field.related_model is not None:
                reaches(field.related_model)  # its junction rows (the other side's relation)
        for reverse in current._meta.reverse.values():
            field = reverse.field
            if isinstance(field, ManyToMany):
                reaches(field.model)
                continue
            if not isinstance(field, ForeignKey) or field.on_delete not in (CASCADE, SET_NULL):
                continue
            reaches(field.model)
            if field.on_delete == CASCADE and field.model not in seen:
                seen.add(field.model)
                stack.append(field.model)
    return found


def required_on_create(field: Field[Any, Any]) -> bool:
    """A column that needs a value from the caller: not nullable, no default, not filled by save()."""
    return (
        field.concrete
        and not field.nullable
        and not field.has_default()
        and not field.has_pre_save
        and not field.db_generated
    )


def lookups_for(field: Field[Any, Any]) -> tuple[str, ...]:
    """The lookups agents may use on ``field``, by family; ``isnull`` for nullable ones."""
    fmt = field.describe().get("format")
    ops: tuple[str, ...]
    if isinstance(field, RelatedField):
        ops = CHOICE_LOOKUPS
    elif isinstance(field, Vector) or fmt == "binary":
        ops = ()
    elif isinstance(field, JSON):
        ops = JSON_LOOKUPS
    elif field.ai_type == "array":
        ops = ARRAY_LOOKUPS
    elif field.ai_type == "boolean":
        ops = ("exact",)
    elif field.ai_type in ("integer", "number") or fmt in ORDERED_FORMATS:
        ops = ORDERED_LOOKUPS
    elif getattr(field, "enum_class", None) is not None or fmt == "uuid":
        ops = CHOICE_LOOKUPS
    else:
        ops = TEXT_LOOKUPS
    if field.nullable and not isinstance(field, ManyToMany):
        ops = (*ops, "isnull")
    return tuple(op for op in ops if field.get_lookup(op) is not None)


def orderable(field: Field[Any, Any]) -> bool:
    """Scalar columns sort meaningfully; JSON, arrays, vectors, bytes and relations do not."""
    if not field.concrete or isinstance(field, (RelatedField, JSON, Vector)):
        return False
    if field.ai_type not in ("string", "integer", "number", "boolean"):
        return False
    return field.describe().get("format") != "binary"


def default_metric(field: Vector) -> str:
    """The metric of an index on the vector field (``Meta.indexes``), else ``"l2"``."""
    for index in field.model._meta.indexes:
        for name, opclass in zip(index.fields, index.opclasses, strict=False):
            if name == field.name and opclass in INDEX_METRICS:
                return INDEX_METRICS[opclass]
    return "l2"


class ModelPolicy:
    """What agents may do with one model, among the models ``peers`` exposed together.

    Relation paths (``author__email``) are offered only into models in ``peers``, one hop
    deep, and only through fields that are visible on both sides.
    """

    def __init__(self, model: type[Model], peers: Collection[type[Model]]) -> None:
        meta = model._meta
        self.model = model
        self.name = model.__name__
        #: Visible fields in declaration order (relations included).
        self.fields: dict[str, Field[Any, Any]] = {
            n: f for n, f in meta.fields.items() if not is_sensitive(f)
        }
        #: Fields whose values reads return.
        self.readable: tuple[Field[Any, Any], ...] = tuple(
            f for f in self.fields.values() if f.concrete
        )
        #: Fields list and search results return (vectors are inputs, not output to read).
        self.listed: tuple[Field[Any, Any], ...] = tuple(
            f for f in self.readable if not isinstance(f, Vector)
        )
        self.creatable: dict[str, Field[Any, Any]] = {
            n: f for n, f in self.fields.items() if agent_writable(f, peers)
        }
        self.updatable: dict[str, Field[Any, Any]] = {
            n: f for n, f in self.creatable.items() if not f.primary_key and f not in meta.pk_fields
        }
        #: Fields a create must be given: every one of them must be visible and writable.
        self.required: tuple[str, ...] = tuple(
            n for n, f in meta.fields.items() if required_on_create(f)
        )
        self.can_create = all(n in self.creatable for n in self.required)
        # A key that is a relation to a secret key is secret too (get() would be an oracle).
        # A composite key has no get/update/delete tools (their argument is one value).
        self.pk: Field[Any, Any] | None = (
            None if meta.composite_pk or is_sensitive(meta.pk) else meta.pk
        )
        #: What pages are ordered by last, so that they never overlap.
        self.tiebreak: tuple[str, ...] = (
            ()
            if any(is_sensitive(f) for f in meta.pk_fields)
            else tuple(f.name for f in meta.pk_fields)
        )
        #: Models outside the export that a delete would delete or change rows of.
        self.delete_reaches: list[str] = hidden_effects(model, peers)
        self.can_delete = self.pk is not None and not self.delete_reaches
        self.filters: dict[str, tuple[Field[Any, Any], tuple[str, ...]]] = {}
        for name, field in self.fields.items():
            ops = lookups_for(field)
            if ops:
                self.filters[name] = (field, ops)
            target = getattr(field, "related_model", None)
            if isinstance(field, RelatedField) and target is not None and target in peers:
                for tname, tfield in target._meta.fields.items():
                    if is_sensitive(tfield) or tfield.primary_key or not tfield.concrete:
                        continue
                    if isinstance(tfield, RelatedField):
                        continue
                    ops = lookups_for(tfield)
                    if ops:
                        self.filters[f"{name}__{tname}"] = (tfield, ops)
        sortable = [f.name for f in self.readable if orderable(f)]
        #: Values of ``order_by``: each sortable field, ascending and descending.
        self.orderings: tuple[str, ...] = tuple(
            spec for name in sortable for spec in (name, f"-{name}")
        )
        declared = tuple(meta.ordering)
        self.default_ordering: tuple[str, ...] = (
            declared if all(spec in self.orderings for spec in declared) else ()
        )
        self.vectors: dict[str, Vector] = {
            f.name: f for f in self.readable if isinstance(f, Vector)
        }

    def ordering(self, requested: tuple[str, ...]) -> tuple[str, ...]:
        """The ORDER BY of a page: the requested or default keys, then the primary key so that
        pages never overlap (unless the key is hidden: sorting by it would reveal its order)."""
        order = requested or self.default_ordering
        named = {spec.lstrip("-") for spec in order}
        return (*order, *(name for name in self.tiebreak if name not in named))

    def __repr__(self) -> str:
        return f"<ModelPolicy {self.name}>"
