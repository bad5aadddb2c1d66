"""``bulk_create()``'s checks of new instances: one loop generated per model that runs
their save hooks and tests every value with its field's validator expression, and for COPY
also makes each instance's row and snapshot from the values it has just read."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from aksara._codegen import is_identifier, make_function
from aksara.exceptions import ValidationError
from aksara.fields.base import Field, shortcut_applies
from aksara.fields.temporal import DateTime
from aksara.query import _copy
from aksara.query._plans import generated
from aksara.query._write_checks import refuse_generated
from aksara.query.persist import expression_error, plain_clean

if TYPE_CHECKING:
    from aksara.models.base import Model

#: What ``clean_all(rows=True)`` made with its checks: each instance's COPY row and
#: snapshot, lists whose first item, the key, is left for the caller to fill in; None for
#: the snapshots when the rows are the snapshots too (see ``_build_rows_check``).
Prepared = tuple[list[list[Any]], list[list[Any]] | None]


def clean_all(model: type[Model], objs: list[Model], rows: bool = False) -> Prepared | None:
    """Validate every new instance; one ``ValidationError`` names the items that failed.

    With ``rows``, the instances' COPY rows when every instance passed as it was."""
    meta = model._meta
    redo: list[int] | None
    wrong: int
    check = generated(model, ("bulk_rows",), _build_rows_check) if rows else None
    if check is None:
        check = generated(model, ("bulk_check",), _build_check)
    redo, wrong, made, snaps = check(objs)
    if redo is None:
        got = type(objs[wrong]).__name__
        raise TypeError(f"bulk_create() got a {got}, expected {model.__name__}")
    # A clean() patched onto the class since it was made (the checks were made without):
    # every instance is validated in full.
    patched = not meta.own_clean and model.clean is not plain_clean()
    if patched:
        redo = list(range(len(objs)))
    if not redo:
        return None if made is None else (made, snaps)
    errors: dict[str, list[str]] = {}
    # Instances whose every value is clean already, of a model with no hooks and no clean()
    # of its own, need one call of the generated validator each.
    needs_clean = meta.validator(meta.concrete_fields)
    plain = not (meta.generated_fields or meta.own_clean or patched)
    for index in redo:
        obj = objs[index]
        if plain and _cleaned(obj, needs_clean(obj.__dict__, obj)):
            continue
        try:
            if meta.generated_fields:
                refuse_generated(obj, True, None)
            obj._clean_fields(meta.concrete_fields)
            obj._clean_model()
        except ValidationError as failed:
            error = expression_error(obj, meta.concrete_fields, "insert a row", failed)
            for name, messages in error.errors.items():
                errors.setdefault(name, []).extend(f"{m} (item {index})" for m in messages)
    if errors:
        raise ValidationError(errors, model=meta.model_name)
    return None


def attribute_names(model: type[Model]) -> frozenset[str]:
    """The columns whose values code may read and write as attributes of an instance, the
    same as through its ``__dict__``: no descriptor, ``__setattr__`` or ``__getattribute__``
    of the class stands in the way."""
    meta = model._meta
    if model.__getattribute__ is not object.__getattribute__:
        return frozenset()
    return frozenset(a for a in meta.attnames if a in meta.plain_keys and is_identifier(a))


class _Access:
    """How a generated check reads and writes an instance's values: as attributes where no
    descriptor of the class stands in the way, so CPython keeps the values inline (reading
    ``obj.__dict__`` would build a dict object for each instance, 0.1 µs and ~100 bytes);
    through ``d = obj.__dict__`` otherwise, as ``Model.__init__`` does."""

    def __init__(self, model: type[Model]) -> None:
        self.direct = attribute_names(model)
        self.needs_dict = len(self.direct) < len(model._meta.attnames)

    def get(self, attname: str) -> str:
        return f"obj.{attname}" if attname in self.direct else f"d.get({attname!r})"

    def put(self, attname: str, expr: str) -> str:
        return f"obj.{attname} = {expr}" if attname in self.direct else f"d[{attname!r}] = {expr}"


def _check_head(
    model: type[Model], names: dict[str, Any], access: _Access
) -> tuple[list[str], dict[str, str]]:
    """The start of a generated check: the loop, the type test, save hooks; then, in a
    ``try`` whose ``AttributeError`` (an instance without one of its values) sends the
    instance the long way, the version. The caller's lines go in the ``try`` and end
    with ``except AttributeError`` (``_CHECK_END``).

    Every ``auto_now``/``auto_now_add`` column of every instance gets the same time, taken
    once per call (in UTC), as PostgreSQL's ``now()`` gives every row of a statement one
    time. Also returned: those columns whose validator is known to accept that time, each
    with the variable holding it: their test is not written."""
    meta = model._meta
    names.update({"model": model, "now": dt.datetime.now, "UTC": dt.UTC})
    lines = [
        *(["    stamp = now(UTC)"] if any(map(_stamped, meta.pre_save_fields)) else []),
        "    for index, obj in enumerate(objs):",
        "        if type(obj) is not model and not isinstance(obj, model):",
        "            return None, index, None, None",
    ]
    if access.needs_dict:
        lines.append("        d = obj.__dict__")
    fresh: dict[str, str] = {}
    for i, field in enumerate(meta.pre_save_fields):
        if _stamped(field):
            lines.append(f"        {access.put(field.attname, 'stamp')}")
            if field.choices is None and shortcut_applies(type(field)):
                fresh[field.attname] = "stamp"
        else:
            names[f"h{i}"] = field.pre_save
            lines.append(f"        h{i}(obj, True)")
    lines.append("        try:")
    if meta.version is not None:
        attname = meta.version.attname
        lines += [
            f"            if not {access.get(attname)}:",
            f"                {access.put(attname, '1')}",
        ]
    return lines, fresh


def _stamped(field: Field[Any, Any]) -> bool:
    """An ``auto_now``/``auto_now_add`` column whose ``pre_save()`` is ``DateTime``'s own."""
    return (
        isinstance(field, DateTime)
        and type(field).pre_save is DateTime.pre_save
        and (field.auto_now or field.auto_now_add)
    )


#: The end of the ``try`` that ``_check_head()`` opens.
_CHECK_END = [
    "        except AttributeError:",
    "            redo.append(index)",
    "            continue",
]


def _build_check(model: type[Model], key: tuple[Any, ...]) -> Any:
    """``check(objs)`` for ``bulk_create()``: one loop over the new instances that runs each
    one's ``pre_save()`` hooks, starts a versioned row at 1 and tests every value with its
    field's validator expression (``Options.validator``), inline. It returns the indexes of
    the instances that need more (a value to clean, ``clean()`` of the model's own, a
    generated column), ``-1`` and two Nones; ``(None, index, None, None)`` for an item that
    is not an instance."""
    meta = model._meta
    names: dict[str, Any] = {}
    access = _Access(model)
    body: list[str] = []
    head, fresh = _check_head(model, names, access)
    if meta.generated_fields or meta.own_clean:
        body.append("            redo.append(index)")
    else:
        for i, field in enumerate(meta.concrete_fields):
            if field.attname in fresh:
                continue
            names[f"f{i}"] = field
            expr = field._validator_expression(names, f"c{i}_")
            test = "True" if expr is None else f"not ({expr})"
            body += [
                f"            v = {access.get(field.attname)}",
                f"            if {test}:",
                "                redo.append(index)",
                "                continue",
            ]
    lines = ["def check(objs):", "    redo = []", *head, *body, *_CHECK_END]
    lines.append("    return redo, -1, None, None")
    return make_function("\n".join(lines) + "\n", names, f"bulk_create check for {meta.model_name}")


def _build_rows_check(model: type[Model], key: tuple[Any, ...]) -> Any:
    """``_build_check()``'s loop that also makes each instance's COPY row and snapshot from
    the values it has just read, as lists whose first item, the key, is None until the
    caller sets it: a JSON default is marshalled once, for its test, and its text made once
    for every row. It returns ``redo, -1, rows, snaps``; ``snaps`` is None when the rows are
    the snapshots too (no value is converted for the database or copied; JSON's snapshot is
    the text sent). None when the model cannot take this path (a value
    is not copied, the database fills one, every instance is validated in full, or the key
    is not the first of two or more columns, sent as it is)."""
    meta = model._meta
    if meta.generated_fields or meta.filled_fields or meta.own_clean:
        return None
    if len(meta.attnames) < 2 or meta.attnames[0] != meta.pk_attname:
        return None
    namespace: dict[str, Any] = {}
    parts = _copy.column_parts(model, namespace)
    if parts is None or (parts[0].lines, parts[0].item, parts[0].snap) != ([], "v0", "v0"):
        return None
    access = _Access(model)
    head, fresh = _check_head(model, namespace, access)
    lines: list[str] = []
    pad = "            "
    for i, (field, part) in enumerate(zip(meta.concrete_fields, parts, strict=True)):
        if field.attname in fresh:
            lines.append(f"{pad}v{i} = {fresh[field.attname]}")
            continue
        expr = field._validator_expression(namespace, f"c{i}_")
        if expr is None:
            return None
        if part.frozen and _copy.accepts_default(expr, namespace, field.default):
            # An unchanged default is valid: its marshal bytes (the snapshot) tell.
            lines += [
                f"{pad}v{i} = {access.get(field.attname)}",
                *(f"{pad}{line}" for line in part.lines),
                f"{pad}if z{i} != b{i}:",
                f"{pad}    v = v{i}",
                f"{pad}    if not ({expr}):",
                f"{pad}        redo.append(index)",
                f"{pad}        continue",
            ]
        else:
            lines += [
                f"{pad}v = v{i} = {access.get(field.attname)}",
                f"{pad}if not ({expr}):",
                f"{pad}    redo.append(index)",
                f"{pad}    continue",
                *(f"{pad}{line}" for line in part.lines),
            ]
    start = ["def check(objs):", "    redo = []", "    rows = []", "    snaps = []"]
    lines = [*start, *head, *lines, *_CHECK_END]
    shared = all(p.item == p.snap for p in parts)
    lines.append(f"        rows.append([None, {', '.join(p.item for p in parts[1:])}])")
    if not shared:
        lines.append(f"        snaps.append([None, {', '.join(p.snap for p in parts[1:])}])")
    lines.append(f"    return redo, -1, rows, {'None' if shared else 'snaps'}")
    source = "\n".join(lines) + "\n"
    return make_function(source, namespace, f"bulk_create rows for {meta.model_name}")


def _cleaned(obj: Model, slow: list[Field[Any, Any]]) -> bool:
    """Clean the ``slow`` fields of ``obj`` (those its validator did not accept as they are);
    False when one fails or needs more than ``clean()`` (a value the database fills): the
    caller then runs the full validation, which reports every error."""
    d = vars(obj)
    try:
        for field in slow:
            if field.filled_by_database:
                return False
            d[field.attname] = field.clean(d.get(field.attname), obj)
    except ValidationError:
        return False
    return True
