"""The field an annotation's values are read and compared as (``output_field``)."""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara import fields
from aksara.exceptions import QueryError
from aksara.fields.relation_base import Relation
from aksara.query._resolve import path_field
from aksara.query._scope import annotation
from aksara.query.aggregates import Aggregate, Avg, Count, JSONBAgg, StdDev, StringAgg
from aksara.query.expressions import CombinedExpression, F, Value
from aksara.query.functions import Case, Exists, Func, Subquery, VectorValue, Window

if TYPE_CHECKING:
    from aksara.models.base import Model

_VALUE_FIELDS: list[tuple[type, type[fields.Field[Any, Any]]]] = [
    (bool, fields.Boolean),
    (int, fields.BigInteger),
    (float, fields.Float),
    (decimal.Decimal, fields.Decimal),
    (str, fields.Text),
    (datetime.datetime, fields.DateTime),
    (datetime.date, fields.Date),
]


def constant(value: Any) -> bool:
    return any(isinstance(value, kind) for kind, _ in _VALUE_FIELDS)


def output_field(model: type[Model], expr: Any) -> Any:
    """The field whose lookups and conversions apply to ``expr``'s values."""
    if isinstance(expr, Aggregate):
        return _aggregate_output(model, expr)
    if isinstance(expr, F):
        read = annotation(expr.name)  # an earlier annotation's expression, when in scope
        if read is not None:
            return output_field(model, read)
        return path_field(model, expr.name)
    if isinstance(expr, sa.ColumnElement):
        return _sqlalchemy_output(expr)
    if isinstance(expr, Window):
        return output_field(model, expr.expression)
    if isinstance(expr, Exists):
        return fields.Boolean()
    if isinstance(expr, Subquery):
        return _subquery_output(expr.queryset)
    if isinstance(expr, Case):
        if expr.output_field is not None:
            return expr.output_field
        for branch in (*(w.then for w in expr.whens), expr.default):
            if branch is not None:
                return output_field(model, branch)
        raise QueryError("Case() needs output_field= when every branch is None")
    if isinstance(expr, Func):
        if expr.output_field is not None:
            return expr.output_field
        if not expr.expressions:
            raise QueryError(f"{expr!r} needs output_field=")
        return output_field(model, expr.expressions[0])
    if isinstance(expr, CombinedExpression):
        sides = (expr.lhs, expr.rhs)
        if expr.op == "-" and all(
            isinstance(output_field(model, side), (fields.DateTime, fields.Date)) for side in sides
        ):
            return fields.Duration()  # due - created: a timedelta
        if any(isinstance(_plain(side), float) for side in sides):
            return fields.Float()
        for side in sides:
            if not isinstance(side, Value) and not constant(side):
                return output_field(model, side)
        return output_field(model, expr.lhs)
    if isinstance(expr, VectorValue):
        field = model._meta.get_field(expr.like)
        if not isinstance(field, fields.Vector):
            raise QueryError(f"{model._meta.model_name}.{expr.like} is not a Vector field")
        return field
    value = expr.value if isinstance(expr, Value) else expr
    if type(value) is int and -(2**31) <= value < 2**31:
        return fields.Integer()  # left(name, 3): PostgreSQL has no left(text, bigint)
    for kind, field_class in _VALUE_FIELDS:
        if isinstance(value, kind):
            return field_class()
    raise QueryError(f"Value({value!r}): no field type for {type(value).__name__}")


#: SQLAlchemy types and the fields they read as, most specific first.
_SQLALCHEMY_FIELDS: list[tuple[type, type[fields.Field[Any, Any]]]] = [
    (sa.Boolean, fields.Boolean),
    (sa.BigInteger, fields.BigInteger),
    (sa.Integer, fields.Integer),
    (sa.Float, fields.Float),
    (sa.Numeric, fields.Decimal),
    (sa.DateTime, fields.DateTime),
    (sa.Date, fields.Date),
    (sa.Interval, fields.Duration),
    (sa.String, fields.Text),
    (sa.JSON, fields.JSON),
    (sa.Uuid, fields.UUID),
]


def _sqlalchemy_output(expr: Any) -> Any:
    """The field a SQLAlchemy expression's values read as, by its type."""
    type_ = expr.type
    for kind, field_class in _SQLALCHEMY_FIELDS:
        if isinstance(type_, kind):
            return field_class()
    raise QueryError(
        f"{expr!r}: a SQLAlchemy expression of type {type(type_).__name__}; give it a type "
        f"(sqlalchemy.func.x(..., type_=sa.Float()) or ExpressionWrapper(expr, output_field=))"
    )


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Value) else value


def _subquery_output(qs: Any) -> Any:
    """The field of the one column a subquery selects."""
    meta = qs.model._meta
    if qs._mode == "instances":
        return meta.pk
    names: tuple[str, ...] = qs._fields or ()
    if len(names) != 1:
        raise QueryError(
            f"A subquery selects one column; this one selects {len(names) or 'every'}: "
            f"use values('field') or values_list('field', flat=True)"
        )
    name = names[0]
    annotated = dict(qs._annotations)
    if name in annotated:
        return output_field(qs.model, annotated[name])
    if "__" in name:
        from aksara.query.joins import column_path

        _, field, transforms = column_path(qs.model, name)
        return transforms[len(transforms) - 1].output_field if transforms else field
    return meta.by_attname.get(name) or meta.get_field(name)


def _aggregate_output(model: type[Model], agg: Aggregate) -> Any:
    if isinstance(agg, Count):
        return fields.BigInteger()
    if isinstance(agg, StringAgg):
        return fields.Text()
    if isinstance(agg, JSONBAgg):
        return fields.JSON()
    if isinstance(agg, (Avg, StdDev)):
        return fields.Float()
    first, _, rest = agg.field.partition("__")
    field = model._meta.get_field(first)
    if rest and isinstance(field, Relation):
        field = field.target()._meta.get_field(rest)
    if isinstance(field, fields.Integer):
        return fields.BigInteger()  # a sum of integers is a bigint
    return field
