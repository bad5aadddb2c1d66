"""The SQLAlchemy escape hatch: Core expressions inside aksara's querysets.

``filter()``, ``exclude()``, ``annotate()`` and ``order_by()`` take any SQLAlchemy
``ColumnElement`` built on the models' tables (``Post.c.views > 10``,
``sa.func.similarity(Post.c.title, "db")``, ``Post.c.created.desc()``). Such an element
joins the query's shape by SQLAlchemy's own cache key, which leaves out parameter values;
its values join the statement's parameters in order, and each of its bound parameters is
replaced by aksara's numbered one, so a cached plan serves every value. An expanding
``in_([...])`` becomes ``= ANY($n)`` with the list as one array parameter.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, UnaryExpression
from typing_extensions import TypeIs

from aksara import _sa_compat
from aksara.exceptions import QueryError
from aksara.query._compile import DIALECT, array_param, param


def is_sqlalchemy(value: Any) -> bool:
    """True for a SQLAlchemy column expression (a column, a comparison, a function call)."""
    return isinstance(value, sa.ColumnElement)


def _binds(element: Any) -> list[BindParameter[Any]]:
    """The element's bound parameters, each once, in a fixed traversal order."""
    seen: dict[int, BindParameter[Any]] = {}
    for item in visitors.iterate(element):
        if _is_bind(item) and id(item) not in seen:
            seen[id(item)] = item
    return list(seen.values())


def sqlalchemy_key(element: Any, values: list[Any]) -> Any:
    """The element's shape; its parameter values go to ``values``."""
    for bind in _binds(element):
        value = bind.effective_value
        if value is None and bind.required:
            raise QueryError(f"{bind!r} has no value: give SQLAlchemy expressions their values")
        values.append(list(value or ()) if bind.expanding else value)
    key = _sa_compat.cache_key(element)
    if key is None:  # not cacheable: its SQL text (with placeholders, never values) is its shape
        key = str(element.compile(dialect=DIALECT))
    return ("sqlalchemy", key)


def sqlalchemy_sql(element: Any, counter: list[int], table: Any = None) -> Any:
    """The element with aksara's numbered parameters in place of its own; its columns of
    ``table``'s table read from ``table`` when that is an alias (a subquery on the model
    of its enclosing query)."""
    binds = _binds(element)
    numbers = {id(b): counter[0] + i for i, b in enumerate(binds)}
    counter[0] += len(binds)

    def replace(element: Any, **kw: Any) -> Any:
        if _is_bind(element):
            return param(numbers[id(element)], element.type)
        if isinstance(element, BinaryExpression) and _expanding(element.right):
            if isinstance(element.right.type, sa.types.TupleType):
                raise QueryError(
                    "A tuple IN list is not supported in a SQLAlchemy condition: combine "
                    "conditions with sa.or_(sa.and_(...), ...) or Q objects"
                )
            array = array_param(numbers[id(element.right)], element.right.type)
            left: Any = visitors.replacement_traverse(element.left, {}, replace)
            if element.operator is operators.in_op:
                return left == sa.any_(array)
            if element.operator is operators.not_in_op:
                return left != sa.all_(array)
            raise QueryError(f"Unsupported use of a list parameter in {element!r}")
        return None

    root = cast("visitors.ExternallyTraversible", element)
    replaced: Any = visitors.replacement_traverse(root, {}, replace)
    if isinstance(table, sa.Alias):
        replaced = _sa_compat.adapt_to_alias(replaced, table)
    return replaced


def _is_bind(item: object) -> TypeIs[BindParameter[Any]]:
    return isinstance(item, BindParameter)


def _is_unary(item: object) -> TypeIs[UnaryExpression[Any]]:
    return isinstance(item, UnaryExpression)


def _expanding(item: Any) -> bool:
    return isinstance(item, BindParameter) and item.expanding


def order_parts(element: Any) -> tuple[Any, bool]:
    """``(expression, descending)`` of an ordering: ``Post.c.views.desc()`` → (views, True)."""
    if _is_unary(element) and element.modifier in (
        operators.desc_op,
        operators.asc_op,
    ):
        return element.element, element.modifier is operators.desc_op
    if _is_unary(element) and element.modifier in (
        operators.nulls_first_op,
        operators.nulls_last_op,
    ):
        raise QueryError(
            "order_by(): place NULLs with F('x').desc(nulls_last=True) or give the "
            "SQLAlchemy expression to last() without nulls_first()/nulls_last()"
        )
    return element, False


class SQLAlchemyOrder:
    """``order_by(Post.c.views.desc())``: a SQLAlchemy expression to order by, with a shape
    (its cache key and direction) and its parameter values."""

    __slots__ = ("element", "descending", "key", "params")

    def __init__(self, element: Any, descending: bool | None = None) -> None:
        expression, desc = order_parts(element)
        self.element = expression
        self.descending = desc if descending is None else descending
        self.params: list[Any] = []
        self.key = (sqlalchemy_key(expression, self.params), self.descending)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SQLAlchemyOrder) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"{self.element}{' DESC' if self.descending else ''}"

    def reversed(self) -> SQLAlchemyOrder:
        flipped = object.__new__(SQLAlchemyOrder)
        flipped.element, flipped.params = self.element, self.params
        flipped.descending = not self.descending
        flipped.key = (self.key[0], flipped.descending)
        return flipped

    def sql(self, counter: list[int], table: Any = None, built: Any = None) -> Any:
        column = sqlalchemy_sql(self.element, counter, table)
        return column.desc() if self.descending else column.asc()
