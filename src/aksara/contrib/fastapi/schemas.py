"""Pydantic models generated from aksara models, for FastAPI request and response bodies."""

# No ``from __future__ import annotations``: pydantic reads these annotations at runtime.

import decimal
import enum
import typing
import weakref
from collections.abc import Callable, Collection
from typing import Annotated, Any, Literal, cast

import pydantic
import sqlalchemy as sa
from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import to_jsonable_python

from aksara._typing import NOT_PROVIDED
from aksara.exceptions import ConfigurationError, QueryError
from aksara.fields.base import Field
from aksara.models.base import Model

if typing.TYPE_CHECKING:
    from pydantic._internal._model_construction import ModelMetaclass
    from typing_extensions import Unpack
else:
    ModelMetaclass = type(BaseModel)

Variant = Literal["create", "update", "read"]

_VARIANTS: tuple[str, ...] = typing.get_args(Variant)
_LITERAL_TYPES = (str, int, bool, bytes, enum.Enum)
_cache: "weakref.WeakKeyDictionary[type[Model], dict[Any, type[BaseModel]]]" = (
    weakref.WeakKeyDictionary()
)


def schema_for(
    model: type[Model],
    variant: Variant = "read",
    *,
    include: Collection[str] | None = None,
    exclude: Collection[str] = (),
    read_only: Collection[str] = (),
    name: str | None = None,
) -> type[BaseModel]:
    """A pydantic model of ``model``'s fields, for ``response_model=`` and request bodies.

    - ``"create"`` (``ProductCreate``): the fields a client may set; required unless
      nullable, defaulted or filled on save. ``await Product.objects.create(**payload.model_dump())``.
    - ``"update"`` (``ProductUpdate``): the same fields, all optional; apply what was sent
      with ``payload.model_dump(exclude_unset=True)``.
    - ``"read"`` (``ProductRead``): the fields a client may see, read from a model instance
      (``from_attributes=True``), so an endpoint can return the instance.

    Safe by default, as a public API needs:

    - read schemas leave out fields declared ``ai_sensitive=True`` (and relations to a
      model whose key is sensitive): a client may send an email address at sign-up, and
      never get one back;
    - create and update leave out what the client must not set: automatic keys,
      ``auto_now``/``auto_now_add`` timestamps, fields declared ``ai_agent_writable=False``,
      the fields named in ``read_only``, and file and image fields (a file arrives as an
      upload, ``asset.file = upload``, never as a stored name a client could point at
      another row's file). A file field included by name is typed as an ``UploadFile``.

    ``include`` names exactly the fields wanted (overriding those defaults, sensitive
    fields included); ``exclude`` leaves fields out of every variant. The schema is then
    named after them (``ProductReadWithIdName``) unless ``name`` is given.

    Field options become pydantic constraints and show in OpenAPI: ``max_length`` →
    ``maxLength``, ``regex`` → ``pattern``, ``choices``/``Enum`` → ``enum``,
    ``min_value``/``max_value`` → ``minimum``/``maximum``, plus formats such as
    ``uuid`` and ``date-time``. File and image fields read as their stored name.
    Relations appear as their ``*_id`` column. ``ConfigurationError`` names an unknown
    field. Results are cached per arguments.
    """
    if variant not in _VARIANTS:
        raise ConfigurationError(
            f"schema_for(variant={variant!r}): expected one of {', '.join(_VARIANTS)}"
        )
    if model._meta.abstract:
        raise ConfigurationError(f"schema_for({model.__name__}): the model is abstract")
    key = (
        variant,
        None if include is None else tuple(include),
        frozenset(exclude),
        frozenset(read_only),
        name,
    )
    schemas = _cache.setdefault(model, {})
    schema = schemas.get(key)
    if schema is None:
        schema = schemas[key] = _build(model, variant, include, exclude, read_only, name)
    return schema


class _ModelSchemaMeta(ModelMetaclass):
    def __new__(
        mcs,
        name: str,
        bases: tuple[type[Any], ...],
        namespace: dict[str, Any],
        *,
        model: type[Model] | None = None,
        variant: Variant = "read",
        include: Collection[str] | None = None,
        exclude: Collection[str] = (),
        read_only: Collection[str] = (),
        **kwargs: Any,
    ) -> type:
        built_from = next(
            (b.__aksara_model__ for b in bases if hasattr(b, "__aksara_model__")), None
        )
        if model is None:
            if variant != "read" or include is not None or exclude or read_only:
                raise ConfigurationError(
                    f"{name}: variant, include, exclude and read_only choose a model's fields; "
                    f"name it: class {name}(ModelSchema, model=..., ...)"
                )
        else:
            # run-time check for untyped callers
            if not (isinstance(model, type) and issubclass(model, Model)):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise ConfigurationError(
                    f"{name}: model= takes an aksara Model class, not {model!r}"
                )
            if built_from is not None:
                raise ConfigurationError(
                    f"{name}: a base already has the fields of {built_from.__name__}; "
                    f"derive {name} from ModelSchema itself"
                )
            # The fields come from a base of their own (named apart, so that OpenAPI knows
            # only the name given here).
            fields = schema_for(
                model,
                variant,
                include=include,
                exclude=exclude,
                read_only=read_only,
                name=f"{name}Fields",
            )
            bases = (fields, *bases)
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        if model is not None:
            type.__setattr__(cls, "__aksara_model__", model)
        return cls


class ModelSchema(BaseModel, metaclass=_ModelSchemaMeta):
    """``schema_for()`` as a class statement, which type checkers and editors understand.

    ```python
    class PostCreate(ModelSchema, model=Post, variant="create", exclude=["body"]):
        tags: list[str] = []           # fields of your own, as on any pydantic model

    async def create_post(payload: PostCreate, db: DBTransaction): ...
    ```

    The class has the fields ``schema_for(model, variant, include=, exclude=, read_only=)``
    gives (the same safe defaults) and is named as you name it in OpenAPI. Type checkers see
    a pydantic model (``model_dump()``, ``model_validate()``); they do not know the generated
    fields, so read them from ``model_dump()`` or declare the ones your code reads.
    """

    if typing.TYPE_CHECKING:

        def __init_subclass__(
            cls,
            *,
            model: type[Model] | None = None,
            variant: Variant = "read",
            include: Collection[str] | None = None,
            exclude: Collection[str] = (),
            read_only: Collection[str] = (),
            **kwargs: Unpack[ConfigDict],
        ) -> None: ...


def _build(
    model: type[Model],
    variant: Variant,
    include: Collection[str] | None,
    exclude: Collection[str],
    read_only: Collection[str],
    name: str | None,
) -> type[BaseModel]:
    definitions: dict[str, Any] = {
        field.attname: _definition(field, variant)
        for field in _select(model, variant, include, exclude, read_only)
    }
    config = ConfigDict(
        from_attributes=True,
        # aksara validates regexes with Python's ``re``; keep the same dialect.
        regex_engine="python-re",
        ser_json_bytes="base64",
        val_json_bytes="base64",
        protected_namespaces=(),
    )
    schema: type[BaseModel] = pydantic.create_model(
        name or _default_name(model, variant, include, exclude, read_only),
        __config__=config,
        __doc__=(model.__doc__ or "").strip() or None,
        __module__=model.__module__,
        **definitions,
    )
    return schema


def _default_name(
    model: type[Model],
    variant: Variant,
    include: Collection[str] | None,
    exclude: Collection[str],
    read_only: Collection[str] = (),
) -> str:
    """``ProductRead``; ``ProductReadWithIdName`` and ``ProductCreateWithoutNotes`` for subsets,
    so that every schema has its own name in OpenAPI."""
    name = f"{model.__name__}{variant.title()}"
    if include is not None:
        name += "With" + "".join(_camel(n) for n in include)
    if exclude:
        name += "Without" + "".join(_camel(n) for n in exclude)
    if read_only and variant != "read":
        name += "ReadOnly" + "".join(_camel(n) for n in read_only)
    return name


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _select(
    model: type[Model],
    variant: Variant,
    include: Collection[str] | None,
    exclude: Collection[str],
    read_only: Collection[str],
) -> list[Field[Any, Any]]:
    fields = list(model._meta.concrete_fields)
    kept = {id(_get_field(model, n)) for n in read_only}
    if include is not None:
        # The fields named, as they are; read_only still keeps them out of create/update.
        wanted = {id(_get_field(model, n)) for n in include}
        fields = [f for f in fields if id(f) in wanted]
        if variant != "read":
            fields = [f for f in fields if id(f) not in kept]
    elif variant == "read":
        fields = [f for f in fields if not f.sensitive]
    else:
        fields = [f for f in fields if _writable(f) and id(f) not in kept]
    excluded = {id(_get_field(model, n)) for n in exclude}
    return [f for f in fields if id(f) not in excluded]


def _get_field(model: type[Model], name: str) -> Field[Any, Any]:
    try:
        return model._meta.get_field(name)
    except QueryError as error:
        raise ConfigurationError(f"schema_for({model.__name__}): {error}") from None


def _writable(field: Field[Any, Any]) -> bool:
    """False for values the database or ``save()`` fills in (automatic keys, timestamps), for
    fields marked not writable by agents, and for files (uploads, not names)."""
    if field.primary_key and (field.has_default() or getattr(field, "db_generated", False)):
        return False
    if field.declared_read_only or _is_file(field) or field.generated is not NOT_PROVIDED:
        return False
    return not (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _is_file(field: Field[Any, Any]) -> bool:
    return getattr(field, "attr_class", None) is not None


def _definition(field: Field[Any, Any], variant: Variant) -> tuple[Any, Any]:
    info = field.describe()
    is_file = _is_file(field)
    if is_file and variant != "read":
        return _upload_definition(field, variant)
    value_type = str if is_file else _value_type(field)
    constraints, keywords = _constraints(field, info, value_type)
    extra: dict[str, Any] = {}
    fmt = info.get("format")
    if fmt and _base(value_type) is str:
        extra["format"] = fmt

    annotation: Any = value_type
    if variant == "read":
        # Responses document the constraints without re-validating stored rows.
        extra.update(keywords)
        constraints = {}
    elif (values := _static_choices(field)) is not None and not is_file:
        if all(isinstance(v, _LITERAL_TYPES) for v in values):
            annotation = Literal[values]
            constraints = {}
        else:
            extra["enum"] = to_jsonable_python(list(values))
            annotation = Annotated[value_type, pydantic.AfterValidator(_one_of(values))]
    if field.nullable:
        if constraints or extra:
            # On the value itself, so that they land on the non-null branch of the union.
            annotation = Annotated[
                annotation, pydantic.Field(json_schema_extra=extra or None, **constraints)
            ]
        annotation = annotation | None
        constraints, extra = {}, {}
    if is_file:
        # Outside the ``| None``: a ``FieldFile`` becomes its name before either is tried.
        annotation = Annotated[annotation, BeforeValidator(_stored_name)]

    options: dict[str, Any] = {
        "description": field.help_text or field.ai_description or None,
        **constraints,
    }
    hide_default = False
    if variant == "update":
        options["default"], hide_default = None, True
    elif variant == "create":
        if field.has_default():
            if callable(field.default):
                options["default_factory"] = field.get_default
            else:
                options["default"] = field.default
        elif field.filled_by_database and not field.nullable:
            # Left out (None), the database fills it (db_default=): create() leaves the
            # column out of the INSERT.
            annotation = annotation | None
            options["default"], hide_default = None, True
        elif field.nullable:
            options["default"] = None
        elif getattr(field, "has_pre_save", False):
            # Filled in by save() (a slug from another field): may be left out.
            options["default"], hide_default = None, True
    options["json_schema_extra"] = _schema_extra(extra, hide_default)
    return annotation, pydantic.Field(**options)


def _upload_definition(field: Field[Any, Any], variant: Variant) -> tuple[Any, Any]:
    """A file field in a request (only when named in ``include``): an upload, never a name."""
    from fastapi import UploadFile

    annotation: Any = UploadFile | None if field.nullable or variant == "update" else UploadFile
    required = variant == "create" and not field.nullable
    default: Any = ... if required else None
    return annotation, pydantic.Field(default, description=field.help_text or None)


def _value_type(field: Field[Any, Any]) -> Any:
    """The Python type of a field's values: an enum class, the ``T`` of ``Field[T]``, or the column's."""
    enum_class = getattr(field, "enum_class", None)
    if isinstance(enum_class, type) and issubclass(enum_class, enum.Enum):
        return enum_class
    if field.attname != field.name:
        return _column_type(field)  # a relation (``author_id``): its key column's type
    for klass in type(field).__mro__:
        for base in vars(klass).get("__orig_bases__", ()):
            if typing.get_origin(base) is Field:
                arg = typing.get_args(base)[0]  # Field[T, N]: the value type
                if isinstance(arg, typing.TypeVar):
                    return _column_type(field)
                if isinstance(arg, type) and issubclass(arg, Model):
                    return _column_type(field)
                items = typing.get_args(arg)
                if typing.get_origin(arg) is list and (
                    items in ((), (Any,)) or isinstance(items[0], typing.TypeVar)
                ):
                    typed = _column_type(field)  # an ARRAY column knows its items
                    return typed if typing.get_origin(typed) is list else cast(Any, arg)
                if arg is Any or _pydantic_accepts(arg):
                    return cast(Any, arg)
                return _column_type(field)
    return _column_type(field)


def _column_type(field: Field[Any, Any]) -> Any:
    table = getattr(field.model._meta, "table", None)
    column_type = table.c[field.attname].type if table is not None else field.sa_type()
    python_type = _python_type(column_type)
    if isinstance(column_type, sa.ARRAY):
        item = _python_type(cast("sa.types.TypeEngine[Any]", column_type.item_type))
        return list[item] if item is not Any else list[Any]  # type: ignore[valid-type]
    return python_type


def _python_type(column_type: sa.types.TypeEngine[Any]) -> Any:
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        return Any
    return python_type if _pydantic_accepts(python_type) else Any


def _pydantic_accepts(tp: Any) -> bool:
    try:
        pydantic.TypeAdapter(tp)
    except (pydantic.PydanticSchemaGenerationError, TypeError):
        return False
    return True


def _base(tp: Any) -> Any:
    if typing.get_origin(tp) is Annotated:
        return typing.get_args(tp)[0]
    return typing.get_origin(tp) or tp


def _constraints(
    field: Field[Any, Any], info: dict[str, Any], value_type: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Pydantic constraints for requests, and the same as JSON Schema keywords for responses."""
    base = _base(value_type)
    constraints: dict[str, Any] = {}
    keywords: dict[str, Any] = {}
    sized = base in (str, bytes, list)
    length_words = ("maxItems", "minItems") if base is list else ("maxLength", "minLength")
    max_length = info.get("max_length")
    min_length = info.get("min_length")
    dimensions = info.get("dimensions")
    if base is list and isinstance(dimensions, int):
        max_length = min_length = dimensions
    if sized and isinstance(max_length, int):
        constraints["max_length"] = keywords[length_words[0]] = max_length
    if sized and isinstance(min_length, int):
        constraints["min_length"] = keywords[length_words[1]] = min_length
    pattern = info.get("pattern")
    if base is str and isinstance(pattern, str):
        constraints["pattern"] = keywords["pattern"] = _anchored(pattern)
    if base in (int, float, decimal.Decimal):
        minimum = info.get("minimum", getattr(field, "min_value", None))
        maximum = info.get("maximum", getattr(field, "max_value", None))
        # Decimals are strings in JSON responses: bounds mean nothing there.
        numeric_keywords = base is not decimal.Decimal
        if minimum is not None:
            constraints["ge"] = minimum
            if numeric_keywords:
                keywords["minimum"] = to_jsonable_python(minimum)
        if maximum is not None:
            constraints["le"] = maximum
            if numeric_keywords:
                keywords["maximum"] = to_jsonable_python(maximum)
    if base is decimal.Decimal:
        digits = info.get("max_digits", getattr(field, "precision", None))
        places = info.get("decimal_places", getattr(field, "scale", None))
        if isinstance(digits, int):
            constraints["max_digits"] = digits
        if isinstance(places, int):
            constraints["decimal_places"] = places
    values = _static_choices(field)
    if values is not None:
        keywords["enum"] = to_jsonable_python(list(values))
    return constraints, keywords


def _static_choices(field: Field[Any, Any]) -> tuple[Any, ...] | None:
    """The choice values; None without choices or when they change (a directory scan)."""
    choices = field.choices
    if choices is None or callable(choices):
        return None
    return tuple(choice for choice, _ in choices)


def _anchored(pattern: str) -> str:
    """aksara matches the whole value (``re.fullmatch``); JSON Schema patterns search."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern
    return f"^(?:{pattern})$"


def _one_of(values: tuple[Any, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if not any(value == v for v in values):
            raise ValueError(f"Value {value!r} is not a valid choice")
        return value

    return check


def _stored_name(value: Any) -> Any:
    """A file field's value (a ``FieldFile``) as the name it is stored under."""
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "name", value)


def _schema_extra(
    extra: dict[str, Any], hide_default: bool
) -> Callable[[dict[str, Any]], None] | None:
    if not extra and not hide_default:
        return None

    def update(schema: dict[str, Any]) -> None:
        schema.update(extra)
        if hide_default:
            # An omitted value is left out (unchanged, or filled in on save), never sent as null.
            schema.pop("default", None)

    return update
