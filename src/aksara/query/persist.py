"""Writing one instance: INSERT, UPDATE of changed fields, refresh; the DELETE statements
(an instance's ``delete()`` is ``aksara.query.deletion``'s).

A loaded instance keeps its loaded values in ``_loaded`` (see ``aksara.state``),
so ``save()`` sends only the columns whose values changed, in-place changes included.
Fields that do I/O around the write (files, unique slugs) get a ``SaveContext`` for
what they need to know of the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara._codegen import make_function
from aksara._typing import DATABASE_DEFAULT
from aksara.db import get_database, transaction
from aksara.exceptions import ValidationError
from aksara.fields.base import Field
from aksara.query import _plans
from aksara.query._compile import Plan, RowPlan, param
from aksara.query._inserts import SLOW, InsertOne, insert_one
from aksara.query._keys import loaded_key
from aksara.query._plans import cached_plan, rowcount
from aksara.query._updates import (
    UNCHANGED,
    checked_update,
    converted,
    gone,
    update,
    update_shape,
)
from aksara.query._updates import changed as changed_update
from aksara.query._write_checks import refuse_generated
from aksara.query.expressions import Combinable
from aksara.query.save_context import SaveContext
from aksara.state import Partial, loaded_state

if TYPE_CHECKING:
    from aksara.models.base import Model


def snapshot(obj: Model) -> None:
    """Remember the instance's values as saved (``_loaded``), to compare the next save with."""
    build = _plans.generated(type(obj), ("snapshot",), _build_snapshot)
    d = vars(obj)
    d["_loaded"] = build(d)


def snapshot_all(model: type[Model], objs: Iterable[Model]) -> None:
    """``snapshot()`` of each of ``objs`` (instances of ``model``)."""
    build = _plans.generated(model, ("snapshot",), _build_snapshot)
    for obj in objs:
        d = vars(obj)
        d["_loaded"] = build(d)


def _build_snapshot(model: type[Model], key: tuple[Any, ...]) -> Callable[[dict[str, Any]], Any]:
    """``_loaded`` for an instance dict: its values in column order, list/dict fields copied."""
    meta = model._meta
    namespace: dict[str, Any] = {}
    items: list[str] = []
    for i, field in enumerate(meta.concrete_fields):
        if field.mutable:
            namespace[f"s{i}"] = field.snapshot
            items.append(f"s{i}(d[{field.attname!r}])")
        else:
            items.append(f"d[{field.attname!r}]")
    source = f"def snapshot(d):\n    return ({', '.join(items)},)\n"
    return make_function(source, namespace, f"snapshot for {model.__name__}")


def insert_plan(
    model: type[Model], rows: int = 1, generated: bool = False, omit: tuple[str, ...] = ()
) -> Plan:
    """INSERT of ``rows`` rows; with ``generated`` the database makes the primary key
    (identity column) and the statement returns it. The columns in ``omit`` (database
    defaults) are left out and returned, after the key, with the generated columns."""

    def build() -> Plan:
        meta = model._meta
        table = meta.table
        assert table is not None
        names = insert_names(model, generated, omit)
        n = len(names)
        types = [table.c[a].type for a in names]
        rows_values: list[dict[str, sa.ColumnElement[Any]]]
        if not names and rows > 1:
            # Every column is the database's to fill: ``VALUES (DEFAULT), (DEFAULT), ...``
            # (rows of no values compile to one row's ``DEFAULT VALUES``).
            default: sa.ColumnElement[Any] = sa.literal_column("DEFAULT")
            rows_values = [{meta.attnames[0]: default} for _ in range(rows)]
        else:
            rows_values = [
                {a: param(r * n + i, t) for i, (a, t) in enumerate(zip(names, types, strict=True))}
                for r in range(rows)
            ]
        stmt = sa.insert(table).values(rows_values[0] if rows == 1 else rows_values)
        returned = returned_names(model, generated, omit)
        if returned:
            stmt = stmt.returning(*(table.c[a] for a in returned))
        return Plan(stmt)

    key = ("insert", rows, generated, omit)
    return cached_plan(model, key, build)  # type: ignore[no-any-return]


def insert_names(
    model: type[Model], generated: bool, omit: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The columns an INSERT sends: not a key the database makes, not a generated column,
    not one of ``omit``."""
    meta = model._meta
    if not generated and not meta.generated_fields and not omit:
        return meta.attnames
    left_out = {*omit, *(f.attname for f in meta.generated_fields)}
    if generated:
        left_out.add(meta.pk_attname)
    return tuple(a for a in meta.attnames if a not in left_out)


def returned_names(model: type[Model], generated: bool, omit: tuple[str, ...]) -> tuple[str, ...]:
    """The columns an INSERT returns: the key the database makes, then the values it fills."""
    meta = model._meta
    filled = tuple(f.attname for f in meta.generated_fields)
    filled += tuple(a for a in omit if a not in filled)
    return ((meta.pk_attname,) if generated else ()) + filled


def insert_values(obj: Model, generated: bool, omit: tuple[str, ...] = ()) -> list[Any]:
    """The INSERT's values of ``obj``, for the columns of ``insert_names()``."""
    return _insert_values_of(type(obj), generated, omit)(obj.__dict__)  # type: ignore[no-any-return]


def _insert_values_of(model: type[Model], generated: bool, omit: tuple[str, ...] = ()) -> Any:
    """``values(d)``: the INSERT's values of an instance dict (generated once per shape)."""
    return _plans.generated(model, ("insert_values", generated, omit), _build_insert_values)


def _build_insert_values(
    model: type[Model], key: tuple[Any, ...]
) -> Callable[[dict[str, Any]], Any]:
    """The INSERT's values for an instance dict, each field's ``to_db()`` applied where it has one."""
    meta = model._meta
    names = set(insert_names(model, key[1], key[2]))
    namespace: dict[str, Any] = {}
    items: list[str] = []
    for i, field in enumerate(meta.concrete_fields):
        if field.attname not in names:
            continue
        items.append(converted(field, f"d[{field.attname!r}]", namespace, f"t{i}"))
    source = f"def values(d):\n    return [{', '.join(items)}]\n"
    return make_function(source, namespace, f"INSERT values for {model.__name__}")


async def save(obj: Model, *, update_fields: Sequence[str] | None, force_insert: bool) -> None:
    meta = obj._meta
    if update_fields is not None:
        update_fields = tuple(update_fields)  # read more than once (any iterable will do)
    d = vars(obj)
    loaded = d.get("_loaded")
    add = loaded is None or force_insert
    for field in meta.pre_save_fields if add else meta.pre_update_fields:
        if field.derived_from is not None:
            _check_source(obj, field)
        field.pre_save(obj, add)
    if meta.generated_fields:
        refuse_generated(obj, add, update_fields)
    if loaded is not None and not force_insert:
        if (
            type(loaded) is not Partial
            and meta.plain_updates
            and type(obj).clean is (_plain_clean or plain_clean())
            and "clean" not in d
            and (quick := checked_update(obj, d, loaded, update_fields)) is not None
        ):  # loaded whole, its values need no clean(), nothing else runs: one statement
            if quick is not UNCHANGED:
                written, args = quick
                if rowcount(await get_database().execute(written.plan.sql, args)) == 0:
                    raise gone(obj)
                d["_loaded"] = written.after(d, loaded)
            return
        await _update_loaded(obj, d, update_fields)
        return
    if meta.version is not None and not d.get(meta.version.attname):
        d[meta.version.attname] = 1  # a versioned row starts at version 1
    # ``_insert()``'s usual case, without a coroutine of its own; a new instance whose
    # values its checks accept needs no other validation (``aksara.query._inserts``).
    one = None if meta.async_save_fields or meta.filled_fields else _insert_one(obj, d)
    if one is None or one.row is None:
        await _insert_new(obj)
        return
    made = one.checked(d, obj) if one.checked and _plain_new(obj, d, loaded) else None
    if made is None or made is SLOW:
        _clean_new(obj, None if made is None else one.slow)
        one = _insert_one(obj, d)  # a clean() may have given the key
        assert one.row is not None
        made = one.row(d, obj)
    args, snaps = made
    if one.finish is not None:
        key = d[meta.pk_attname] = await get_database().fetchval(one.plan.sql, args)
        d["_loaded"] = one.finish(key, snaps)
    else:
        await get_database().execute(one.plan.sql, args)
        d["_loaded"] = snaps


async def _update_loaded(
    obj: Model, d: dict[str, Any], update_fields: Sequence[str] | None
) -> None:
    """``save()`` of a loaded instance, validated in full: the UPDATE of the changed columns
    (or ``update_fields``), with ``F()`` expressions, a version check and fields' hooks."""
    meta = obj._meta
    state = loaded_state(obj)
    assert state is not None
    names, old_values = state
    changed = changed_update(obj, names, old_values, update_fields)
    if not changed:
        return
    _clean_changed(obj, changed)
    if _cleans_plainly(obj, d):
        obj._clean_model()
    elif not (changed := _clean_own(obj, d, state, changed, update_fields)):
        return
    # Loaded whole: the statement, its parameters and the snapshot after it are made for
    # this set of columns once (``aksara.query._updates``).
    shape = update_shape(type(obj), changed) if names is meta.attnames else None
    fields = shape.fields if shape is not None else tuple(meta.by_attname[a] for a in changed)
    if meta.async_save_fields:
        await _write_with_hooks(obj, add=False, fields=fields)
    elif (
        shape is not None
        and meta.version is None
        and (params := shape.values(d, old_values)) is not None
    ):  # ``update()``'s usual case, without a coroutine of its own
        status = await get_database().execute(shape.plan.sql, shape.plan.args(params))
        if rowcount(status) == 0:
            raise gone(obj)
    else:
        await update(obj, fields)
    if shape is not None:
        d["_loaded"] = shape.after(d, old_values)
    else:
        # A partly loaded instance: refresh the snapshot of the fields it has now.
        names = tuple(n for n in meta.attnames if n in d)
        d["_loaded"] = Partial(
            names,
            tuple(
                meta.by_attname[n].snapshot(d[n]) if meta.by_attname[n].mutable else d[n]
                for n in names
            ),
        )


def _clean_own(
    obj: Model,
    d: dict[str, Any],
    state: tuple[tuple[str, ...], Sequence[Any]],
    changed: tuple[str, ...],
    update_fields: Sequence[str] | None,
) -> tuple[str, ...]:
    """Run the model's own ``clean()`` on a loaded instance whose ``changed`` columns are
    clean; return the columns to write. Those ``clean()`` set are cleaned too, and written
    unless ``update_fields`` names the columns."""
    before = dict(d)
    obj._clean_model()
    names, old_values = state
    again = changed if update_fields is not None else changed_update(obj, names, old_values, None)
    missing = object()
    _clean_changed(
        obj,
        tuple(
            a for a in again if a not in changed or d.get(a, missing) is not before.get(a, missing)
        ),
    )
    return again


def _clean_changed(obj: Model, changed: tuple[str, ...]) -> None:
    """Validate the fields of the columns ``changed``; those set to ``F()`` expressions are
    for the database to compute, where an expression may be written."""
    if not changed:
        return
    d = obj.__dict__
    fields = [obj._meta.by_attname[a] for a in changed]
    expressions = [f for f in fields if isinstance(d.get(f.attname), Combinable)]
    if expressions:
        _check_expressions(obj, expressions)
        obj._clean_fields([f for f in fields if f not in expressions])
    else:
        obj._clean_fields(fields)


def _check_source(obj: Model, field: Field[Any, Any]) -> None:
    """A field generated from another (a slug from its title) cannot be generated from an
    ``F()`` expression: the database has not computed it yet."""
    d = obj.__dict__
    source = obj._meta.get_field(field.derived_from or "")
    if isinstance(d.get(source.attname), Combinable) and not d.get(field.attname):
        message = (
            f"An F() expression cannot be the source of {field.name}, which is made from it "
            f"on save: set {field.name} too, or use Model.objects.filter(pk=...).update()"
        )
        raise ValidationError({source.name: [message]}, model=obj._meta.model_name)


def _check_expressions(obj: Model, fields: Sequence[Field[Any, Any]]) -> None:
    """``F()`` expressions may update plain columns; not a key, nor a field made from another
    (``auto_now`` replaces any value, an expression too)."""
    meta = obj._meta
    errors: dict[str, list[str]] = {}
    for field in fields:
        if field.primary_key or field in meta.pk_fields:
            reason = "cannot change the primary key"
        elif field.derived_from is not None:
            reason = "cannot set a field that is filled on save"
        elif field in meta.async_save_fields:
            reason = "cannot set this field"
        else:
            continue
        errors[field.name] = [f"An F() expression {reason}"]
    if errors:
        raise ValidationError(errors, model=meta.model_name)


async def _insert(obj: Model) -> None:
    meta = obj._meta
    d = vars(obj)
    if meta.filled_fields:
        await _insert_filled(obj, meta.pk.db_generated and d[meta.pk_attname] is None)
        return
    generated = meta.pk.db_generated and d.get(meta.pk_attname) is None
    plan = insert_plan(obj._meta.model, 1, generated)
    args = plan.args(insert_values(obj, generated))
    if generated:
        d[meta.pk_attname] = await get_database().fetchval(plan.sql, args)
    else:
        await get_database().execute(plan.sql, args)


async def _insert_new(obj: Model) -> None:
    """``save()`` of a new instance that ``_insert_one()`` does not write: validated in
    full, then written with its fields' hooks, or by ``_insert()``."""
    _clean_new(obj)
    if obj._meta.async_save_fields:
        await _write_with_hooks(obj, add=True, fields=obj._meta.concrete_fields)
    else:
        await _insert(obj)
    snapshot(obj)


def _clean_new(obj: Model, fields: Sequence[Field[Any, Any]] | None = None) -> None:
    """Validate a new instance: every field (or ``fields``, when the others are known to be
    clean), then the model's ``clean()``."""
    meta = obj._meta
    try:
        obj._clean_fields(meta.concrete_fields if fields is None else fields)
    except ValidationError as error:
        raise expression_error(obj, meta.concrete_fields, "insert a row", error) from None
    obj._clean_model()


# ``Model.save`` and ``Model.clean`` as defined, taken at the first use (Model's module
# imports this one).
_plain_save: Any = None
_plain_clean: Any = None


def _take_plain() -> None:
    global _plain_save, _plain_clean
    from aksara.models.base import PLAIN_CLEAN, PLAIN_SAVE

    _plain_save, _plain_clean = PLAIN_SAVE, PLAIN_CLEAN


def plain_save() -> Any:
    """``Model.save`` as defined (``aksara.models.base.PLAIN_SAVE``)."""
    if _plain_save is None:
        _take_plain()
    return _plain_save


def plain_clean() -> Any:
    """``Model.clean`` as defined (``aksara.models.base.PLAIN_CLEAN``)."""
    if _plain_clean is None:
        _take_plain()
    return _plain_clean


def _cleans_plainly(obj: Model, d: dict[str, Any]) -> bool:
    """Whether ``obj``'s ``clean()`` is ``Model.clean`` itself, asked on every call (a
    ``clean()`` patched onto the class or the instance later runs)."""
    return type(obj).clean is (_plain_clean or plain_clean()) and "clean" not in d


def _plain_new(obj: Model, d: dict[str, Any], loaded: Any) -> bool:
    """Whether ``obj`` is new and its ``clean()`` is ``Model.clean`` itself."""
    return loaded is None and _cleans_plainly(obj, d)


def _insert_one(obj: Model, d: dict[str, Any]) -> InsertOne:
    """``_build_insert_one``'s, for an instance with a key (``d``) or without."""
    key = ("insert_one", d.get(obj._meta.pk_attname) is None)
    return _plans.generated(type(obj), key, _build_insert_one)  # type: ignore[no-any-return]


def _build_insert_one(model: type[Model], key: tuple[Any, ...]) -> InsertOne:
    """The INSERT of one instance without a key (``key[1]``) or with one (of a model whose
    database fills no column; ``aksara.query._inserts``)."""
    generated = bool(key[1]) and model._meta.pk.db_generated
    plan = insert_plan(model, 1, generated)
    return insert_one(model, plan, insert_names(model, generated))


async def _insert_filled(obj: Model, generated: bool) -> None:
    """The INSERT of a model whose database fills some columns: those holding
    ``DATABASE_DEFAULT`` are left out, and every filled value is read back."""
    meta = obj._meta
    d = vars(obj)
    omit = tuple(f.attname for f in meta.filled_fields if d[f.attname] is DATABASE_DEFAULT)
    plan = insert_plan(type(obj), 1, generated, omit)
    record = await get_database().fetchrow(plan.sql, plan.args(insert_values(obj, generated, omit)))
    returned = returned_names(type(obj), generated, omit)
    if record is not None and returned:
        table = meta.table
        assert table is not None
        rows = RowPlan(returned, [table.c[a].type for a in returned])
        d.update(zip(returned, rows.values(record), strict=True))


def expression_error(
    obj: Model, fields: Sequence[Field[Any, Any]], action: str, error: ValidationError
) -> ValidationError:
    """``error``, with the fields that hold ``F()`` expressions explained: an expression only
    updates a saved row (``action`` says what it was asked to do instead)."""
    d = obj.__dict__
    wrong = [f for f in fields if isinstance(d.get(f.attname), Combinable)]
    if not wrong:
        return error
    message = (
        f"An F() expression cannot {action}: it updates the value a saved row holds "
        "(obj.field = F(...); await obj.save(), or Model.objects.filter(...).update())"
    )
    errors = dict(error.errors)
    errors.update({f.name: [message] for f in wrong})
    return ValidationError(errors, model=obj._meta.model_name)


async def _write_with_hooks(obj: Model, *, add: bool, fields: Sequence[Field[Any, Any]]) -> None:
    """Save a model whose fields do I/O around the write (files, unique slugs).

    One transaction (a savepoint when nested) holds the fields' ``pre_save_async`` work and
    the INSERT/UPDATE, so a field can undo its side effects with ``on_rollback`` when the
    statement fails, and defer clean-up of replaced data with ``on_commit``.
    """
    meta = obj._meta
    active = [f for f in meta.async_save_fields if add or f in fields]
    # Every check first, so a bad value in one field writes nothing for another.
    for field in active:
        await field.validate_async(obj)
    async with transaction():
        context = SaveContext(obj, add)
        for field in active:
            await field.pre_save_async(obj, add, context)
        if add:
            await _insert(obj)
        else:
            await update(obj, fields)


async def delete_rows(
    model: type[Model], key: Any, build: Callable[[], sa.Delete], values: list[Any]
) -> int:
    """Run the DELETE that ``build()`` makes (cached under ``key``); return the number of rows.

    When fields act on deleted rows (files to remove after commit), the DELETE returns
    their values and runs in a transaction with their ``post_delete`` hooks.
    """
    hook_fields = model._meta.delete_hook_fields
    if not hook_fields:
        plan: Plan = cached_plan(model, key, lambda: Plan(build()))
        status = await get_database().execute(plan.sql, plan.args(values))
        return rowcount(status)

    def build_returning() -> Plan:
        table = model._meta.table
        assert table is not None
        return Plan(build().returning(*(table.c[f.attname] for f in hook_fields)))

    plan = cached_plan(model, (*key, "returning"), build_returning)
    async with transaction():
        records = await get_database().fetch(plan.sql, plan.args(values))
        for i, field in enumerate(hook_fields):
            await field.post_delete([r[i] for r in records if r[i] is not None])
    return len(records)


async def refresh(obj: Model, fields: Sequence[str] | None) -> None:
    model = type(obj)
    qs = model.objects.get_queryset()
    if fields:
        qs = qs.only(*fields)
    fresh = await qs.filter(pk=loaded_key(obj)).get()
    d = vars(obj)
    fresh_d = fresh.__dict__
    state = loaded_state(fresh)
    assert state is not None
    for name in state[0]:
        d[name] = fresh_d[name]
    if not fields:
        d["_loaded"] = fresh_d["_loaded"]
    elif all(n in d for n in obj._meta.attnames):
        snapshot(obj)
