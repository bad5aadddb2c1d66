"""What an instance remembers of the row it was loaded from: its ``_loaded`` attribute.

``_loaded`` is ``None`` for an instance never saved nor loaded. Otherwise it holds the
values as loaded or last saved (copies of list and dict values, see ``Field.snapshot``),
which ``save()`` compares with to send only the changed columns:

- a tuple of every column's value, in ``Options.attnames`` order, for a whole row (the
  usual case: one tuple per instance, nothing more);
- a ``Partial`` ``(names, values)`` for an instance loaded with ``only()``/``defer()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.models.options import Options


class Partial(tuple[Any, ...]):
    """``_loaded`` of an instance loaded with some columns only: ``(names, values)``."""

    __slots__ = ()

    def __new__(cls, names: tuple[str, ...], values: Sequence[Any]) -> Partial:
        return super().__new__(cls, (names, values))

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self[0], self[1])  # pickle and copy call __new__(cls, names, values)


def loaded_state(obj: Model) -> tuple[tuple[str, ...], Sequence[Any]] | None:
    """``(names, values)`` as loaded or last saved; None for an unsaved instance."""
    loaded = obj.__dict__.get("_loaded")
    if loaded is None:
        return None
    if type(loaded) is Partial:
        return loaded[0], loaded[1]
    return obj._meta.attnames, loaded


def make_loaded(meta: Options, names: tuple[str, ...], values: Sequence[Any]) -> Any:
    """The ``_loaded`` value for ``values`` of columns ``names``."""
    if names is meta.attnames or names == meta.attnames:
        return values
    return Partial(names, values)


def is_whole(obj: Model) -> bool:
    """True when the instance was loaded (or saved) with every column."""
    loaded = obj.__dict__.get("_loaded")
    return loaded is not None and type(loaded) is not Partial


def loaded_value(obj: Model, attname: str) -> Any:
    """The value of column ``attname`` as loaded or last saved; None when unknown."""
    state = loaded_state(obj)
    if state is None:
        return None
    names, values = state
    try:
        return values[names.index(attname)]
    except ValueError:
        return None
