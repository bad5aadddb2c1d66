"""The INSERT of one instance (``save()`` of a new one, ``create()``): its driver
arguments and the instance's snapshot after it, made from the instance dict by one function
generated per model.

A list or dict default left unchanged (its marshal bytes, the snapshot a save needs in any
case, equal the default's) is sent as the text made once for the column, as ``COPY`` sends
it (``aksara.query._copy.column_part``): serialising a JSON document costs several times
more than telling it is the default.

A new instance is checked by the same function (``checked``): each value read once, tested
with its field's validator expression (``Field._validator_expression``), an unchanged list
or dict default by the bytes its snapshot needs anyway. It returns None when a value needs
its field's ``clean()``: ``save()`` then validates the instance in full and makes its row
with ``row``, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from aksara._codegen import make_function
from aksara._sa_compat import bind_processor
from aksara.exceptions import ValidationError
from aksara.query._compile import DIALECT, Plan
from aksara.query._copy import accepts_default, column_part

if TYPE_CHECKING:
    from aksara.models.base import Model

#: ``row(d, obj)``: an instance dict's INSERT arguments and its snapshot (without the key
#: when the database makes it); from ``checked``, None when a value needs ``clean()``.
InsertRow = Callable[[dict[str, Any], Any], tuple[list[Any], tuple[Any, ...]]]
CheckedRow = Callable[[dict[str, Any], Any], tuple[list[Any], tuple[Any, ...]] | None]

#: ``finish(key, snapshot)``: the snapshot with the key the database made put in its place.
Finish = Callable[[Any, tuple[Any, ...]], tuple[Any, ...]]


class InsertOne(NamedTuple):
    """The INSERT of one instance: its statement, ``row``, ``finish`` when the database
    makes the key, and ``checked`` when the model's values can all be checked by it."""

    plan: Plan
    row: InsertRow | None
    finish: Finish | None
    checked: CheckedRow | None


def insert_one(model: type[Model], plan: Plan, names: Sequence[str]) -> InsertOne:
    """``plan``'s (an INSERT of the columns ``names``) functions for ``model``; ``row`` is
    None when ``plan`` takes its arguments in another order than ``names``."""
    meta = model._meta
    left_out = set(meta.attnames).difference(names)
    if plan.value_order() != tuple(range(len(names))) or (
        left_out and left_out != {meta.pk_attname}
    ):  # the snapshot holds every column, the key only once it is made
        return InsertOne(plan, None, None, None)
    row = _row_function(model, names, checked=False)
    assert row is not None
    checked = None if meta.own_clean else _row_function(model, names, checked=True)
    if not left_out:
        return InsertOne(plan, row, None, checked)
    k = meta.attnames.index(meta.pk_attname)
    finish = make_function(
        f"def finish(key, s):\n    return (*s[:{k}], key, *s[{k}:])\n"
        if k
        else "def finish(key, s):\n    return (key, *s)\n",
        {},
        f"INSERT snapshot for {model.__name__}",
    )
    return InsertOne(plan, row, finish, checked)


def _row_function(model: type[Model], names: Sequence[str], checked: bool) -> Any:
    """``row``, or ``checked``: each value tested by its field's validator expression, or
    given to its field's ``clean()`` where the field has none."""
    meta = model._meta
    table = meta.table
    assert table is not None
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
        read = f"v{i} = d[{attname!r}]"
        if not checked:
            lines += [read, *part.lines]
        elif (expr := field._validator_expression(namespace, f"k{i}_")) is None:
            # No expression: the field's clean(), as ``Model._clean_fields`` calls it.
            namespace[f"f{i}"] = field
            lines += [f"v{i} = d[{attname!r}] = f{i}.clean(d[{attname!r}], obj)", *part.lines]
        elif part.frozen and accepts_default(expr, namespace, field.default):
            # An unchanged default is valid: its marshal bytes (the snapshot) tell.
            lines += [read, *part.lines, f"if z{i} != b{i}:", f"    v = v{i}"]
            lines += [f"    if not ({expr}):", "        return None"]
        else:
            lines += [f"v = {read}", f"if not ({expr}):", "    return None", *part.lines]
        items[attname] = part.item
        if part.frozen:
            snaps.append(f"z{i}")
        elif field.mutable:
            snaps.append(f"s{i}(v{i})")
        else:
            snaps.append(f"v{i}")
    args = ", ".join(items[a] for a in names)
    lines.append(f"return [{args}], ({''.join(s + ', ' for s in snaps)})")
    if checked:
        # A clean() that refuses its value, or a column the instance lacks (a foreign key
        # given an object before it had a key, which clean() takes): the full validation.
        namespace["ValidationError"] = ValidationError
        lines = ["try:", *(f"    {line}" for line in lines)]
        lines += ["except (ValidationError, KeyError):", "    return None"]
    body = "".join(f"    {line}\n" for line in lines)
    source = f"def row(d, obj):\n{body}"
    label = "checked INSERT row" if checked else "INSERT row"
    return make_function(source, namespace, f"{label} for {model.__name__}")
