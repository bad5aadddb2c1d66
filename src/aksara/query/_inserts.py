"""The INSERT of one instance (``save()`` of a new one, ``create()``): its driver
arguments and the instance's snapshot after it, made from the instance dict by one function
generated per model.

A list or dict default left unchanged (its marshal bytes, the snapshot a save needs in any
case, equal the default's) is sent as the text made once for the column, as ``COPY`` sends
it (``aksara.query._copy.column_part``): serialising a JSON document costs several times
more than telling it is the default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aksara._codegen import make_function
from aksara._sa_compat import bind_processor
from aksara.query._compile import DIALECT, Plan
from aksara.query._copy import column_part

if TYPE_CHECKING:
    from aksara.models.base import Model

#: ``row(d)``: an instance dict's INSERT arguments and its snapshot (without the key when
#: the database makes it).
InsertRow = Callable[[dict[str, Any]], tuple[list[Any], tuple[Any, ...]]]

#: ``finish(key, snapshot)``: the snapshot with the key the database made put in its place.
Finish = Callable[[Any, tuple[Any, ...]], tuple[Any, ...]]


def insert_row(
    model: type[Model], plan: Plan, names: Sequence[str]
) -> tuple[InsertRow, Finish | None] | None:
    """``plan``'s (an INSERT of the columns ``names``) ``row`` function for ``model``, and
    ``finish`` when the key is not among ``names``; None when ``plan`` takes its arguments
    in another order than ``names``."""
    meta = model._meta
    table = meta.table
    assert table is not None
    if plan.value_order() != tuple(range(len(names))):
        return None
    left_out = set(meta.attnames).difference(names)
    if left_out and left_out != {meta.pk_attname}:
        return None  # the snapshot holds every column, the key only once it is made
    namespace: dict[str, Any] = {}
    lines: list[str] = []
    items: dict[str, str] = {}
    snaps: list[str] = []
    for i, field in enumerate(meta.concrete_fields):
        attname = field.attname
        if attname not in names:
            continue
        type_ = table.c[attname].type
        part = column_part(i, field, type_, bind_processor(type_, DIALECT), namespace)
        lines += [f"v{i} = d[{attname!r}]", *part.lines]
        items[attname] = part.item
        if part.frozen:
            snaps.append(f"z{i}")
        elif field.mutable:
            snaps.append(f"s{i}(v{i})")
        else:
            snaps.append(f"v{i}")
    args = ", ".join(items[a] for a in names)
    body = "".join(f"    {line}\n" for line in lines)
    source = f"def row(d):\n{body}    return [{args}], ({''.join(s + ', ' for s in snaps)})\n"
    row = make_function(source, namespace, f"INSERT row for {model.__name__}")
    if not left_out:
        return row, None
    k = meta.attnames.index(meta.pk_attname)
    finish = make_function(
        f"def finish(key, s):\n    return (*s[:{k}], key, *s[{k}:])\n"
        if k
        else "def finish(key, s):\n    return (key, *s)\n",
        {},
        f"INSERT snapshot for {model.__name__}",
    )
    return row, finish
