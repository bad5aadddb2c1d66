"""The SELECT statements of a queryset, from one canonical shape and one builder.

``shape(qs, values)`` is what every read of a queryset caches its plan under, behind the
operation's own name (``("select", shape)``, ``("count", shape)``, ...): the selected
fields, conditions, ordering, the LIMIT (written into the statement) and whether there is an
OFFSET, DISTINCT, locking, the kind of rows and the ``select_related`` paths. Values never
enter it; they go to ``values`` in parameter order: the conditions', then OFFSET's.

``select_statement()`` builds the one SELECT; ``count()``, ``exists()`` and ``aggregate()``
read from it as a subquery when the queryset is sliced or DISTINCT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on

from aksara.exceptions import QueryError
from aksara.query._compile import Plan, RowPlan, param, sliced
from aksara.query._json_text import json_as_text
from aksara.query._keys import KEY_ROW, key_columns
from aksara.query._plans import cached_plan
from aksara.query._resolve import order_column
from aksara.query._scope import in_scope, own_scope_needed
from aksara.query._sqlalchemy import SQLAlchemyOrder
from aksara.query._where import where_clause, where_key
from aksara.query.annotations import (
    Annotations,
    annotation_key,
    build_annotations,
    filters_windows,
    having_clause,
    having_key,
    used_annotations,
)
from aksara.query.joins import JoinLayout, Joins
from aksara.query.shaping import ExpressionOrder, Ordering

if TYPE_CHECKING:
    from aksara.query.aggregates import Aggregate
    from aksara.query.queryset import QuerySet


def shape(qs: QuerySet[Any], values: list[Any]) -> tuple[Any, ...]:
    """The query's shape (everything that changes its SQL); its values go to ``values``:
    the annotations', the conditions', the conditions on annotations', OFFSET's."""
    if not own_scope_needed(qs._annotations):
        return _shape(qs, values)
    with in_scope(dict(qs._annotations)):  # its own annotations, not an enclosing query's
        return _shape(qs, values)


def _shape(qs: QuerySet[Any], values: list[Any]) -> tuple[Any, ...]:
    if qs._combined is not None:
        return _combined_shape(qs, values)
    annotated: Any = None
    if qs._annotations:
        model = qs.model
        used = used_annotations(qs)
        exprs = tuple((n, annotation_key(model, e, values)) for n, e in used)
        annotated = (exprs, qs._group, qs._aliases)
    condition = where_values(qs, values)
    if qs._having:
        annotated = (annotated, having_key(qs, values))
    order = qs._ordering()
    for spec in order:
        if isinstance(spec, (SQLAlchemyOrder, ExpressionOrder)):
            values.extend(spec.params)  # ORDER BY comes after HAVING, before OFFSET
    if qs._offset is not None:
        values.append(qs._offset)
    return (
        qs._fields,
        condition,
        order,
        qs._limit,  # LIMIT is written into the statement (see _slice)
        qs._offset is not None,
        qs._distinct,
        qs._for_update,
        qs._mode == "instances",
        qs._related,
        qs._related_only,
        annotated,
    )


def _combined_shape(qs: QuerySet[Any], values: list[Any]) -> tuple[Any, ...]:
    """A union's (intersection's, difference's) shape: its querysets', then its own."""
    assert qs._combined is not None
    operation, all_rows, parts = qs._combined
    combined = (operation, all_rows, tuple(shape(p, values) for p in parts))
    if qs._offset is not None:
        values.append(qs._offset)
    limits = (qs._limit, qs._offset is not None)
    return ("combined", combined, qs._ordering(), limits, qs._mode == "instances")


def where_values(qs: QuerySet[Any], values: list[Any]) -> tuple[Any, ...]:
    """The shape of the conditions alone; their values go to ``values``."""
    where = qs._where
    if len(where) == 1:  # one filter() call, the usual case: no generator to run
        return (where_key(qs.model, where[0], values),)
    model = qs.model
    return tuple(where_key(model, q, values) for q in where)


def apply_where(qs: QuerySet[Any], stmt: Any, table: sa.Table, counter: list[int]) -> Any:
    for q in qs._where:
        stmt = stmt.where(where_clause(qs.model, table, q, counter))
    return stmt


def is_windowed(qs: QuerySet[Any]) -> bool:
    """True when the rows are a slice, DISTINCT or annotated: counting them needs the SELECT."""
    return (
        qs._limit is not None
        or qs._offset is not None
        or bool(qs._distinct)
        or bool(qs._annotations)
        or qs._combined is not None
    )


# -- the SELECT -------------------------------------------------------------------------------


def select_plan(qs: QuerySet[Any]) -> tuple[Plan, RowPlan, list[Any], JoinLayout | None]:
    """The compiled SELECT of ``qs``, how to read its rows, its values and its join layout."""
    values: list[Any] = []
    key = ("select", shape(qs, values))
    plan, rows, layout = cached_plan(qs.model, key, lambda: build_select(qs))
    return plan, rows, values, layout


def build_select(qs: QuerySet[Any]) -> tuple[Plan, RowPlan, JoinLayout | None]:
    stmt, columns, layout, row_names = select_statement(qs)
    return Plan(stmt), row_plan(qs, columns, row_names), layout


def row_plan(qs: QuerySet[Any], columns: list[Any], row_names: tuple[str, ...]) -> RowPlan:
    """How to read the rows; for instances, the annotations that follow their columns apart."""
    types = [c.type for c in columns]
    extra = len(qs._annotations) - len(qs._aliases) if qs._mode == "instances" else 0
    if not extra:
        return RowPlan(row_names, types)
    rows = RowPlan(row_names[:-extra], types[:-extra])
    rows.extra = RowPlan(row_names[-extra:], types[-extra:])
    return rows


def select_statement(
    qs: QuerySet[Any],
    *,
    inner: bool = False,
    counter: list[int] | None = None,
    table: Any = None,
    flat: bool = False,
) -> tuple[Any, list[Any], JoinLayout | None, tuple[str, ...]]:
    """The SELECT of ``qs``: statement, columns, ``select_related`` layout and row names.

    With ``inner`` it is a subquery for ``count()``, ``exists()`` or ``aggregate()``: its
    own columns only, no ``select_related`` and no row locks. ``table`` is the model's table
    or an alias of it (a subquery on the model of its enclosing query). With ``flat`` its
    LIMIT and OFFSET are its own, never a page subquery's (``fetch_with_count()``'s window).
    """
    outermost = not inner and counter is None and table is None
    if not own_scope_needed(qs._annotations):
        built = _select_statement(qs, inner, counter, table, flat)
    else:
        with in_scope(dict(qs._annotations)):  # its own annotations, not an enclosing query's
            built = _select_statement(qs, inner, counter, table, flat)
    return json_as_text(qs, *built, paged=not flat) if outermost else built


def _select_statement(
    qs: QuerySet[Any], inner: bool, counter: list[int] | None, table: Any, flat: bool = False
) -> tuple[Any, list[Any], JoinLayout | None, tuple[str, ...]]:
    if table is None:
        table = qs.model._meta.table
    assert table is not None
    if counter is None:
        counter = [0]  # a subquery continues its enclosing query's numbering
    if qs._combined is not None:
        return _combined_statement(qs, counter, inner=inner)
    if not inner and not flat and qs._offset is not None and qs._related and _pages_first(qs):
        return _paged_then_joined(qs, counter, table)
    annotations = build_annotations(qs, table, counter)
    columns, joins, layout, row_names = _columns(qs, table, annotations, related=not inner)
    joined = annotations.joined
    from_ = joins.from_ if joins is not None else joined.from_ if joined is not None else table
    stmt: Any = sa.select(*columns).select_from(from_)
    stmt = apply_where(qs, stmt, table, counter)
    sub = None
    if qs._having and qs._group is None and filters_windows(qs):
        stmt, columns, sub = _wrap_windows(qs, stmt, row_names, annotations, counter, table)
    elif qs._having:
        having = having_clause(qs, table, annotations.expressions, counter)
        grouped = qs._group is not None or joined is not None
        stmt = stmt.having(having) if grouped else stmt.where(having)
    if qs._group is not None:
        stmt = stmt.group_by(*_group_columns(qs, table, annotations))
    elif joined is not None:
        # One row per row of the table, its own columns functionally dependent on the key.
        stmt = stmt.group_by(*key_columns(qs.model._meta, table))
    order = qs._ordering()
    if order and sub is not None:
        stmt = stmt.order_by(*(nulls_placed(o, _wrapped_column(qs, sub, o)) for o in order))
    elif order:
        stmt = stmt.order_by(*(_order_column(qs, table, annotations, o, counter) for o in order))
    if isinstance(qs._distinct, tuple):
        source: Any = sub.c if sub is not None else table.c
        stmt = stmt.ext(distinct_on(*(source[name] for name in qs._distinct)))
    elif qs._distinct:
        stmt = stmt.distinct()
    stmt = sliced(qs, stmt, counter)
    if qs._for_update is not None and not inner:
        stmt = _lock(qs, stmt, table, joins)
    return stmt, columns, layout, row_names


def _pages_first(qs: QuerySet[Any]) -> bool:
    """True when a page of ``select_related`` rows can be cut before the joins: nothing but
    the model's own columns decides which rows and in what order."""
    return (
        qs._mode == "instances"
        and qs._fields is None
        and not qs._related_only
        and not qs._annotations
        and not qs._distinct
        and qs._group is None
        and qs._for_update is None
        and all(isinstance(o, str) and "__" not in o and o != "?" for o in qs._ordering())
    )


def _paged_then_joined(
    qs: QuerySet[Any], counter: list[int], table: Any
) -> tuple[Any, list[Any], JoinLayout | None, tuple[str, ...]]:
    """``SELECT page.*, <related columns> FROM (SELECT ... LIMIT .. OFFSET ..) AS page LEFT
    JOIN ... ORDER BY ...``: the joins of ``select_related`` run for the page's rows only,
    not for the rows OFFSET skips (joins along single-valued relations neither add rows nor,
    outer or along foreign keys that cannot be NULL, take any away)."""
    plain = qs._clone()
    plain._related = ()
    stmt, columns, _, row_names = _select_statement(plain, False, counter, table)
    page = stmt.subquery()
    columns = list(page.c)
    joins = Joins(qs.model, page)
    layout = joins.select_related(qs._related, columns)
    stmt = sa.select(*columns).select_from(joins.from_)
    order = cast("tuple[str, ...]", qs._ordering())  # strings only (see _pages_first)
    stmt = stmt.order_by(*(nulls_placed(o, order_column(qs.model, page, o)) for o in order))
    return stmt, columns, layout, (*row_names, *layout.names)


def _columns(
    qs: QuerySet[Any], table: sa.Table, annotations: Annotations, *, related: bool
) -> tuple[list[Any], Joins | None, JoinLayout | None, tuple[str, ...]]:
    """The selected columns, the joins, the ``select_related`` layout and the row names.

    Columns of related rows (``values("author__email")``, ``select_related("author")``)
    come from joins along single-valued relations. Annotations are selected by name in
    ``values()``, and after the instance's columns otherwise.
    """
    meta = qs.model._meta
    names = qs._fields or meta.attnames
    joins: Joins | None = annotations.joins
    columns: list[Any] = []
    for name in names:
        if name in annotations.expressions:
            columns.append(annotations.labelled[name])
        elif "__" in name:
            joins = joins or Joins(qs.model, table)
            # Labelled with its path: a subquery's columns are then found by name.
            columns.append(joins.column(qs.model, name).label(name))
        elif name == "pk" and meta.composite_pk:
            columns.append(sa.func.row(*key_columns(meta, table), type_=KEY_ROW).label("pk"))
        else:
            columns.append(table.c[meta.get_field(name).attname])
    layout = None
    row_names: tuple[str, ...] = names
    if qs._mode == "instances":
        row_names = tuple(meta.get_field(n).attname for n in names)
        if row_names == meta.attnames:
            row_names = meta.attnames
        for path, _ in qs._related_only:
            if not any(r == path or r.startswith(f"{path}__") for r in qs._related):
                raise QueryError(
                    f"only({path}__...) loads fields of a relation: add select_related({path!r})"
                )
        if qs._related and related:
            joins = joins or Joins(qs.model, table)
            layout = joins.select_related(qs._related, columns, dict(qs._related_only))
            row_names = (*row_names, *layout.names)
        if qs._annotations:
            aliases = qs._aliases
            selected = [n for n in annotations.labelled if n not in aliases]
            columns.extend(annotations.labelled[n] for n in selected)
            row_names = (*row_names, *selected)
    return columns, joins, layout, row_names


def _order_column(
    qs: QuerySet[Any], table: sa.Table, annotations: Annotations, spec: Ordering, counter: list[int]
) -> Any:
    if isinstance(spec, (SQLAlchemyOrder, ExpressionOrder)):
        return spec.sql(counter, table, annotations.expressions)
    return nulls_placed(spec, _ordered_column(qs, table, annotations, spec))


def nulls_placed(spec: Ordering, column: Any) -> Any:
    """``NULLS FIRST`` / ``NULLS LAST`` when the ordering (an ``OrderBy``) asks for them."""
    nulls = getattr(spec, "nulls", None)
    if nulls is None:
        return column
    return column.nulls_first() if nulls == "first" else column.nulls_last()


def _ordered_column(qs: QuerySet[Any], table: sa.Table, annotations: Annotations, spec: str) -> Any:
    name = spec.lstrip("-+")
    descending = spec.startswith("-")
    if name in annotations.expressions:
        selected = (qs._mode == "instances" and name not in qs._aliases) or name in (
            qs._fields or ()
        )
        # By its label when it is selected and unambiguous (ORDER BY n DESC), else by its
        # expression (joined rows' columns may have the annotation's name).
        by_label = selected and not qs._related
        column = annotations.labelled[name] if by_label else annotations.expressions[name]
        return column.desc() if descending else column.asc()
    if qs._group and name in qs._group and "__" in name and annotations.joins is not None:
        # The joined column the rows are grouped by, not a correlated subquery.
        joined = annotations.joins.column(qs.model, name)
        return joined.desc() if descending else joined.asc()
    return order_column(qs.model, table, spec)


#: ``LIMIT 1`` written as a number (see ``_slice``).
_ONE = sa.literal_column("1", sa.BigInteger())


def _combined_statement(
    qs: QuerySet[Any], counter: list[int], *, inner: bool
) -> tuple[Any, list[Any], JoinLayout | None, tuple[str, ...]]:
    """``SELECT ... FROM (a UNION b ...) AS combined ORDER BY ... LIMIT ...``."""
    assert qs._combined is not None
    operation, all_rows, parts = qs._combined
    selects: list[Any] = []
    row_names: tuple[str, ...] = ()
    for part in parts:
        select, _, _, names = select_statement(part, inner=True, counter=counter)
        selects.append(select)
        row_names = row_names or names
    combine = {
        "union": sa.union_all if all_rows else sa.union,
        "intersect": sa.intersect,
        "except": sa.except_,
    }[operation]
    sub = combine(*selects).subquery("combined")
    columns = [sub.c[name] for name in row_names]
    stmt: Any = sa.select(*columns)
    for spec in qs._ordering():
        stmt = stmt.order_by(nulls_placed(spec, _wrapped_column(qs, sub, spec)))
    return sliced(qs, stmt, counter), columns, None, row_names


def _wrap_windows(
    qs: QuerySet[Any],
    stmt: Any,
    row_names: tuple[str, ...],
    annotations: Annotations,
    counter: list[int],
    table: Any,
) -> tuple[Any, list[Any], Any]:
    """``SELECT ... FROM (the query) AS windowed WHERE <conditions on its annotations>``:
    PostgreSQL computes windows after WHERE, so conditions on them go around the query."""
    if qs._related:
        raise QueryError("Filtering on a window with select_related() is not supported yet")
    extra = [column for name, column in annotations.labelled.items() if name not in row_names]
    for spec in qs._ordering():  # the fields it is ordered by, selected or not
        if isinstance(spec, (SQLAlchemyOrder, ExpressionOrder)):
            raise QueryError("A query filtered on a window orders by field names only")
        name = spec.lstrip("-+")
        if spec != "?" and "__" not in name and name not in annotations.labelled:
            meta = qs.model._meta
            field = meta.get_field(name)
            for attname in meta.pk_attnames if field is meta.pk else (field.attname,):
                if attname not in row_names:
                    extra.append(table.c[attname])
    sub = stmt.add_columns(*extra).subquery("windowed")
    built = {name: sub.c[name] for name in annotations.labelled}
    condition = having_clause(qs, table, built, counter)
    columns = [sub.c[name] for name in row_names]
    return sa.select(*columns).where(condition), columns, sub


def _wrapped_column(qs: QuerySet[Any], sub: Any, spec: Ordering) -> Any:
    """An ordering of a query wrapped around windows, by the columns it selects."""
    if not isinstance(spec, str):  # refused before: by order_by() or _wrap_windows()
        raise QueryError("A query wrapped around windows or combined orders by names only")
    if spec == "?":
        return sa.func.random()
    name = spec.lstrip("-+")
    names = set(sub.c.keys())
    meta = qs.model._meta
    if name == "pk" and meta.composite_pk and set(meta.pk_attnames) <= names:
        key = sa.tuple_(*(sub.c[a] for a in meta.pk_attnames))
        return key.desc() if spec.startswith("-") else key.asc()
    if name not in names and "__" not in name and name not in dict(qs._annotations):
        name = qs.model._meta.get_field(name).attname
    if name not in names:
        raise QueryError(
            f"order_by({spec!r}): a query filtered on a window orders by what it selects"
        )
    column = sub.c[name]
    return column.desc() if spec.startswith("-") else column.asc()


def _group_columns(qs: QuerySet[Any], table: sa.Table, annotations: Annotations) -> list[Any]:
    """The columns of the fields ``values()`` named before the aggregates were annotated."""
    meta = qs.model._meta
    columns: list[Any] = []
    for name in qs._group or ():
        if "__" in name:
            assert annotations.joins is not None
            columns.append(annotations.joins.column(qs.model, name))
        elif name == "pk" and meta.composite_pk:
            columns.extend(key_columns(meta, table))
        else:
            columns.append(table.c[meta.get_field(name).attname])
    return columns


def _lock(qs: QuerySet[Any], stmt: Any, table: sa.Table, joins: Joins | None) -> Any:
    """``FOR UPDATE`` / ``FOR NO KEY UPDATE`` / ``FOR SHARE``, of the rows ``of`` names."""
    assert qs._for_update is not None
    nowait, skip_locked, of, no_key, read = qs._for_update
    targets: list[Any] = []
    for name in of:
        if name == "self":
            targets.append(table)
            continue
        path = tuple(name.split("__"))
        if name not in qs._related or joins is None:
            raise QueryError(
                f"select_for_update(of=...): {name!r} is not loaded with select_related(); "
                f"lockable are 'self' and {', '.join(map(repr, qs._related)) or 'no relation'}"
            )
        if joins.is_outer(path):
            raise QueryError(
                f"select_for_update(of=...): the rows of {name!r} cannot be locked: the "
                f"relation may be NULL (PostgreSQL refuses to lock the nullable side of a join)"
            )
        targets.append(joins.alias(path))
    if not of and joins is not None:
        # Without of=, lock this model's rows only: joined rows may be the nullable side.
        targets.append(table)
    return stmt.with_for_update(
        nowait=nowait, skip_locked=skip_locked, of=targets or None, read=read, key_share=no_key
    )


# -- reads built on the SELECT ------------------------------------------------------------------


def unordered(qs: QuerySet[Any]) -> QuerySet[Any]:
    """``qs`` without its ordering where the statement has no ORDER BY (a count, an
    aggregate, an UPDATE or DELETE of a queryset that is not windowed): an ordering's
    parameters must not be sent to a statement without it."""
    if qs._order == () or is_windowed(qs):
        return qs
    clone = qs._clone()
    clone._order = ()
    return clone


def count_plan(qs: QuerySet[Any]) -> tuple[Plan, list[Any]]:
    qs = unordered(qs)
    values: list[Any] = []
    key = ("count", shape(qs, values))

    def build() -> Plan:
        if is_windowed(qs):
            stmt = select_statement(qs, inner=True)[0]
            return Plan(sa.select(sa.func.count()).select_from(stmt.subquery()))
        table = qs.model._meta.table
        assert table is not None
        return Plan(apply_where(qs, sa.select(sa.func.count()).select_from(table), table, [0]))

    return cached_plan(qs.model, key, build), values


def exists_plan(qs: QuerySet[Any]) -> tuple[Plan, list[Any]]:
    qs = unordered(qs)
    values: list[Any] = []
    key = ("exists", shape(qs, values))

    def build() -> Plan:
        one: Any = sa.literal_column("1", sa.types.NULLTYPE)
        if is_windowed(qs):
            stmt = select_statement(qs, inner=True)[0]
            return Plan(sa.select(one).select_from(stmt.subquery()).limit(_ONE))
        table = qs.model._meta.table
        assert table is not None
        return Plan(apply_where(qs, sa.select(one).select_from(table), table, [0]).limit(_ONE))

    return cached_plan(qs.model, key, build), values


def aggregate_plan(qs: QuerySet[Any], items: dict[str, Aggregate]) -> tuple[Plan, list[Any]]:
    """The SELECT of ``aggregate()``. Values in parameter order: the queryset's (its
    conditions, or its subquery's), then each aggregate's ``filter`` and ``params()``."""
    qs = unordered(qs)
    meta = qs.model._meta
    values: list[Any] = []
    queryset_key = shape(qs, values)
    parts: list[tuple[str, Any, Any]] = []
    for alias, agg in items.items():
        condition = where_key(qs.model, agg.filter, values) if agg.filter is not None else None
        values.extend(agg.params())
        parts.append((alias, agg.key(), condition))
    key = ("aggregate", tuple(parts), queryset_key)

    def build() -> Plan:
        # Checked here, once per shape: a key is cached only once its plan was built.
        windowed = is_windowed(qs)
        _check_aggregates(meta, items, windowed)
        table = meta.table
        assert table is not None
        source: Any = table
        counter = [0]
        conditions = []
        if windowed:
            source = select_statement(qs, inner=True)[0].subquery()
            counter[0] = _queryset_values(qs)  # its parameters come first
        else:
            conditions = [where_clause(qs.model, table, q, counter) for q in qs._where]
        cols: list[Any] = []
        for alias, agg in items.items():
            column = None if agg.field == "*" else _aggregated_column(meta, source, agg.field)
            condition = None
            if agg.filter is not None:
                condition = where_clause(qs.model, table, agg.filter, counter)
            binds = [param(counter[0] + i) for i in range(len(agg.params()))]
            counter[0] += len(binds)
            order = [order_column(qs.model, table, o) for o in agg.ordering]
            cols.append(agg.expression(column, condition, binds, order).label(alias))
        stmt = sa.select(*cols).select_from(source)
        for condition in conditions:
            stmt = stmt.where(condition)
        return Plan(stmt)

    return cached_plan(qs.model, key, build), values


def _check_aggregates(meta: Any, items: dict[str, Aggregate], windowed: bool) -> None:
    for agg in items.values():
        for name in (agg.field, *agg.ordering):
            name = name.lstrip("-")
            if name != "*" and not meta.get_field(name).concrete:
                raise QueryError(f"{meta.model_name}.{name} has no column to aggregate")
        if agg.field != "*":
            agg.check(meta.get_field(agg.field))
        if windowed and (agg.filter is not None or agg.ordering):
            raise QueryError(
                f"{type(agg).__name__}(filter=..., ordering=...) cannot aggregate a sliced or "
                f"distinct queryset: filter the queryset instead"
            )


def _queryset_values(qs: QuerySet[Any]) -> int:
    """How many parameters the queryset's own SELECT takes."""
    values: list[Any] = []
    shape(qs, values)
    return len(values)


def _aggregated_column(meta: Any, source: Any, name: str) -> Any:
    attname = meta.get_field(name).attname
    if attname not in source.c:
        raise QueryError(
            f"{meta.model_name}.{name} is not among the selected fields "
            f"of the sliced queryset it aggregates"
        )
    return source.c[attname]
