"""Writing instances: INSERT, UPDATE of changed fields, DELETE, refresh, bulk operations.

A loaded instance keeps its loaded values in ``_loaded`` (see ``aksara.models.state``),
so ``save()`` sends only the columns whose values changed, in-place changes included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.db.connection import get_database
from aksara.exceptions import DatabaseError, QueryError, ValidationError
from aksara.models.state import Partial, is_whole, loaded_state
from aksara.query import _copy
from aksara.query._compile import Plan, param
from aksara.query.queryset import _cached_plan, _rowcount

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model

# asyncpg sends at most 32767 parameters with one statement.
_MAX_PARAMS = 32767


def _snapshot(obj: Model) -> None:
    obj.__dict__["_loaded"] = _generated(type(obj), ("snapshot",), _build_snapshot)(obj.__dict__)


def _build_snapshot(model: type[Model], key: tuple[Any, ...]) -> Callable[[dict[str, Any]], Any]:
    """``_loaded`` for an instance dict: its values in column order, list/dict fields copied."""
    meta = model._meta
    namespace: dict[str, Any] = {}
    items = []
    for i, field in enumerate(meta.concrete_fields):
        if field.mutable:
            namespace[f"s{i}"] = field.snapshot
            items.append(f"s{i}(d[{field.attname!r}])")
        else:
            items.append(f"d[{field.attname!r}]")
    return _compile_function(  # type: ignore[no-any-return]
        f"def snapshot(d):\n    return ({', '.join(items)},)\n", namespace, model
    )


def _generated(model: type[Model], key: tuple[Any, ...], build: Callable[..., Any]) -> Any:
    """A function generated for ``model`` by ``build(model, key)``, cached with its plans."""
    plans = model._meta.plans
    function = plans.get(key)
    if function is None:
        function = plans[key] = build(model, key)
    return function


def _compile_function(source: str, namespace: dict[str, Any], model: type[Model]) -> Any:
    name = source[4 : source.index("(")]
    exec(compile(source, f"<aksara {name} for {model.__name__}>", "exec"), namespace)
    return namespace[name]


def _insert_plan(model: type[Model], rows: int = 1, generated: bool = False) -> Plan:
    """INSERT of ``rows`` rows; with ``generated`` the database makes the primary key
    (identity column) and the statement returns it."""

    def build() -> Plan:
        meta = model._meta
        table = meta.table
        assert table is not None
        names = _insert_names(model, generated)
        n = len(names)
        types = [table.c[a].type for a in names]
        rows_values = [
            {a: param(r * n + i, t) for i, (a, t) in enumerate(zip(names, types, strict=True))}
            for r in range(rows)
        ]
        stmt = sa.insert(table).values(rows_values[0] if rows == 1 else rows_values)
        if generated:
            stmt = stmt.returning(table.c[meta.pk_attname])
        return Plan(stmt)

    return _cached_plan(model, ("insert", rows, generated), build)  # type: ignore[no-any-return]


def _unnest_plan(model: type[Model], generated: bool) -> Plan | None:
    """``INSERT ... SELECT * FROM unnest($1::t1[], $2::t2[], ...)``: one array parameter per
    column, so one statement (and one prepared plan) serves any number of rows, and the
    server parses a handful of parameters instead of one per value. None when a column
    cannot travel as an array element (arrays, vectors): multi-row VALUES then."""

    def build() -> Plan | None:
        meta = model._meta
        table = meta.table
        assert table is not None
        names = _insert_names(model, generated)
        columns = [table.c[a] for a in names]
        if not all(_unnest_safe(c.type) for c in columns):
            return None
        source = sa.func.unnest(*(param(i, pg.ARRAY(c.type)) for i, c in enumerate(columns)))
        select: sa.Select[Any] = sa.select(sa.literal_column("*")).select_from(source)
        stmt = sa.insert(table).from_select(list(names), select)
        if generated:
            stmt = stmt.returning(table.c[meta.pk_attname])
        return Plan(stmt)

    return _cached_plan(model, ("insert_unnest", generated), build)  # type: ignore[no-any-return]


def _unnest_safe(type_: sa.types.TypeEngine[Any]) -> bool:
    impl = getattr(type_, "impl", type_)
    if isinstance(type_, sa.ARRAY) or isinstance(impl, sa.ARRAY):
        return False
    # pgvector's types (and subclasses such as aksara's VectorType) are lists themselves.
    return not any(c.__module__.startswith("pgvector") for c in type(impl).__mro__)


def _insert_names(model: type[Model], generated: bool) -> tuple[str, ...]:
    meta = model._meta
    if generated:
        return tuple(a for a in meta.attnames if a != meta.pk_attname)
    return meta.attnames


def _insert_values(obj: Model, generated: bool) -> list[Any]:
    return _generated(type(obj), ("insert_values", generated), _build_insert_values)(  # type: ignore[no-any-return]
        obj.__dict__
    )


def _build_insert_values(
    model: type[Model], key: tuple[Any, ...]
) -> Callable[[dict[str, Any]], Any]:
    """The INSERT's values for an instance dict, each field's ``to_db()`` applied where it has one."""
    from aksara.fields.base import Field

    meta = model._meta
    generated = key[1]
    namespace: dict[str, Any] = {}
    items = []
    for i, field in enumerate(meta.concrete_fields):
        if generated and field is meta.pk:
            continue
        if type(field).to_db is Field.to_db:
            items.append(f"d[{field.attname!r}]")
        else:
            namespace[f"t{i}"] = field.to_db
            items.append(f"t{i}(d[{field.attname!r}])")
    return _compile_function(  # type: ignore[no-any-return]
        f"def values(d):\n    return [{', '.join(items)}]\n", namespace, model
    )


def _update_plan(model: type[Model], attnames: tuple[str, ...]) -> Plan:
    def build() -> Plan:
        meta = model._meta
        table = meta.table
        assert table is not None
        stmt = (
            sa.update(table)
            .values({a: param(i, table.c[a].type) for i, a in enumerate(attnames)})
            .where(table.c[meta.pk_attname] == param(len(attnames), table.c[meta.pk_attname].type))
        )
        return Plan(stmt)

    return _cached_plan(model, ("update_pk", attnames), build)  # type: ignore[no-any-return]


async def save(obj: Model, *, update_fields: Sequence[str] | None, force_insert: bool) -> None:
    meta = obj._meta
    d = obj.__dict__
    loaded = d.get("_loaded")
    add = loaded is None or force_insert
    for field in meta.pre_save_fields:
        field.pre_save(obj, add)
    if add:
        obj._clean_fields(meta.concrete_fields)
        obj._clean_model()
        if meta.async_save_fields:
            await _write_with_hooks(obj, add=True, fields=meta.concrete_fields)
        else:
            await _insert(obj)
        _snapshot(obj)
        return
    state = loaded_state(obj)
    assert state is not None
    names, old_values = state
    if update_fields is not None:
        wanted = {meta.get_field(n).attname for n in update_fields}
        unknown = wanted - set(names)
        if unknown:
            raise QueryError(
                f"{meta.model_name}.save(update_fields=...): {sorted(unknown)} not loaded"
            )
        changed = tuple(a for a in meta.attnames if a in wanted)
    else:
        missing = object()
        mutable = meta.mutable_attnames
        changed = tuple(
            name
            for name, old in zip(names, old_values, strict=True)
            if (new := d.get(name, missing)) is not old
            and new is not missing
            and (meta.by_attname[name].changed(new, old) if name in mutable else new != old)
        )
        auto = tuple(
            f.attname
            for f in meta.pre_save_fields
            if f.attname not in changed and getattr(f, "auto_now", False)
        )
        changed += auto
    if not changed:
        return
    fields = tuple(meta.by_attname[a] for a in changed)
    obj._clean_fields(fields)
    obj._clean_model()
    if meta.async_save_fields:
        await _write_with_hooks(obj, add=False, fields=fields)
    else:
        await _update(obj, fields)
    if names is meta.attnames:
        _snapshot(obj)
    else:
        # A partly loaded instance: refresh the snapshot of the fields it has.
        d["_loaded"] = Partial(
            names,
            tuple(
                meta.by_attname[n].snapshot(d[n]) if meta.by_attname[n].mutable else d[n]
                for n in names
            ),
        )


async def _insert(obj: Model) -> None:
    meta = obj._meta
    d = obj.__dict__
    generated = meta.pk.db_generated and d[meta.pk_attname] is None
    plan = _insert_plan(type(obj), 1, generated)
    values = _insert_values(obj, generated)
    if generated:
        d[meta.pk_attname] = await get_database().fetchval(plan.sql, plan.args(values))
    else:
        await get_database().execute(plan.sql, plan.args(values))


async def _update(obj: Model, fields: Sequence[Field[Any]]) -> None:
    meta = obj._meta
    d = obj.__dict__
    plan = _update_plan(type(obj), tuple(f.attname for f in fields))
    values = [f.to_db(d[f.attname]) for f in fields]
    values.append(d[meta.pk_attname])
    status = await get_database().execute(plan.sql, plan.args(values))
    if _rowcount(status) == 0:
        raise DatabaseError(
            f"{meta.model_name} with {meta.pk.name}={obj.pk!r} no longer exists; nothing was updated"
        )


async def _write_with_hooks(obj: Model, *, add: bool, fields: Sequence[Field[Any]]) -> None:
    """Save a model whose fields do I/O around the write (files, unique slugs).

    One transaction (a savepoint when nested) holds the fields' ``pre_save_async`` work and
    the INSERT/UPDATE, so a field can undo its side effects with ``on_rollback`` when the
    statement fails, and defer clean-up of replaced data with ``on_commit``.
    """
    from aksara.db.transaction import transaction

    meta = obj._meta
    active = [f for f in meta.async_save_fields if add or f in fields]
    # Every check first, so a bad value in one field writes nothing for another.
    for field in active:
        await field.validate_async(obj)
    async with transaction():
        for field in active:
            await field.pre_save_async(obj, add)
        if add:
            await _insert(obj)
        else:
            await _update(obj, fields)


async def delete(obj: Model) -> int:
    meta = obj._meta
    model = type(obj)

    def build() -> sa.Delete:
        table = meta.table
        assert table is not None
        pk = table.c[meta.pk_attname]
        return sa.delete(table).where(pk == param(0, pk.type))

    count = await delete_rows(model, ("delete_pk",), build, [obj.pk])
    obj.__dict__["_loaded"] = None
    return count


async def delete_rows(
    model: type[Model], key: Any, build: Callable[[], sa.Delete], values: list[Any]
) -> int:
    """Run the DELETE that ``build()`` makes (cached under ``key``); return the number of rows.

    When fields act on deleted rows (files to remove after commit), the DELETE returns
    their values and runs in a transaction with their ``post_delete`` hooks.
    """
    hook_fields = model._meta.delete_hook_fields
    if not hook_fields:
        plan: Plan = _cached_plan(model, key, lambda: Plan(build()))
        status = await get_database().execute(plan.sql, plan.args(values))
        return _rowcount(status)
    from aksara.db.transaction import transaction

    def build_returning() -> Plan:
        table = model._meta.table
        assert table is not None
        return Plan(build().returning(*(table.c[f.attname] for f in hook_fields)))

    plan = _cached_plan(model, (*key, "returning"), build_returning)
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
    fresh = await qs.filter(pk=obj.pk).get()
    d = obj.__dict__
    fresh_d = fresh.__dict__
    state = loaded_state(fresh)
    assert state is not None
    for name in state[0]:
        d[name] = fresh_d[name]
    if not fields:
        d["_loaded"] = fresh_d["_loaded"]
    elif all(n in d for n in obj._meta.attnames):
        _snapshot(obj)


async def bulk_create(model: type[Model], objs: list[Model], batch_size: int | None) -> list[Model]:
    if not objs:
        return objs
    meta = model._meta
    errors: dict[str, list[str]] = {}
    for index, obj in enumerate(objs):
        if not isinstance(obj, model):
            raise TypeError(f"bulk_create() got a {type(obj).__name__}, expected {model.__name__}")
        for field in meta.pre_save_fields:
            field.pre_save(obj, True)
        try:
            obj._clean_fields(meta.concrete_fields)
            obj._clean_model()
        except ValidationError as error:
            for name, messages in error.errors.items():
                errors.setdefault(name, []).extend(f"{m} (item {index})" for m in messages)
    if errors:
        raise ValidationError(errors, model=meta.model_name)
    pk_attname = meta.pk_attname
    generated = meta.pk.db_generated and any(o.__dict__[pk_attname] is None for o in objs)
    if generated and any(o.__dict__[pk_attname] is not None for o in objs):
        raise QueryError(
            f"bulk_create(): give every {meta.model_name} a {meta.pk.name} or none of them"
        )
    database = get_database()
    unnest = _unnest_plan(model, generated)
    if unnest is not None:
        size = batch_size or 10_000
    else:
        ncols = len(_insert_names(model, generated))
        size = min(batch_size or 1000, max(_MAX_PARAMS // ncols, 1))

    copy_row = _copy.copy_rows(model) if unnest is not None else None

    async def insert(plan: Plan, values: list[Any], chunk: list[Model]) -> None:
        if generated:
            records = await database.fetch(plan.sql, plan.args(values))
            for obj, record in zip(chunk, records, strict=True):
                obj.__dict__[pk_attname] = record[0]
        else:
            await database.execute(plan.sql, plan.args(values))

    async def run() -> None:
        if unnest is not None:
            insert_fields = [f for f in meta.concrete_fields if not (generated and f is meta.pk)]
            for start in range(0, len(objs), size):
                chunk = objs[start : start + size]
                if copy_row is not None and len(chunk) >= _copy.MIN_ROWS:
                    await _copy_chunk(model, chunk, copy_row, generated)
                    continue
                columns = [[f.to_db(o.__dict__[f.attname]) for o in chunk] for f in insert_fields]
                # PostgreSQL returns the inserted rows in the order unnest() produced them.
                await insert(unnest, columns, chunk)
            return
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            plan = _insert_plan(model, len(chunk), generated)
            values: list[Any] = []
            for obj in chunk:
                values.extend(_insert_values(obj, generated))
            # PostgreSQL returns the rows of INSERT ... VALUES in the order given.
            await insert(plan, values, chunk)

    hooked = meta.async_save_fields
    if hooked:
        for obj in objs:
            for field in hooked:
                await field.validate_async(obj)
    if len(objs) > size or hooked:
        from aksara.db.transaction import transaction

        async with transaction():
            for obj in objs:
                for field in hooked:
                    await field.pre_save_async(obj, True)
            await run()
    else:
        await run()
    for obj in objs:
        _snapshot(obj)
    return objs


async def _copy_chunk(
    model: type[Model], chunk: list[Model], row: Callable[[dict[str, Any]], Any], generated: bool
) -> None:
    pk_attname = model._meta.pk_attname
    if generated:
        for obj, pk in zip(chunk, await _copy.take_ids(model, len(chunk)), strict=True):
            obj.__dict__[pk_attname] = pk
    try:
        await _copy.copy_in(model, chunk, row)
    except BaseException:
        if generated:  # nothing was written: the instances are still unsaved
            for obj in chunk:
                obj.__dict__[pk_attname] = None
        raise


async def bulk_update(
    model: type[Model], objs: list[Model], field_names: Sequence[str], batch_size: int | None
) -> int:
    if not field_names:
        raise QueryError("bulk_update() needs at least one field name")
    if not objs:
        return 0
    meta = model._meta
    fields = [meta.get_field(n) for n in field_names]
    for field in fields:
        if field.primary_key or not field.concrete:
            raise QueryError(f"bulk_update() cannot update {meta.model_name}.{field.name}")
    for obj in objs:
        obj._clean_fields(fields)
    attnames = tuple(f.attname for f in fields)
    plan = _update_plan(model, attnames)
    rows = []
    for obj in objs:
        d = obj.__dict__
        rows.append(plan.args([*(f.to_db(d[f.attname]) for f in fields), d[meta.pk_attname]]))
    await get_database().executemany(plan.sql, rows)
    for obj in objs:
        if is_whole(obj):
            _snapshot(obj)
    return len(objs)
