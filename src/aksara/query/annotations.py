"""``annotate()``: named expressions selected beside a model's fields.

An annotation is an aggregate over a multi-valued relation (``Count("posts")``,
``Sum("posts__views", filter=Q(posts__published=True))``), an ``F()`` expression with
arithmetic, or a ``Value``. Without grouping, each relation aggregate is a correlated
scalar subquery of its own, so two of them never multiply each other (an author with 3
posts and 2 books gets 3 and 2). After ``values("author", ...)`` the query is grouped by
those fields and aggregates run over the grouped rows (own fields and forward paths).

Like conditions, an annotation has a shape (``annotation_key``: names, functions, lookups;
its values go to the statement's parameters in order) and a SQL expression
(``annotation_sql``, numbering its parameters in the same order). Names come from the
caller: each is checked against the model before any SQL is built and never reaches the SQL
text but as a quoted label.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from aksara import fields
from aksara._codegen import is_identifier
from aksara.exceptions import QueryError
from aksara.query import _where
from aksara.query._compile import param
from aksara.query._output import constant, output_field
from aksara.query._resolve import path_column, path_field
from aksara.query._scope import annotation, annotations_in_scope, compiled, in_scope
from aksara.query._sqlalchemy import is_sqlalchemy, sqlalchemy_key, sqlalchemy_sql
from aksara.query._where import outer_queries, where_clause, where_key
from aksara.query.aggregates import Aggregate
from aksara.query.expressions import Combinable, CombinedExpression, F, Q, Value
from aksara.query.functions import Case, Exists, Func, Subquery, VectorValue, Window
from aksara.query.lookups.base import query_value
from aksara.query.relation_aggregates import (
    JoinedRelation,
    aggregate_binds,
    aggregate_order,
    aggregate_source,
    filter_target,
    join_plan,
    joined_relation,
    relation_aggregate,
    strip,
)

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.joins import Joins
    from aksara.query.queryset import QuerySet


def check_name(model: type[Model], name: str) -> None:
    """An annotation's name: an identifier that hides nothing of the model."""
    meta = model._meta
    if not is_identifier(name) or name.startswith("_") or "__" in name:
        raise QueryError(f"annotate(): {name!r} is not a valid annotation name")
    if len(name.encode()) > 63:
        raise QueryError(f"annotate(): {name!r} is longer than PostgreSQL's 63-byte names")
    # What an instance would find (the class's attributes, not its metaclass's: Model.c).
    on_instances = any(name in vars(klass) for klass in model.__mro__)
    if name in meta.fields or name in meta.by_attname or on_instances or name == "pk":
        raise QueryError(
            f"annotate(): {name!r} conflicts with a field or attribute of {meta.model_name}"
        )


def check_expression(model: type[Model], name: str, expr: Any, *, grouped: bool) -> None:
    """Refuse, before any SQL, what ``annotate()`` cannot compute."""
    if isinstance(expr, Aggregate):
        aggregate_source(model, expr, grouped=grouped)
        return
    if is_sqlalchemy(expr):
        return  # built by the caller on the tables; aggregates after values() included
    if grouped and isinstance(expr, CombinedExpression):
        for side in (expr.lhs, expr.rhs):  # Sum("price") * 2, Sum("a") - Sum("b")
            if not constant(side) and not isinstance(side, Value):
                check_expression(model, name, side, grouped=True)
        return
    if grouped:
        raise QueryError(
            f"annotate({name}=...): after values(...) only aggregates can be annotated"
        )
    if isinstance(expr, F):
        if annotation(expr.name) is not None:
            if grouped and not isinstance(annotation(expr.name), Aggregate):
                raise QueryError(f"annotate({name}=...): after values(...) only aggregates")
            return
        field = path_field(model, expr.name)
        if not field.concrete:
            raise QueryError(f"{model._meta.model_name}.{expr.name} has no column")
        return
    if isinstance(expr, CombinedExpression):
        for side in (expr.lhs, expr.rhs):
            if not constant(side):  # F("rank") * 2: a plain number is a value
                check_expression(model, name, side, grouped=False)
        return
    if isinstance(expr, Value):
        output_field(model, expr)
        return
    if isinstance(expr, Func):
        for argument in expr.expressions:
            if not constant(argument):
                check_expression(model, name, argument, grouped=False)
        return
    if isinstance(expr, Subquery):
        output_field(model, expr)
        return
    if isinstance(expr, Window):
        _check_window(model, name, expr)
        return
    if isinstance(expr, Case):
        for when in expr.whens:
            _when_key(model, when.condition, [])  # unknown names raise here
            if not constant(when.then) and when.then is not None:
                check_expression(model, name, when.then, grouped=False)
        if expr.default is not None and not constant(expr.default):
            check_expression(model, name, expr.default, grouped=False)
        output_field(model, expr)
        return
    raise QueryError(
        f"annotate({name}=...) takes an aggregate, a function, F() or Value(), "
        f"got {type(expr).__name__}"
    )


def _check_window(model: type[Model], name: str, window: Window) -> None:
    meta = model._meta
    inner = window.expression
    if isinstance(inner, Aggregate):
        if inner.field != "*" and not meta.get_field(inner.field).concrete:
            raise QueryError(f"Window({inner!r}): {meta.model_name}.{inner.field} has no column")
        if inner.default is not None or inner.ordering:
            raise QueryError(f"Window({inner!r}): default= and ordering= are not supported here")
        if inner.filter is not None:
            where_key(model, inner.filter, [])
    else:
        check_expression(model, name, inner, grouped=False)
    for spec in (*window.partition_by, *window.order_by):
        if not meta.get_field(spec.lstrip("-")).concrete:
            raise QueryError(f"Window(): {meta.model_name}.{spec.lstrip('-')} has no column")


def filters_windows(qs: QuerySet[Any]) -> bool:
    """Whether a condition of ``qs`` is on an annotation with a window in it."""
    windows = {name for name, expr in qs._annotations if has_window(expr)}
    return any(key.partition("__")[0] in windows for q in qs._having for key in _keys(q))


def has_window(expr: Any) -> bool:
    """Whether ``expr`` is, or contains, a window (PostgreSQL filters those apart)."""
    if isinstance(expr, Window):
        return True
    if isinstance(expr, CombinedExpression):
        return has_window(expr.lhs) or has_window(expr.rhs)
    if isinstance(expr, Func):
        return any(has_window(a) for a in expr.expressions)
    return False


# -- shapes and values ----------------------------------------------------------------------------


def annotation_key(model: type[Model], expr: Any, values: list[Any]) -> Any:
    """The shape of ``expr``; its parameters go to ``values`` in the order SQL numbers them."""
    if isinstance(expr, Aggregate):
        condition = None
        if expr.filter is not None:
            target, prefix = filter_target(model, expr)
            on_target = strip(expr.filter, prefix) if prefix else expr.filter
            condition = where_key(target, on_target, values)
        values.extend(expr.params())
        return ("agg", expr.key(), condition)
    if isinstance(expr, F):
        return ("F", expr.name)  # a field, or an earlier annotation (its values counted once)
    if isinstance(expr, CombinedExpression):
        return (
            annotation_key(model, expr.lhs, values),
            expr.op,
            annotation_key(model, expr.rhs, values),
        )
    if isinstance(expr, Func):
        arguments = tuple(annotation_key(model, a, values) for a in expr.expressions)
        return ("func", expr.key(), arguments)
    if isinstance(expr, Subquery):
        return (type(expr).__name__, expr.queryset.subquery_key(values))
    if isinstance(expr, Window):
        inner = expr.expression
        if isinstance(inner, Aggregate):
            condition = where_key(model, inner.filter, values) if inner.filter is not None else None
            inner_key: Any = ("agg", inner.key(), condition)
        else:
            inner_key = annotation_key(model, inner, values)
        frame = expr.frame.key() if expr.frame is not None else None
        return ("window", inner_key, expr.partition_by, expr.order_by, frame)
    if isinstance(expr, Case):
        whens = tuple(
            (_when_key(model, w.condition, values), _optional_key(model, w.then, values))
            for w in expr.whens
        )
        default = _optional_key(model, expr.default, values)
        return ("case", whens, default, type(output_field(model, expr)).__name__)
    if isinstance(expr, VectorValue):
        field = output_field(model, expr)
        values.append(query_value(field, expr.value))  # checked: its dimensions, its numbers
        return ("vector", field.attname)
    if is_sqlalchemy(expr):
        return sqlalchemy_key(expr, values)
    if not isinstance(expr, Value) and not constant(expr):
        raise QueryError(f"Not an expression aksara can compute: {expr!r}")
    value = expr.value if isinstance(expr, Value) else expr
    values.append(value)
    return ("value", type(value).__name__, output_field(model, expr).sa_type().__class__.__name__)


def condition_key(model: type[Model], expr: Any, values: list[Any]) -> Any:
    """The shape of a condition of its own in ``filter()`` (``Exists(...)``, a boolean
    function, a SQLAlchemy condition)."""
    if not is_sqlalchemy(expr):
        check_expression(model, "filter", expr, grouped=False)
        if not isinstance(output_field(model, expr), fields.Boolean):
            raise QueryError(
                f"filter() takes Q(), keyword lookups and boolean expressions; "
                f"{expr!r} is not boolean"
            )
    return annotation_key(model, expr, values)


def condition_sql(model: type[Model], table: Any, expr: Any, counter: list[int]) -> Any:
    return annotation_sql(model, table, expr, counter)


_where.compile_condition[:] = [condition_key, condition_sql]

_ONE_DAY = sa.literal_column("interval '1 day'", sa.Interval())


def is_date_difference(model: type[Model], expr: CombinedExpression) -> bool:
    """Whether ``expr`` subtracts a date from a date (not datetimes)."""
    sides = [output_field(model, side) for side in (expr.lhs, expr.rhs)]
    return all(isinstance(f, fields.Date) for f in sides)


def _when_key(model: type[Model], q: Q, values: list[Any]) -> Any:
    """The shape of a ``When`` condition: on fields, or on annotations in scope."""
    exprs = annotations_in_scope()
    if exprs and on_annotations(q, exprs):
        return ("on annotations", _condition(model, exprs, q, values, None, None))
    return where_key(model, q, values)


def _when_sql(model: type[Model], table: Any, q: Q, counter: list[int]) -> Any:
    exprs = annotations_in_scope()
    if exprs and on_annotations(q, exprs):
        built = {name: compiled(name) for name in exprs if compiled(name) is not None}
        return _condition(model, exprs, q, [], built, counter)
    return where_clause(model, table, q, counter)


def _optional_key(model: type[Model], expr: Any, values: list[Any]) -> Any:
    return None if expr is None else annotation_key(model, expr, values)


# -- SQL --------------------------------------------------------------------------------------------


class Annotations:
    """A queryset's annotations as SQL: by name, labelled for the select list, and the joins
    of a grouped query (its aggregates', its grouped fields' and its ordering's)."""

    __slots__ = ("expressions", "labelled", "joins", "joined")

    def __init__(self) -> None:
        self.expressions: dict[str, Any] = {}
        self.labelled: dict[str, Any] = {}
        self.joins: Joins | None = None
        #: The one relation the aggregates read, joined (the query groups by primary key).
        self.joined: JoinedRelation | None = None


def used_annotations(qs: QuerySet[Any]) -> tuple[tuple[str, Any], ...]:
    """The annotations the query needs: those selected (every one but the aliases on
    instances; the named ones in ``values()``), filtered on or ordered by, and those they
    read (``F("n")``). The others would leave values without a place in the SQL."""
    if not qs._annotations:
        return ()
    if qs._mode == "instances":
        used = {name for name, _ in qs._annotations if name not in qs._aliases}
        if len(used) == len(qs._annotations):
            return qs._annotations
    else:
        used = set(qs._fields or ())
    used.update(key.partition("__")[0] for q in qs._having for key in _keys(q))
    for spec in qs._ordering():
        if isinstance(spec, str):
            used.add(spec.lstrip("-+"))
        else:  # an expression ordering (F("n") * 2).desc() reads what its expression reads
            used.update(_names_read(getattr(spec, "expression", None)))
    exprs = dict(qs._annotations)
    for name, expr in reversed(qs._annotations):  # a later one reads only earlier ones
        if name in used:
            used.update(n for n in _names_read(expr) if n in exprs)
    return tuple((name, expr) for name, expr in qs._annotations if name in used)


def _names_read(expr: Any) -> Any:
    """The names ``expr`` reads with ``F()`` (fields or annotations)."""
    if isinstance(expr, F):
        yield expr.name
    elif isinstance(expr, CombinedExpression):
        yield from _names_read(expr.lhs)
        yield from _names_read(expr.rhs)
    elif isinstance(expr, Func):
        for argument in expr.expressions:
            yield from _names_read(argument)
    elif isinstance(expr, Case):
        for when in expr.whens:
            yield from (key.partition("__")[0] for key in _keys(when.condition))
        for part in (*(w.then for w in expr.whens), expr.default):
            yield from _names_read(part)
    elif isinstance(expr, Window):
        yield from _names_read(expr.expression)


def build_annotations(qs: QuerySet[Any], table: Any, counter: list[int]) -> Annotations:
    """The SQL of ``qs``'s annotations, numbering their parameters first (as ``shape`` puts
    their values first)."""
    built = Annotations()
    if not qs._annotations:
        return built
    grouped = qs._group is not None
    if grouped:
        from aksara.query.joins import Joins

        built.joins = Joins(qs.model, table)
    used = used_annotations(qs)
    built.joined = join_plan(qs, used, table)
    token = joined_relation.set(built.joined)
    try:
        with in_scope(dict(qs._annotations), built.expressions):  # F("n"): earlier ones
            for name, expr in used:
                sql = annotation_sql(qs.model, table, expr, counter, built.joins, grouped=grouped)
                built.expressions[name] = sql
                built.labelled[name] = sql.label(name)
    finally:
        joined_relation.reset(token)
    return built


def check_condition(model: type[Model], annotations: dict[str, Any], q: Q) -> None:
    """Refuse, before any SQL, a condition on annotations that cannot be built."""
    with in_scope(annotations):
        _condition(model, annotations, q, [], None, None)


def having_key(qs: QuerySet[Any], values: list[Any]) -> Any:
    """The shape of the conditions on annotations; their values go to ``values``."""
    exprs = dict(qs._annotations)
    with in_scope(exprs):
        return tuple(_condition(qs.model, exprs, q, values, None, None) for q in qs._having)


def having_clause(qs: QuerySet[Any], table: Any, built: dict[str, Any], counter: list[int]) -> Any:
    """The conditions on annotations as SQL (HAVING when grouped, WHERE otherwise)."""
    exprs = dict(qs._annotations)
    with in_scope(exprs, built):
        return sa.and_(*(_condition(qs.model, exprs, q, [], built, counter) for q in qs._having))


def _condition(
    model: type[Model],
    exprs: dict[str, Any],
    q: Q,
    values: list[Any],
    built: dict[str, Any] | None,
    counter: list[int] | None,
) -> Any:
    """Walk ``q`` once: its shape (``built`` None) or its SQL (numbered from ``counter``)."""
    parts: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(_condition(model, exprs, child, values, built, counter))
            continue
        if type(child) is not tuple:
            raise QueryError("A condition on annotations takes lookups on them only")
        key, value = cast("tuple[str, Any]", child)
        if isinstance(value, Combinable):  # n__gt=F("m"), rank__lt=F("n") * 2
            parts.append(_compared(model, exprs, key, value, values, built, counter))
            continue
        name, _, lookup_name = key.partition("__")
        field = output_field(model, exprs[name])
        if getattr(field, "model", None) is None:  # a field of its own: named for messages
            field.name = field.attname = name
            field.model = model
        lookup = field.get_lookup(lookup_name or "exact")
        if lookup is None:
            raise QueryError(f"{name}: no lookup {lookup_name!r} on an annotation of this type")
        variant, params = lookup.prepare(field, value)
        if built is None:
            values.extend(params)
            parts.append((name, lookup.name, variant))
        else:
            assert counter is not None
            # Typed as the annotation's field: a count's values are bigints, not integers.
            column = sa.type_coerce(built[name], field.sa_type())
            parts.append(lookup.expression(column, field, variant, counter[0]))
            counter[0] += len(params)
    if built is None:
        return (q.connector, q.negated, tuple(parts))
    combined = sa.and_(*parts) if q.connector == Q.AND else sa.or_(*parts)
    return sa.not_(combined) if q.negated else combined


_OPERATORS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _compared(
    model: type[Model],
    exprs: dict[str, Any],
    key: str,
    value: Any,
    values: list[Any],
    built: dict[str, Any] | None,
    counter: list[int] | None,
) -> Any:
    """An annotation or a field compared with an expression that reads annotations
    (``F("n")``): its shape, or its SQL with the annotations as built."""
    name, _, lookup_name = key.partition("__")
    operator = _OPERATORS.get(lookup_name or "exact")
    if operator is None or "__" in lookup_name:
        raise QueryError(f"{key}: an expression is compared with exact/gt/gte/lt/lte only")
    if built is None:
        if name not in exprs:
            path_field(model, name)  # an unknown field raises here
        check_expression(model, "filter", value, grouped=False)
        return (name, operator, annotation_key(model, value, values))
    assert counter is not None
    left = built[name] if name in exprs else path_column(model, model._meta.table, name)
    right = annotation_sql(model, model._meta.table, value, counter)
    return left.op(operator, is_comparison=True)(right)


def annotation_sql(
    model: type[Model],
    table: Any,
    expr: Any,
    counter: list[int],
    joins: Joins | None = None,
    *,
    grouped: bool = False,
) -> Any:
    """The SQL expression of ``expr``; its parameters numbered from ``counter``."""
    if isinstance(expr, Aggregate):
        source = aggregate_source(model, expr, grouped=grouped)
        if source[0] == "relation":
            return relation_aggregate(
                model, table, expr, source[1], source[2], counter, grouped=grouped
            )
        column = None if source[1] == "*" else _row_column(model, table, source[1], joins)
        condition = None
        if expr.filter is not None:
            condition = where_clause(model, table, expr.filter, counter)
        binds = aggregate_binds(expr, counter)
        order = [aggregate_order(model, table, o) for o in expr.ordering]
        return expr.expression(column, condition, binds, order)
    if isinstance(expr, F):
        built = compiled(expr.name)
        return built if built is not None else path_column(model, table, expr.name)
    if isinstance(expr, CombinedExpression):
        lhs = annotation_sql(model, table, expr.lhs, counter, joins, grouped=grouped)
        rhs = annotation_sql(model, table, expr.rhs, counter, joins, grouped=grouped)
        if expr.op == "-" and is_date_difference(model, expr):
            # date - date is a number of days in PostgreSQL; as an interval it reads as a
            # timedelta, as datetime - datetime does (Django's spelling too).
            days = _ONE_DAY.op("*")(lhs.op("-")(rhs))
            return sa.type_coerce(days, fields.Duration().sa_type())
        return lhs.op(expr.op)(rhs)
    if is_sqlalchemy(expr):
        return sqlalchemy_sql(expr, counter, table)
    if isinstance(expr, Func):
        arguments = [
            annotation_sql(model, table, a, counter, joins, grouped=grouped)
            for a in expr.expressions
        ]
        return expr.sql(arguments, output_field(model, expr).sa_type())
    if isinstance(expr, Window):
        return _window_sql(model, table, expr, counter)
    if isinstance(expr, Subquery):
        stack = (*outer_queries.get(), (model, table))
        token = outer_queries.set(stack)
        inner_model = expr.queryset.model
        # On a model of an enclosing query, the subquery reads an alias of its table.
        own = inner_model._meta.table.alias() if any(m is inner_model for m, _ in stack) else None
        try:
            select = expr.queryset.subquery_select(counter, own).correlate(table)
        finally:
            outer_queries.reset(token)
        if isinstance(expr, Exists):
            return select.exists()
        return select.scalar_subquery()
    if isinstance(expr, Case):
        type_ = output_field(model, expr).sa_type()
        branches: list[tuple[Any, Any]] = []
        for when in expr.whens:
            condition = _when_sql(model, table, when.condition, counter)
            branches.append((condition, _case_value(model, table, when.then, counter, type_)))
        default = _case_value(model, table, expr.default, counter, type_)
        return sa.type_coerce(sa.case(*branches, else_=default), type_)
    if not isinstance(expr, Value) and not constant(expr):
        raise QueryError(f"Not an expression aksara can compute: {expr!r}")
    bind = param(counter[0], output_field(model, expr).sa_type())
    counter[0] += 1
    return bind


def _window_sql(model: type[Model], table: Any, window: Window, counter: list[int]) -> Any:
    meta = model._meta
    inner = window.expression
    if isinstance(inner, Aggregate):
        column = None if inner.field == "*" else table.c[meta.get_field(inner.field).attname]
        condition = None
        if inner.filter is not None:
            condition = where_clause(model, table, inner.filter, counter)
        call = inner.expression(column, condition, aggregate_binds(inner, counter), [])
    else:
        call = annotation_sql(model, table, inner, counter)
    partition = [table.c[meta.get_field(n).attname] for n in window.partition_by]
    order = [aggregate_order(model, table, spec) for spec in window.order_by]
    options: dict[str, Any] = {}
    if window.frame is not None:
        kind = "rows" if window.frame.kind == "rows" else "range_"
        options[kind] = (window.frame.start, window.frame.end)
    return call.over(partition_by=partition or None, order_by=order or None, **options)


def _case_value(model: type[Model], table: Any, expr: Any, counter: list[int], type_: Any) -> Any:
    """A branch's value: NULL of the case's type for None, else the expression."""
    if expr is None:
        return None
    if isinstance(expr, Value) or constant(expr):
        bind = param(counter[0], type_)  # typed as the case, so every branch agrees
        counter[0] += 1
        return bind
    return annotation_sql(model, table, expr, counter)


def _row_column(model: type[Model], table: Any, path: str, joins: Joins | None) -> Any:
    if "__" in path:
        assert joins is not None
        return joins.column(model, path)
    return table.c[model._meta.get_field(path).attname]


# -- reading ------------------------------------------------------------------------------------


def on_annotations(q: Q, annotations: dict[str, Any]) -> bool:
    """Whether condition ``q`` is on annotations (all its keys, or values reading them:
    ``rank__lt=F("n")``) or on fields (none of them)."""
    keys = list(_keys(q))
    reading = _reads_annotations(q, annotations)
    on = [reading or key.partition("__")[0] in annotations for key in keys]
    if any(on) and not all(on):
        raise QueryError(
            "A condition mixes annotations and fields: filter on each in a call of its own"
        )
    return bool(on) and on[0]


def _reads_annotations(q: Q, annotations: dict[str, Any]) -> bool:
    """Whether a value of ``q`` is an expression reading an annotation."""
    for child in q.children:
        if isinstance(child, Q):
            if _reads_annotations(child, annotations):
                return True
        elif type(child) is tuple and isinstance(child[1], Combinable):
            if any(n in annotations for n in _names_read(child[1])):
                return True
    return False


def _keys(q: Q) -> Any:
    for child in q.children:
        if isinstance(child, Q):
            yield from _keys(child)
        elif type(child) is tuple:
            yield child[0]
        else:
            yield ""  # a condition of its own (Exists, SQLAlchemy): on the rows' fields
