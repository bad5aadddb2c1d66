"""The INSERT of one instance (``save()`` of a new one, ``create()``): its driver
arguments and the instance's snapshot after it, made from the instance dict by one function
generated per model.

A list or dict default left unchanged (its marshal bytes, the snapshot a save needs in any
case, equal the default's) is sent as the text made once for the column, as ``COPY`` sends
it (``aksara.query._copy.column_part``): serialising a JSON document costs several times
more than telling it is the default.

A new instance is checked by a function of the same kind (``checked``) before anything is
changed: each value read once and tested with its field's validator expression
(``Field._validator_expression``), an unchanged list or dict default by the bytes its
snapshot needs anyway. When every value passes, no ``clean()`` would change one, and the
same reads make the row. It gives ``SLOW`` when every expression passed but some fields have
none (their ``clean()`` runs, then ``row`` reads the values again), and None when a value
fails or cannot be read: ``save()`` then validates the instance in full, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from aksara._codegen import make_function
from aksara._sa_compat import bind_processor
from aksara.query._compile import DIALECT, Plan
from aksara.query._copy import accepts_default, column_part

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model

#: ``row(d, obj)``: an instance dict's INSERT arguments and its snapshot (without the key
#: when the database makes it); from ``checked``, None when a value needs ``clean()``.
InsertRow = Callable[[dict[str, Any], Any], tuple[list[Any], tuple[Any, ...]]]
CheckedRow = Callable[[dict[str, Any], Any], tuple[list[Any], tuple[Any, ...]] | None]

#: ``finish(key, snapshot)``: the snapshot with the key the database made put in its place.
Finish = Callable[[Any, tuple[Any, ...]], tuple[Any, ...]]


#: What ``checked`` gives when the fields without a validator expression need ``clean()``.
SLOW: Any = ("slow",)


class InsertOne(NamedTuple):
    """The INSERT of one instance: its statement, ``row``, ``finish`` when the database
    makes the key, ``checked`` (None for a model with a ``clean()`` of its own) and the
    fields whose values it leaves to their ``clean()``."""

    plan: Plan
    row: InsertRow | None
    finish: Finish | None
    checked: CheckedRow | None
    slow: tuple[Field[Any, Any], ...]


def insert_one(model: type[Model], plan: Plan, names: Sequence[str]) -> InsertOne:
    """``plan``'s (an INSERT of the columns ``names``) functions for ``model``; ``row`` is
    None when ``plan`` takes its arguments in another order than ``names``."""
    meta = model._meta
    left_out = set(meta.attnames).difference(names)
    if plan.value_order() != tuple(range(len(names))) or (
        left_out and left_out != {meta.pk_attname}
    ):  # the snapshot holds every column, the key only once it is made
        return InsertOne(plan, None, None, None, ())
    row = _row_function(model, names, checked=False)
    checked = None if meta.own_clean else _row_function(model, names, checked=True)
    slow = tuple(f for f in meta.concrete_fields if f._validator_expression({}, "x") is None)
    finish = None
    if left_out:
        k = meta.attnames.index(meta.pk_attname)
        finish = make_function(
            f"def finish(key, s):\n    return (*s[:{k}], key, *s[{k}:])\n"
            if k
            else "def finish(key, s):\n    return (key, *s)\n",
            {},
            f"INSERT snapshot for {model.__name__}",
        )
    return InsertOne(plan, row, finish, checked, slow)


def _row_function(model: type[Model], names: Sequence[str], checked: bool) -> Any:
    """``row``, or ``checked``: every column's value tested by its field's validator
    expression first, nothing changed (see the module's docstring)."""
    meta = model._meta
    table = meta.table
    assert table is not None
    namespace: dict[str, Any] = {}
    lines: list[str] = []
    items: dict[str, str] = {}
    snaps: list[str] = []
    slow = False
    for i, field in enumerate(meta.concrete_fields):
        attname = field.attname
        read = f"v{i} = d[{attname!r}]"
        expr = field._validator_expression(namespace, f"k{i}_") if checked else None
        if attname not in names:  # the key the database makes: None, tested only
            if checked and expr is None:
                slow = True
            elif checked:
                lines += [f"v = d.get({attname!r})", f"if not ({expr}):", "    return None"]
            continue
        type_ = table.c[attname].type
        part = column_part(i, field, type_, bind_processor(type_, DIALECT), namespace)
        if not checked:
            lines += [read, *part.lines]
        elif expr is None:
            slow = True  # its clean() runs, then ``row``: its value is not read here
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
    if slow:
        namespace["SLOW"] = SLOW
        lines.append("return SLOW")
    else:
        args = ", ".join(items[a] for a in names)
        lines.append(f"return [{args}], ({''.join(s + ', ' for s in snaps)})")
    if checked:
        # A value the checks cannot even read (a column the instance lacks, a document
        # marshal cannot hold): the full validation says what is wrong.
        lines = ["try:", *(f"    {line}" for line in lines), "except Exception:", "    return None"]
    body = "".join(f"    {line}\n" for line in lines)
    label = "checked INSERT row" if checked else "INSERT row"
    return make_function(f"def row(d, obj):\n{body}", namespace, f"{label} for {model.__name__}")
