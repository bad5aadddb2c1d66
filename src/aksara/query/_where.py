"""WHERE clauses of querysets: a condition tree (``Q``) as a shape key and as SQLAlchemy.

``where_key`` gives the shape of a condition (field paths, lookups and variants, never
values) and collects its values in parameter order; ``where_clause`` builds the condition
with bound parameters numbered in the same order. Conditions that cross a relation become
``EXISTS`` subqueries (see ``aksara.query._resolve``).
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara.exceptions import QueryError
from aksara.query._compile import param
from aksara.query._keys import key_tuple
from aksara.query._resolve import (
    Condition,
    Hop,
    RelatedCondition,
    exists_condition,
    path_column,
    plan_conditions,
    resolve,
)
from aksara.query.expressions import CombinedExpression, F, OuterRef, Q
from aksara.query.lookups.base import NO_TEXT

if TYPE_CHECKING:
    from aksara.models.base import Model


def where_key(model: type[Model], q: Q, values: list[Any]) -> Any:
    """The shape of condition ``q`` (values appended to ``values``, in parameter order)."""
    # The usual case first, on every query: no key crosses a relation.
    mark = len(values)
    parts: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(where_key(model, child, values))
            continue
        if type(child) is not tuple:
            parts.append(("condition", compile_condition[0](model, child, values)))
            continue
        # A (key, value) lookup (``cast()`` would cost a call on every query).
        pair: tuple[str, Any] = child  # pyright: ignore[reportUnknownVariableType]
        key, value = pair
        resolved = resolve(model, key)
        if isinstance(resolved, Hop):
            del values[mark:]
            return _related_where_key(model, q, values)
        parts.append(_leaf_key(key, value, resolved, values))
    return (q.connector, q.negated, tuple(parts))


#: How a condition of its own (``Exists(...)``, a SQLAlchemy expression) compiles: its
#: ``key(model, expr, values)`` and ``sql(model, table, expr, counter)``. Expressions are
#: compiled by ``aksara.query.annotations``, which imports this module and sets these.
compile_condition: list[Any] = [None, None]

#: The enclosing queries' ``(model, table)``, innermost last, while a subquery is built:
#: what ``OuterRef`` refers to.
outer_queries: ContextVar[tuple[tuple[Any, Any], ...]] = ContextVar("outer_queries", default=())

_COMPARISONS = {"exact": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

#: Filter values that are values only (exact types): no expression, reference or queryset.
PLAIN_VALUES = NO_TEXT | {str, type(None)}


def _leaf_key(key: str, value: Any, resolved: Any, values: list[Any]) -> Any:
    """The shape of one ``key=value`` condition; its parameters go to ``values``."""
    if type(value) not in PLAIN_VALUES:  # plain values, the usual case, need no test
        if isinstance(value, (F, CombinedExpression)):
            return (key, "expr", expression_key(value, values))
        if isinstance(value, OuterRef):
            _comparison(key, resolved, "OuterRef()")
            return (key, "outer", value.name)
        if getattr(value, "is_queryset", False):
            if resolved.lookup.name != "in":
                raise QueryError(f"{key}: a queryset is a value of an __in lookup only")
            return (key, "in-subquery", value.subquery_key(values))
    variant, params = resolved.lookup.prepare(resolved.output_field, value)
    values.extend(params)
    return (key, variant)


def _related_where_key(model: type[Model], q: Q, values: list[Any]) -> Any:
    parts: list[Any] = []
    for item in plan_conditions(model, q):
        if isinstance(item, Q):
            parts.append(where_key(model, item, values))
            continue
        if isinstance(item, RelatedCondition):
            parts.append(("rel", item.hop.relation.name, where_key(item.target, item.q, values)))
            continue
        if isinstance(item, Condition):
            parts.append(("condition", compile_condition[0](model, item.expression, values)))
            continue
        key, value, resolved = item
        if isinstance(resolved, Hop):
            parts.append((key, "exists", value))
            continue
        parts.append(_leaf_key(key, value, resolved, values))
    return (q.connector, q.negated, tuple(parts))


def where_clause(model: type[Model], table: Any, q: Q, counter: list[int]) -> Any:
    """Build the SQLAlchemy condition for ``q``; bound parameters numbered from ``counter``.

    ``plan_conditions`` walks ``q`` in the order ``where_key`` does, so parameter numbers
    match the order of the values.
    """
    clauses: list[Any] = []
    for item in plan_conditions(model, q):
        if isinstance(item, Q):
            clauses.append(where_clause(model, table, item, counter))
            continue
        if isinstance(item, RelatedCondition):
            build = partial(where_clause, item.target, q=item.q, counter=counter)
            clauses.append(exists_condition(item.hop.step, table, build, item.pk_only()))
            continue
        if isinstance(item, Condition):
            clauses.append(compile_condition[1](model, table, item.expression, counter))
            continue
        key, value, resolved = item
        if isinstance(resolved, Hop):
            # <relation>__isnull=True: no related row at all.
            exists = exists_condition(resolved.step, table, None)
            clauses.append(sa.not_(exists) if value else exists)
            continue
        column = resolved.column(table)
        if isinstance(value, (F, CombinedExpression)):
            op = _comparison(key, resolved, "F() expressions")
            rhs = expression_sql(model, table, value, counter)
            clauses.append(column.op(op, is_comparison=True)(rhs))
            continue
        if isinstance(value, OuterRef):
            op = _comparison(key, resolved, "OuterRef()")
            clauses.append(column.op(op, is_comparison=True)(outer_column(model, value)))
            continue
        if getattr(value, "is_queryset", False):
            # Not correlated: the same table inside keeps its own FROM.
            clauses.append(column.in_(value.subquery_select(counter).correlate(None)))
            continue
        variant, params = resolved.lookup.prepare(resolved.output_field, value)
        clauses.append(
            resolved.lookup.expression(column, resolved.output_field, variant, counter[0])
        )
        counter[0] += len(params)
    if not clauses:
        combined: Any = sa.true()
    elif len(clauses) == 1:
        combined = clauses[0]
    else:
        combined = sa.and_(*clauses) if q.connector == Q.AND else sa.or_(*clauses)
    return sa.not_(combined) if q.negated else combined


def _comparison(key: str, resolved: Any, what: str) -> str:
    """The SQL operator of a comparison with an expression (exact, gt, gte, lt, lte)."""
    op = _COMPARISONS.get(resolved.lookup.name)
    if op is None:
        raise QueryError(f"{key}: {what} work with exact/gt/gte/lt/lte only")
    return op


def outer_column(model: type[Model], ref: OuterRef) -> Any:
    """The enclosing query's column that ``ref`` names."""
    stack = outer_queries.get()
    if not stack:
        raise QueryError(f"{ref!r} is only valid inside Subquery() or Exists()")
    outer_model, outer_table = stack[-1]
    meta = outer_model._meta
    field = meta.pk if ref.name == "pk" else meta.get_field(ref.name)
    if field is meta.pk and meta.composite_pk:
        return key_tuple(meta, outer_table)
    if not field.concrete:
        raise QueryError(f"{ref!r}: {meta.model_name}.{ref.name} has no column")
    return outer_table.c[field.attname]


def expression_key(expr: Any, values: list[Any]) -> Any:
    if isinstance(expr, F):
        return ("F", expr.name)
    if isinstance(expr, CombinedExpression):
        return (expression_key(expr.lhs, values), expr.op, expression_key(expr.rhs, values))
    values.append(expr)
    return ("value", type(expr).__name__)


def expression_sql(model: type[Model], table: sa.Table, expr: Any, counter: list[int]) -> Any:
    if isinstance(expr, F):
        return path_column(model, table, expr.name)
    if isinstance(expr, CombinedExpression):
        lhs = expression_sql(model, table, expr.lhs, counter)
        rhs = expression_sql(model, table, expr.rhs, counter)
        return lhs.op(expr.op)(rhs)
    bind = param(counter[0], sa.literal(expr).type)
    counter[0] += 1
    return bind
