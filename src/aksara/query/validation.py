"""``await obj.validate_constraints()``: the model's unique and check constraints asked of
the database before a save, as Django's ``validate_constraints()`` does.

A check constraint's condition, and a conditional unique constraint's, are evaluated on the
instance's own values: the values travel as parameters in a one-row ``SELECT`` shaped like
the table, and the condition compiles on it as a filter would. A unique constraint is a
query for another row with the same values (and matching its condition). Expression-based
unique constraints and exclusion constraints are left to the database's own check on save.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara.db import get_database
from aksara.exceptions import ValidationError
from aksara.models.constraints import CheckConstraint, UniqueConstraint
from aksara.query._compile import Plan, param
from aksara.query._keys import loaded_key
from aksara.query._where import where_clause, where_key

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.expressions import Q


async def validate_constraints(obj: Model, exclude: tuple[str, ...] = ()) -> None:
    """Raise ``ValidationError`` (naming the model and the fields) for every unique or check
    constraint the instance's values would violate; fields in ``exclude`` are skipped."""
    meta = obj._meta
    errors: dict[str, list[str]] = {}
    for fields, condition, nulls_distinct in _unique_groups(obj):
        if set(fields) & set(exclude):
            continue
        if condition is not None and not await holds(obj, condition):
            continue
        if await _duplicate(obj, fields, condition, nulls_distinct):
            names = ", ".join(fields)
            key = fields[0] if len(fields) == 1 else "__all__"
            errors.setdefault(key, []).append(f"{meta.model_name} with this {names} already exists")
    for constraint in meta.constraints:
        if isinstance(constraint, CheckConstraint) and not await holds(obj, constraint.condition):
            errors.setdefault("__all__", []).append(f"Constraint {constraint.name!r} is violated")
    if errors:
        raise ValidationError(errors, model=meta.model_name)


def _unique_groups(obj: Model) -> list[tuple[tuple[str, ...], Q | None, bool]]:
    """``(fields, condition, nulls_distinct)`` of each unique rule of the model."""
    meta = obj._meta
    groups: list[tuple[tuple[str, ...], Q | None, bool]] = [
        ((f.name,), None, True) for f in meta.concrete_fields if f.unique and not f.primary_key
    ]
    groups += [(tuple(meta.get_field(n).name for n in g), None, True) for g in meta.unique_together]
    if meta.composite_pk and not obj.is_saved:
        # A new row's composite key (a single-column key is the database's or a fresh UUID).
        groups.append((tuple(f.name for f in meta.pk_fields), None, True))
    for constraint in meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.fields:
            names = tuple(meta.get_field(n).name for n in constraint.fields)
            groups.append((names, constraint.condition, constraint.nulls_distinct is not False))
    return groups


async def _duplicate(
    obj: Model, fields: tuple[str, ...], condition: Q | None, nulls_distinct: bool
) -> bool:
    """Whether another row has the instance's values of ``fields``: a NULL matches nothing,
    unless the constraint counts NULLs as equal (``nulls_distinct=False``)."""
    meta = obj._meta
    d = obj.__dict__
    lookups: dict[str, Any] = {}
    for name in fields:
        field = meta.get_field(name)
        value = d.get(field.attname)
        if value is None and nulls_distinct:
            return False
        if value is None:
            lookups[f"{field.attname}__isnull"] = True
        else:
            lookups[field.attname] = value
    qs = type(obj).objects.filter(**lookups)
    if meta.soft_delete:
        qs = qs.with_deleted()  # a constraint compares every row, deleted or not
    if condition is not None:
        qs = qs.filter(condition)
    if obj.pk is not None and (obj.is_saved or not meta.composite_pk):
        qs = qs.exclude(pk=loaded_key(obj))
    return bool(await qs.exists())


async def holds(obj: Model, condition: Q) -> bool:
    """Whether ``condition`` is true of the instance's values (SQL's NULL counts as true,
    as a CHECK constraint counts it)."""
    model = type(obj)
    meta = obj._meta
    table = meta.table
    assert table is not None
    columns = [table.c[a] for a in meta.attnames]
    values = [meta.by_attname[a].to_db(obj.__dict__.get(a)) for a in meta.attnames]
    row = sa.select(*(param(i, c.type).label(c.name) for i, c in enumerate(columns))).subquery(
        table.name
    )
    counter = [len(values)]
    where_key(model, condition, values)
    clause = where_clause(model, row, condition, counter)
    plan = Plan(sa.select(sa.func.coalesce(clause, sa.true())).select_from(row))
    return bool(await get_database().fetchval(plan.sql, plan.args(values)))
