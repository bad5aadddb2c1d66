"""``annotate()``, ``alias()`` and ``order_by()`` of a queryset; ``QuerySet`` inherits them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import sqlalchemy as sa

from aksara.exceptions import QueryError
from aksara.query._part import M, QuerySetPart, R
from aksara.query._scope import in_scope
from aksara.query._sqlalchemy import SQLAlchemyOrder, is_sqlalchemy
from aksara.query.annotations import (
    annotation_key,
    annotation_sql,
    check_expression,
    check_name,
    has_window,
)
from aksara.query.expressions import Combinable, ExpressionOrdering, F

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.queryset import QuerySet

#: One ordering of a queryset: a field name (``"-views"``, an ``OrderBy``), an expression
#: (``Lower("name").desc()``) or a SQLAlchemy one (``Post.c.views.desc()``).
Ordering: TypeAlias = "str | ExpressionOrder | SQLAlchemyOrder"


#: The annotations of a queryset that has none (never changed).
_NOTHING: dict[str, Any] = {}


class Shaping(QuerySetPart[M, R]):
    """What a queryset computes per row and in which order."""

    __slots__ = ()

    if TYPE_CHECKING:  # what they use of the queryset
        model: type[M]
        _mode: str
        _fields: tuple[str, ...] | None
        _group: tuple[str, ...] | None
        _annotations: tuple[tuple[str, Any], ...]
        _aliases: frozenset[str]
        _combined: Any
        _for_update: Any
        _order: tuple[Ordering, ...] | None

        def _not_combined(self, method: str) -> None: ...
        def _clone(self) -> QuerySet[M, R]: ...

    def annotate(self, **expressions: Any) -> QuerySet[M, R]:
        """Named expressions selected with each row: ``annotate(n=Count("posts"))``.

        On instances they are attributes; in ``values()`` they are keys. After
        ``values("author")`` aggregates group the rows by those fields (GROUP BY). Filters
        on them come after ``annotate()`` (HAVING when grouped), ``order_by`` takes them,
        and later expressions read them as ``F("n")``.
        """
        return self._annotate("annotate", expressions, selected=True)

    def alias(self, **expressions: Any) -> QuerySet[M, R]:
        """Named expressions as ``annotate()`` makes them, for ``filter()``, ``order_by()``
        and later expressions only: never selected (``alias(n=Count("posts")).filter(n=0)``)."""
        return self._annotate("alias", expressions, selected=False)

    def _annotate(
        self, method: str, expressions: dict[str, Any], *, selected: bool
    ) -> QuerySet[M, R]:
        self._not_combined(method)
        grouped = self._group is not None or self._mode != "instances"
        known = dict(self._annotations)
        for name, expr in expressions.items():
            check_name(self.model, name)
            if name in known:
                raise QueryError(f"{method}(): {name!r} is already an annotation")
            with in_scope(known):
                check_expression(self.model, name, expr, grouped=grouped)
            known[name] = expr
        if self._for_update is not None and any(map(has_window, expressions.values())):
            raise QueryError("A windowed queryset cannot lock rows (FOR UPDATE)")
        clone = self._clone()
        clone._annotations = (*self._annotations, *expressions.items())
        if not selected:
            clone._aliases = self._aliases | frozenset(expressions)
        if grouped:
            if self._for_update is not None:
                raise QueryError("A grouped queryset cannot lock rows (FOR UPDATE)")
            clone._group = self._group if self._group is not None else self._fields or ()
            if selected:
                clone._fields = (*(self._fields or ()), *expressions)
        return clone

    def order_by(
        self, *fields: str | F | Combinable | ExpressionOrdering | sa.ColumnElement[Any]
    ) -> QuerySet[M, R]:
        """Order by field names; ``"-name"`` sorts descending, ``"?"`` randomly;
        ``F("due").desc(nulls_last=True)`` places NULLs; a SQLAlchemy expression
        (``Post.c.views.desc()``) orders by itself."""
        annotated = dict(self._annotations) if self._annotations else _NOTHING
        names = self.model._meta.fields
        specs: list[Ordering] = []
        for spec in fields:
            if type(spec) is not str:  # a name, the usual case, is checked below
                if is_sqlalchemy(spec) or isinstance(spec, SQLAlchemyOrder):
                    if self._combined is not None:
                        raise QueryError("A union orders by the names of its columns")
                    wrapped = spec if isinstance(spec, SQLAlchemyOrder) else SQLAlchemyOrder(spec)
                    specs.append(wrapped)
                    continue
                if isinstance(spec, (ExpressionOrdering, ExpressionOrder)) or (
                    isinstance(spec, Combinable) and not isinstance(spec, F)
                ):
                    if self._combined is not None:
                        raise QueryError("A union orders by the names of its columns")
                    if not isinstance(spec, ExpressionOrder):
                        ordering = spec if isinstance(spec, ExpressionOrdering) else spec.asc()
                        specs.append(ExpressionOrder(self.model, ordering, dict(self._annotations)))
                    else:
                        specs.append(spec)
                    continue
                spec = spec.name if isinstance(spec, F) else spec
            if not isinstance(spec, str):
                raise QueryError(f"order_by() takes field names or F(), got {spec!r}")
            if spec not in names:  # a field's own name, the usual case, is known
                name = spec.lstrip("-+")
                if spec != "?" and name not in annotated:
                    self.model._meta.get_field(name.split("__")[0])
            specs.append(spec)
        clone = self._clone()
        clone._order = tuple(specs)
        return clone


class ExpressionOrder:
    """``order_by(Lower("name").desc())``, ready to compile: the expression checked against
    the model, its shape (its key, direction and NULLs) and its parameter values."""

    __slots__ = ("model", "expression", "descending", "nulls", "annotations", "params", "key")

    def __init__(
        self, model: type[Model], ordering: ExpressionOrdering, annotations: dict[str, Any]
    ) -> None:
        self.model = model
        self.expression = ordering.expression
        self.descending = ordering.descending
        self.nulls = ordering.nulls
        self.annotations = annotations
        self.params: list[Any] = []
        with in_scope(annotations):
            check_expression(model, "order_by", self.expression, grouped=False)
            shape = annotation_key(model, self.expression, self.params)
        self.key = (shape, self.descending, self.nulls)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpressionOrder) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"{self.expression!r}{' DESC' if self.descending else ''}"

    def reversed(self) -> ExpressionOrder:
        """The opposite ordering, NULLs at the other end (as ``last()`` needs)."""
        flipped = ExpressionOrdering(
            self.expression, not self.descending, self.nulls == "last", self.nulls == "first"
        )
        return ExpressionOrder(self.model, flipped, self.annotations)

    def sql(self, counter: list[int], table: Any, built: dict[str, Any]) -> Any:
        with in_scope(self.annotations, built):
            column = annotation_sql(self.model, table, self.expression, counter)
        column = column.desc() if self.descending else column.asc()
        if self.nulls is not None:
            column = column.nulls_first() if self.nulls == "first" else column.nulls_last()
        return column
