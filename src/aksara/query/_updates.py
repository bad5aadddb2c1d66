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
from aksara.query import _plans
from aksara.query._compile import Plan, param
from aksara.query._keys import key_condition
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

    __slots__ = ("fields", "plan", "values", "after")

    def __init__(
        self,
        fields: tuple[Field[Any, Any], ...],
        plan: Plan,
        values: Callable[[dict[str, Any], Sequence[Any]], list[Any] | None],
        after: Callable[[dict[str, Any], Sequence[Any]], tuple[Any, ...]],
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


def update_shape(model: type[Model], attnames: tuple[str, ...]) -> UpdateShape:
    """The ``UpdateShape`` of the columns ``attnames`` (in ``Options.attnames`` order), kept
    with the model's statements: one entry per set of columns, as ``update_plan()``'s."""
    return _kept(model, ("update_shape", attnames), _build_shape, attnames)  # type: ignore[no-any-return]


def _build_shape(model: type[Model], attnames: tuple[str, ...]) -> UpdateShape:
    meta = model._meta
    positions = meta.positions
    fields = tuple(meta.by_attname[a] for a in attnames)
    namespace: dict[str, Any] = {"Combinable": Combinable}
    reads: list[str] = []
    items: list[str] = []
    for i, field in enumerate(fields):
        # An F() expression (``clean()`` may set one) is for the database to compute.
        reads += [f"    v{i} = d[{field.attname!r}]", f"    if isinstance(v{i}, Combinable):"]
        reads.append("        return None")
        items.append(converted(field, f"v{i}", namespace, f"t{i}"))
    items += [f"loaded[{positions[a]}]" for a in meta.pk_attnames]
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
    source = (
        "def values(d, loaded):\n" + "\n".join(reads) + f"\n    return [{', '.join(items)}]\n\n"
        "def after(d, loaded):\n    v = list(loaded)\n"
        + "\n".join(stores)
        + "\n    return tuple(v)\n"
    )
    values = make_function(
        source, namespace, f"UPDATE of {', '.join(attnames)} for {meta.model_name}"
    )
    return UpdateShape(fields, _build_update(model, attnames), values, namespace["after"])


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
