"""Values as fields compare, copy and list them: helpers of ``aksara.fields.base``."""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import enum
import marshal
import uuid
from typing import Any

IMMUTABLE = (
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


def freeze(value: Any) -> bytes:
    """``value`` as marshal bytes that load back as an equal copy; ``b""`` when marshal cannot
    hold it exactly (subclasses, other objects)."""
    try:
        frozen = marshal.dumps(value)
    except ValueError:
        return b""
    # marshal refuses subclasses of the types it knows, so an equal copy is an exact one.
    return frozen if marshal.loads(frozen) == value else b""


def copy_data(value: Any) -> Any:
    """A copy of nested lists and dicts (JSON-like data), much cheaper than ``deepcopy``."""
    kind = type(value)
    if kind is dict or isinstance(value, dict):
        return {k: copy_data(v) for k, v in value.items()}
    if kind is list or isinstance(value, list):
        return [copy_data(v) for v in value]
    if isinstance(value, (set, tuple)):
        return copy.deepcopy(value)
    return value


def normalise_choices(choices: Any) -> list[tuple[Any, str]] | None:
    if choices is None:
        return None
    out: list[tuple[Any, str]] = []
    for choice in choices:
        if isinstance(choice, (tuple, list)) and len(choice) == 2:
            out.append((choice[0], str(choice[1])))
        else:
            out.append((choice, str(choice)))
    return out
