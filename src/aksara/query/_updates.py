"""The UPDATE ``save()`` sends for the changed columns of an instance.

For an instance loaded whole, the columns that changed come from a function generated
for its model (``changed_columns()``), and each set of changed columns has an
``UpdateShape``: its fields, its statement, and two functions generated for it, one making
the statement's parameters from the instance dict and the loaded values (the key as it was
loaded), one making the instance's loaded values after the UPDATE. ``save()`` of one field
costs a lookup and two calls, not a walk over the fields for each step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara._codegen import make_function
from aksara._typing import DATABASE_DEFAULT
from aksara.db import get_database
from aksara.exceptions import DatabaseError, QueryError, ValidationError
from aksara.query import _plans
from aksara.query._compile import Plan, RowPlan, param
from aksara.query._keys import key_condition, key_described, key_params
from aksara.query._plans import cached_plan, rowcount
from aksara.query._where import expression_key, expression_sql
from aksara.query._write_checks import loaded_version, stale
from aksara.query.expressions import Combinable

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from aksara.fields.base import Field
    from aksara.models.base import Model


def update_plan(model: type[Model], attnames: tuple[str, ...]) -> Plan:
    """``UPDATE table SET <attnames> WHERE <key>``: the values, then the key's parameters."""
    return _kept(model, ("update_pk", attnames), _build_update, attnames)  # type: ignore[no-any-return]


def _kept(
    model: type[Model],
    key: tuple[Any, ...],
    build: Callable[[type[Model], tuple[str, ...]], Any],
    attnames: tuple[str, ...],
) -> Any:
    """``build(model, attnames)``, kept with the model's statements under ``key``."""
    plans = model._meta.plans
    kept = plans.lookup(key)
    return plans.put(key, build(model, attnames)) if kept is None else kept


def converted(field: Field[Any, Any], value: str, namespace: dict[str, Any], name: str) -> str:
    """Generated source: ``value`` through ``field``'s ``to_db()`` (put in ``namespace`` as
    ``name``), or ``value`` itself where ``to_db()`` returns every cleaned value as it is."""
    to_db = field.db_converter()
    if to_db is None:
        return value
    namespace[name] = to_db
    return f"{name}({value})"


def _build_update(model: type[Model], attnames: tuple[str, ...]) -> Plan:
    meta = model._meta
    table = meta.table
    assert table is not None
    assignments: dict[str, Any] = {a: param(i, table.c[a].type) for i, a in enumerate(attnames)}
    version = meta.version
    if version is not None and version.attname not in assignments:
        assignments[version.attname] = table.c[version.attname] + 1  # bulk_update bumps
    stmt = sa.update(table).values(assignments).where(key_condition(meta, table, len(attnames)))
    return Plan(stmt)


class UpdateShape:
    """The UPDATE of the columns ``fields`` of an instance loaded whole."""

    __slots__ = ("fields", "plan", "values", "after", "checked")

    def __init__(
        self,
        fields: tuple[Field[Any, Any], ...],
        plan: Plan,
        values: Callable[[dict[str, Any], Sequence[Any]], list[Any] | None],
        after: Callable[[dict[str, Any], Sequence[Any]], tuple[Any, ...]],
        checked: Callable[[dict[str, Any], Any, Sequence[Any]], list[Any] | None] | None,
    ) -> None:
        self.fields = fields
        #: The statement, as ``update_plan()`` makes it.
        self.plan = plan
        #: ``values(d, loaded)``: the parameters, each value through its field's
        #: ``to_db()`` where it has one, then the key the row was loaded with; None when a
        #: value is an ``F()`` expression.
        self.values = values
        #: ``after(d, loaded)``: the loaded values once the UPDATE is done, the written
        #: columns' (and the version's, which the database bumps) as the instance holds
        #: them, list and dict values copied; every other column's as it was loaded, so
        #: that a change not written yet is still one at the next save.
        self.after = after
        #: ``checked(d, obj, loaded)``: the driver's arguments (``plan.args`` of
        #: ``values``) when every written value passes its field's validator expression,
        #: so that no ``clean()`` would change or refuse one; None when one does not, is an
        #: ``F()`` expression or cannot be read. None itself when a field has no validator
        #: expression (its ``clean()`` always runs).
        self.checked = checked


def update_shape(model: type[Model], attnames: tuple[str, ...]) -> UpdateShape:
    """The ``UpdateShape`` of the columns ``attnames`` (in ``Options.attnames`` order), kept
    with the model's statements: one entry per set of columns, as ``update_plan()``'s."""
    return _kept(model, ("update_shape", attnames), _build_shape, attnames)  # type: ignore[no-any-return]


def _build_shape(model: type[Model], attnames: tuple[str, ...]) -> UpdateShape:
    meta = model._meta
    positions = meta.positions
    fields = tuple(meta.by_attname[a] for a in attnames)
    namespace: dict[str, Any] = {"Combinable": Combinable, "DATABASE_DEFAULT": DATABASE_DEFAULT}
    reads: list[str] = []
    items: list[str] = []
    for i, field in enumerate(fields):
        # An F() expression (``clean()`` may set one) is for the database to compute, and
        # so is a column's default (``DATABASE_DEFAULT``): ``_update_returning()``.
        test = f"isinstance(v{i}, Combinable)"
        if field.filled_by_database:
            test += f" or v{i} is DATABASE_DEFAULT"
        reads += [f"    v{i} = d[{field.attname!r}]", f"    if {test}:", "        return None"]
        items.append(converted(field, f"v{i}", namespace, f"t{i}"))
    keys = [f"loaded[{positions[a]}]" for a in meta.pk_attnames]
    written = attnames
    if meta.version is not None and meta.version.attname not in written:
        written = (*written, meta.version.attname)
    stores: list[str] = []
    for attname in written:
        field = meta.by_attname[attname]
        value = f"d[{attname!r}]"
        if field.mutable:
            namespace[f"s_{positions[attname]}"] = field.snapshot
            value = f"s_{positions[attname]}({value})"
        stores.append(f"    v[{positions[attname]}] = {value}")
    plan = _build_update(model, attnames)
    source = (
        "def values(d, loaded):\n"
        + "\n".join(reads)
        + f"\n    return [{', '.join([*items, *keys])}]\n\n"
        "def after(d, loaded):\n    v = list(loaded)\n"
        + "\n".join(stores)
        + "\n    return tuple(v)\n"
    )
    checked = _checked_source(fields, plan, [*items, *keys], namespace)
    values = make_function(
        source + checked, namespace, f"UPDATE of {', '.join(attnames)} for {meta.model_name}"
    )
    return UpdateShape(
        fields, plan, values, namespace["after"], namespace.get("checked") if checked else None
    )


def _checked_source(
    fields: tuple[Field[Any, Any], ...], plan: Plan, items: list[str], namespace: dict[str, Any]
) -> str:
    """The source of ``UpdateShape.checked`` (``items`` are ``values``' expressions); ""
    when a field has no validator expression or the statement reorders its arguments."""
    processors = plan.processors()
    if processors is None or len(processors) != len(items):
        return ""
    lines: list[str] = []
    for i, field in enumerate(fields):
        expr = field._validator_expression(namespace, f"k{i}_")
        if expr is None:
            return ""
        lines += [f"v = d[{field.attname!r}]", f"if isinstance(v, Combinable) or not ({expr}):"]
        lines += ["    return None", f"v{i} = v"]
    args: list[str] = []
    for j, (item, proc) in enumerate(zip(items, processors, strict=True)):
        if proc is None:
            args.append(item)
        else:
            namespace[f"p{j}"] = proc
            args.append(f"(p{j}(x) if (x := {item}) is not None else None)")
    lines.append(f"return [{', '.join(args)}]")
    body = "".join(f"        {line}\n" for line in lines)
    return f"\ndef checked(d, obj, loaded):\n    try:\n{body}    except Exception:\n        return None\n"


#: What ``checked_update()`` gives for an instance with no column to write.
UNCHANGED: Any = ("unchanged",)


def checked_update(
    obj: Model, d: dict[str, Any], loaded: Sequence[Any], update_fields: Sequence[str] | None
) -> tuple[UpdateShape, list[Any]] | None:
    """The UPDATE of ``obj``, loaded whole (``loaded``), and its driver arguments, when the
    values it writes need no ``clean()`` (``UpdateShape.checked``): ``save()``'s usual
    case, for a model whose ``Options.plain_updates`` says nothing else runs around an
    UPDATE. ``UNCHANGED`` when there is nothing to write; None when ``save()`` must
    validate in full."""
    model = type(obj)
    plans = model._meta.plans
    if update_fields is None:
        columns = changed_columns(model)(d, loaded)
        if not columns:
            return UNCHANGED  # type: ignore[no-any-return]
        shape: UpdateShape = update_shape(model, columns)
    else:
        key = ("checked_update", *update_fields)
        kept = plans.get(key)
        if kept is None:
            columns = changed(obj, model._meta.attnames, loaded, update_fields)
            if not columns:
                return UNCHANGED  # type: ignore[no-any-return]
            kept = plans.put(key, update_shape(model, columns))
        else:
            plans.move_to_end(key)
        shape = kept
    if shape.checked is None:
        return None
    args = shape.checked(d, obj, loaded)
    return None if args is None else (shape, args)


def changed(
    obj: Model,
    names: tuple[str, ...],
    old_values: Sequence[Any],
    update_fields: Sequence[str] | None,
) -> tuple[str, ...]:
    """The columns an UPDATE of ``obj`` writes: ``update_fields``, or every loaded field whose
    value changed, plus fields assigned on a partly loaded instance and ``auto_now`` ones."""
    meta = obj._meta
    d = obj.__dict__
    partial = names is not meta.attnames
    if update_fields is not None:
        # For an instance loaded whole the answer depends on the names alone: kept.
        key = None if partial else ("update_fields", *update_fields)
        if key is not None and (known := meta.plans.lookup(key)) is not None:
            return known  # type: ignore[no-any-return]
        wanted = {meta.get_field(n).attname for n in update_fields}
        unknown = {a for a in wanted if a not in names and not (partial and a in d)}
        if unknown:
            raise QueryError(
                f"{meta.model_name}.save(update_fields=...): {sorted(unknown)} not loaded"
            )
        columns = tuple(a for a in meta.attnames if a in wanted)
        return columns if key is None else meta.plans.put(key, columns)
    if not partial:
        return changed_columns(type(obj))(d, old_values)
    # Loaded in part: the loaded columns that changed, and those assigned since.
    missing = object()
    mutable = meta.mutable_attnames
    changed = {
        name
        for name, old in zip(names, old_values, strict=True)
        if (new := d.get(name, missing)) is not old
        and new is not missing
        and (meta.by_attname[name].changed(new, old) if name in mutable else new != old)
    }
    # A foreign key given an object before that object had a key: its column is unset until
    # clean() takes the object's key (or refuses an object that is still unsaved).
    changed.update(
        a for a, cache in meta.key_caches if a not in d and d.get(cache) is not None and a in names
    )
    # Fields the query did not load and the code has assigned since (as Django saves them).
    changed.update(a for a in meta.attnames if a in d and a not in names)
    changed.update(f.attname for f in meta.pre_save_fields if getattr(f, "auto_now", False))
    return tuple(a for a in meta.attnames if a in changed)


def changed_columns(
    model: type[Model],
) -> Callable[[Mapping[str, Any], Sequence[Any]], tuple[str, ...]]:
    """``changed(d, loaded)``: the columns of an instance loaded whole that an UPDATE
    writes, in ``Options.attnames`` order. A column changed when its value is not the loaded
    one and differs from it (``Field.changed()`` for list and dict values, which are
    compared with their snapshot); a foreign key's column when an object without a key was
    assigned since (``clean()`` takes the object's key); an ``auto_now`` column always."""
    return _plans.generated(model, ("changed",), _build_changed)  # type: ignore[no-any-return]


def _build_changed(model: type[Model], key: tuple[Any, ...]) -> Any:
    meta = model._meta
    caches = dict(meta.key_caches)
    namespace: dict[str, Any] = {"missing": object()}
    olds = [f"o{i}" for i in range(len(meta.attnames))]
    lines = ["def changed(d, loaded):", f"    {', '.join(olds)}, = loaded", "    c = []"]
    for i, field in enumerate(meta.concrete_fields):
        attname = field.attname
        if getattr(field, "auto_now", False):
            lines.append(f"    c.append({attname!r})")
            continue
        if field.mutable:
            namespace[f"f{i}"] = field.changed
            differs = f"f{i}(v, o{i})"
        else:
            differs = f"v != o{i}"
        test = f"(v := d.get({attname!r}, missing)) is not o{i} and v is not missing and {differs}"
        if attname in caches:
            # Unset while it holds an object assigned before that object had a key.
            test = f"{test} or (v is missing and d.get({caches[attname]!r}) is not None)"
        lines += [f"    if {test}:", f"        c.append({attname!r})"]
    lines.append("    return tuple(c)")
    source = "\n".join(lines) + "\n"
    return make_function(source, namespace, f"changed columns of {meta.model_name}")


async def update(obj: Model, fields: Sequence[Field[Any, Any]]) -> None:
    """UPDATE the columns of ``fields`` of ``obj``'s row (with ``F()`` expressions and a
    version check where it has them); its row gone is an error."""
    meta = obj._meta
    d = obj.__dict__
    if meta.version is not None or any(
        isinstance(v := d[f.attname], Combinable) or v is DATABASE_DEFAULT for f in fields
    ):
        await _update_returning(obj, fields)
        return
    plan = update_plan(type(obj), tuple(f.attname for f in fields))
    values = [f.to_db(d[f.attname]) for f in fields]
    values.extend(key_params(obj))
    status = await get_database().execute(plan.sql, plan.args(values))
    if rowcount(status) == 0:
        raise gone(obj)


def gone(obj: Model) -> DatabaseError:
    """The error of an UPDATE that found no row (deleted since the instance was loaded)."""
    return DatabaseError(
        f"{obj._meta.model_name} with {key_described(obj)} no longer exists; nothing was updated"
    )


def refuse_defaults(obj: Model, fields: Sequence[Field[Any, Any]], message: str) -> None:
    """Refuse ``DATABASE_DEFAULT`` (what ``None`` becomes for a NOT NULL ``db_default=``
    column) in ``fields`` of ``obj`` where it cannot be written: the instance gets its None
    back, and ``ValidationError`` says ``message`` for each such field."""
    d = vars(obj)
    wrong = [f for f in fields if d.get(f.attname) is DATABASE_DEFAULT]
    if wrong:
        for field in wrong:
            d[field.attname] = None
        raise ValidationError({f.name: [message] for f in wrong}, model=obj._meta.model_name)


async def _update_returning(obj: Model, fields: Sequence[Field[Any, Any]]) -> None:
    """The UPDATE of a row some of whose fields are set to ``F()`` expressions
    (``post.views = F("views") + 1``) or to their column's default (``DATABASE_DEFAULT``,
    what ``None`` becomes for a NOT NULL ``db_default=`` column): computed by the database,
    which returns the new values, so the instance holds them afterwards.

    With ``Meta.version_field`` the UPDATE also requires the version the instance was
    loaded with and bumps it (``... SET version = version + 1 WHERE id = $n AND version =
    $m``); no row updated means another writer came first: ``StaleObjectError``."""
    model = type(obj)
    meta = obj._meta
    d = vars(obj)
    # A new key for a saved row is not asked for with None.
    refuse_defaults(obj, meta.pk_fields, "A saved row's primary key cannot be set to None")
    version = meta.version
    if version is not None:
        fields = [f for f in fields if f is not version]
        if not fields:
            return
    params: list[Any] = []
    shape: list[Any] = []
    for field in fields:
        value = d[field.attname]
        if isinstance(value, Combinable):
            shape.append((field.attname, expression_key(value, params)))
        elif value is DATABASE_DEFAULT:
            shape.append((field.attname, "DEFAULT"))
        else:
            shape.append((field.attname, None))
            params.append(field.to_db(value))
    params.extend(key_params(obj))
    returned = tuple(a for a, expression in shape if expression is not None)
    if version is not None:
        params.append(loaded_version(obj))
        returned = (*returned, version.attname)

    def build() -> Plan:
        table = meta.table
        assert table is not None
        counter = [0]
        assignments: dict[str, Any] = {}
        for field in fields:
            value = d[field.attname]
            if isinstance(value, Combinable):
                assignments[field.attname] = expression_sql(model, table, value, counter)
            elif value is DATABASE_DEFAULT:  # the column's server default, read back
                assignments[field.attname] = sa.text("DEFAULT")
            else:
                assignments[field.attname] = param(counter[0], table.c[field.attname].type)
                counter[0] += 1
        condition = key_condition(meta, table, counter[0])
        if version is not None:
            column = table.c[version.attname]
            assignments[version.attname] = column + 1
            condition = sa.and_(
                condition, column == param(counter[0] + len(meta.pk_fields), column.type)
            )
        stmt = sa.update(table).values(assignments).where(condition)
        return Plan(stmt.returning(*(table.c[a] for a in returned)))

    plan = cached_plan(model, ("update_pk_returning", tuple(shape), version is not None), build)
    record = await get_database().fetchrow(plan.sql, plan.args(params))
    if record is None and version is not None:
        raise stale(obj, "saved")
    if record is None:
        raise gone(obj)
    table = meta.table
    assert table is not None
    rows = RowPlan(returned, [table.c[a].type for a in returned])
    for name, value in zip(returned, rows.values(record), strict=True):
        d[name] = value
