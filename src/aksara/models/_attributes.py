"""Where a model's field values live: in its instances only.

A field whose attribute does nothing but hold the value (most fields; not relations or
files, whose descriptors do work) is not an attribute of the model class. CPython can then
specialise reading and writing it on instances (``STORE_ATTR_INSTANCE_VALUE``,
``LOAD_ATTR_INSTANCE_VALUE``); a class attribute of the same name, even a non-data
descriptor, keeps every such read and write on the generic path (about 16 ns each, measured
on 3.11 and 3.13). ``Post.title`` still gives the field: the metaclass looks it up
(``class_attribute``). So is a foreign key's column (``post.author_id``; its descriptor,
``AttnameDescriptor``, goes on the class at the first instance holding an object assigned
before it had a key, whose key the column then reads).

Two cases keep a field on the class, as every field was before:

- a base class or the metaclass has an attribute of the field's name (a property of a mixin
  the field overrides, ``Model.is_saved``, ``type.mro``): the field must shadow it;
- the model's instances may lack the column: from the first query that does not load it
  (``only()``, ``defer()``, raw SQL), the field goes back on the class (``expect_columns``),
  whose ``__get__`` names the column that was not loaded. That column keeps the generic
  path; the columns every query loads keep theirs. (Neither a ``__getattr__`` on the model, which stops CPython 3.11
  from specialising any attribute read of its instances, methods included, nor a subclass
  for partly loaded instances, which runs ``__init_subclass__`` hooks and changes
  ``type(obj)``, does better.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aksara.fields.base import Field
from aksara.fields.relations import ForeignKey

if TYPE_CHECKING:
    from aksara.models.base import Model

_FIELD_GET: Any = vars(Field)["__get__"]


def is_plain(field: Field[Any, Any]) -> bool:
    """Whether ``field``'s attribute only holds the value: ``Field``'s own ``__get__`` (the
    field on the class, an error for a value not loaded) and no ``__set__``."""
    kind: Any = type(field)
    return kind.__get__ is _FIELD_GET and not hasattr(kind, "__set__")


def off_class(fields: dict[str, Field[Any, Any]], bases: tuple[type, ...], meta: type) -> set[str]:
    """The fields a new model class leaves out of its ``__dict__``: the plain ones that
    shadow no attribute of a base class or of the metaclass."""
    classes = {*meta.__mro__, *(klass for base in bases for klass in base.__mro__)}
    inherited = {name for klass in classes for name in vars(klass)}
    return {name for name, field in fields.items() if is_plain(field) and name not in inherited}


def class_attribute(cls: type[Model], name: str) -> Any:
    """``cls.<name>`` for a name the class does not have: its field of that name."""
    if not name.startswith("_"):  # fields never start with "_"; nor does _meta recurse
        meta = getattr(cls, "_meta", None)
        field = None if meta is None else meta.fields.get(name)
        if field is None and meta is not None and not meta.abstract:
            # A foreign key's column (``Post.author_id``), once the model is complete.
            field = getattr(meta, "by_attname", {}).get(name)
        if field is not None:
            return field
    raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}", name=name)


def expect_columns(model: type[Model], names: Iterable[str]) -> None:
    """Get ``model`` ready for instances holding the columns ``names`` only (called where
    their builder is made, and when an instance is unpickled): each column missing goes back
    on the class, whose attribute says that the column was not loaded (a foreign key's, or
    reads the key of an object assigned before it had one). Columns always loaded stay off."""
    meta = model._meta
    missing = meta.attname_set.difference(names)
    for attname in missing:
        field = meta.by_attname[attname]
        if isinstance(field, ForeignKey):
            field.attname_on_class()
        elif is_plain(field) and attname not in vars(model):
            type.__setattr__(model, attname, field)
