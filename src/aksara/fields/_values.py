"""Values as fields compare, copy and list them: helpers of ``aksara.fields.base``."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import decimal
import enum
import marshal
import uuid
from collections.abc import Sequence
from typing import Any, cast

#: Typed as plain classes: an ``isinstance()`` check against them leaves an ``Any`` value ``Any``.
IMMUTABLE: tuple[type[Any], ...] = (
    bool,
    int,
    float,
    str,
    bytes,
    decimal.Decimal,
    uuid.UUID,
    dt.date,
    dt.time,
    dt.timedelta,
    enum.Enum,
    frozenset,
)


def same(a: Any, b: Any, *, exact: bool = False) -> bool:
    """Equal, of one type, and (with ``exact``) printed alike: ``Decimal("2.2")`` and
    ``Decimal("2.20")`` are equal, not exactly the same; neither are ``0.0`` and ``-0.0``."""
    if type(a) is not type(b):
        return False
    try:
        if a != b:
            return False
    except Exception:
        return False
    return not exact or repr(a) == repr(b)


#: The marshal format of snapshots and frozen defaults. Version 2 has no back-references
#: (whose use depends on reference counts) and no interned strings, so equal data always
#: gives equal bytes; and its strings load without interning, twice as fast as version 4.
MARSHAL = 2


def freeze(value: Any) -> bytes:
    """``value`` as marshal bytes that load back as an equal copy; ``b""`` when marshal cannot
    hold it exactly (subclasses, other objects)."""
    try:
        frozen = marshal.dumps(value, MARSHAL)
    except ValueError:
        return b""
    # marshal refuses subclasses of the types it knows, so an equal copy is an exact one.
    return frozen if marshal.loads(frozen) == value else b""


def same_bytes(value: Any, frozen: bytes) -> bool:
    """Whether ``value`` has the marshal bytes ``frozen``; not when marshal cannot hold it
    (an array's UUIDs, a member of a ``str`` enum, an object in a document)."""
    try:
        return marshal.dumps(value, MARSHAL) == frozen
    except ValueError:
        return False


#: The longest list or dict default written into generated source as a literal.
LITERAL_LIMIT = 2000


def literal(value: Any) -> str | None:
    """Source text whose every evaluation builds a new, exact copy of ``value``: a list or
    dict of lists, dicts, strings, numbers, booleans and None, short enough to write into
    generated code (twice as fast as unmarshalling a copy). None for anything else."""
    frozen = freeze(value)
    if not frozen or not _plain(value, 0):
        return None
    try:
        source = repr(value)  # an int too long to print raises ValueError
        if len(source) > LITERAL_LIMIT:
            return None
        made = ast.literal_eval(source)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None  # a float that prints as nan or inf
    return source if marshal.dumps(made, MARSHAL) == frozen else None


def _plain(value: object, depth: int) -> bool:
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return True
    if depth > 20:
        return False
    if kind is list:
        return all(_plain(v, depth + 1) for v in cast("list[Any]", value))
    if kind is dict:
        items = cast("dict[Any, Any]", value).items()
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in items)
    return False


def copy_data(value: object) -> Any:
    """A copy of nested lists and dicts (JSON-like data), much cheaper than ``deepcopy``."""
    kind = type(value)
    if kind is dict or isinstance(value, dict):
        return {k: copy_data(v) for k, v in cast("dict[Any, Any]", value).items()}
    if kind is list or isinstance(value, list):
        return [copy_data(v) for v in cast("list[Any]", value)]
    if isinstance(value, (set, tuple)):
        return copy.deepcopy(cast("set[Any] | tuple[Any, ...]", value))
    return value


def normalise_choices(choices: Any) -> list[tuple[Any, str]] | None:
    if choices is None:
        return None
    out: list[tuple[Any, str]] = []
    for choice in choices:
        # ``pair`` is narrowed (to a tuple or list of Any); ``choice`` stays Any.
        pair: Sequence[Any] = choice
        if isinstance(pair, (tuple, list)) and len(pair) == 2:
            out.append((pair[0], str(pair[1])))
        else:
            out.append((choice, str(choice)))
    return out
