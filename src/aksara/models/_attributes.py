"""Where a model's field values live: in its instances only.

A field whose attribute does nothing but hold the value (most fields; not relations or
files, whose descriptors do work) is not an attribute of the model class. CPython can then
specialise reading and writing it on instances (``STORE_ATTR_INSTANCE_VALUE``,
``LOAD_ATTR_INSTANCE_VALUE``); a class attribute of the same name, even a non-data
descriptor, keeps every such read and write on the generic path (about 16 ns each, measured
on 3.11 and 3.13). ``Post.title`` still gives the field: the metaclass looks it up
(``class_attribute``).

An instance a query loaded some columns of (``only()``, ``defer()``, raw SQL) is of the
model's *partial class*: the model itself plus ``__getattr__``, which names a column that was
not loaded. The model class has no ``__getattr__``: CPython 3.11 would not specialise any
attribute read of its instances with one, methods included. ``refresh_from_db()`` makes an
instance whose columns are all loaded again an instance of the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from aksara.fields.base import Field

if TYPE_CHECKING:
    from aksara.models.base import Model

M = TypeVar("M", bound="Model")

_FIELD_GET: Any = vars(Field)["__get__"]


def is_plain(field: Field[Any, Any]) -> bool:
    """Whether ``field``'s attribute only holds the value: ``Field``'s own ``__get__`` (the
    field on the class, an error for a value not loaded) and no ``__set__``."""
    kind: Any = type(field)
    return kind.__get__ is _FIELD_GET and not hasattr(kind, "__set__")


def class_attribute(cls: type[Model], name: str) -> Any:
    """``cls.<name>`` for a name the class does not have: its field of that name."""
    if not name.startswith("_"):  # fields never start with "_"; nor does _meta recurse
        field = cls._meta.fields.get(name)
        if field is not None:
            return field
    raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}", name=name)


def partial_class(model: type[M]) -> type[M]:
    """The class of ``model``'s instances with some columns not loaded, made once."""
    meta = model._meta
    cls = meta.partial_class
    if cls is None:
        namespace = {
            "__module__": model.__module__,
            "__qualname__": model.__qualname__,
            "__slots__": (),
            "__getattr__": _not_loaded,
            "__reduce_ex__": _reduce_partial,
        }
        # type.__new__: the model's metaclass would make a new model of it.
        metaclass = cast(Any, type(model))
        cls = meta.partial_class = type.__new__(metaclass, model.__name__, (model,), namespace)
    return cast("type[M]", cls)


def is_partial(model: type[Model], names: tuple[str, ...]) -> bool:
    """Whether instances of ``model`` with the values of columns ``names`` lack a column."""
    meta = model._meta
    return names is not meta.attnames and not meta.attname_set <= set(names)


def loaded_all(obj: Model) -> None:
    """Make ``obj`` an instance of its model again once every column is loaded."""
    meta = obj._meta
    if type(obj) is meta.partial_class and all(hasattr(obj, a) for a in meta.attnames):
        obj.__class__ = meta.model


def _not_loaded(self: Model, name: str) -> Any:
    field = None if name.startswith("_") else self._meta.by_attname.get(name)
    if field is None:
        # The model's own __getattr__, if it has one (looked up in the class dicts: the
        # model's attribute of that name is the metaclass's).
        for klass in self._meta.model.__mro__:
            own = vars(klass).get("__getattr__")
            if own is not None:
                return own(self, name)
        message = f"{type(self).__name__!r} object has no attribute {name!r}"
        raise AttributeError(message, name=name, obj=self)
    raise AttributeError(
        f"{type(self).__name__}.{field.name} was not loaded by the query "
        f"(see only()/defer()); call refresh_from_db() to load it",
        name=name,
        obj=self,
    )


def _reduce_partial(self: Model, protocol: Any) -> Any:
    # Pickled by its model (the partial class is not a module attribute).
    return _unpickle_partial, (self._meta.model,), self.__getstate__()


def _unpickle_partial(model: type[Model]) -> Model:
    return object.__new__(partial_class(model))
