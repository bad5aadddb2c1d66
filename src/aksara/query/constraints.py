"""``Meta.constraints`` and ``Meta.indexes`` compiled onto a model's table.

A condition (``Q(...)``) compiles as ``filter()`` compiles it, and an expression
(``Lower("email")``) as ``annotate()`` does; their values then become literals of the DDL
(SQLAlchemy renders and escapes them: they come from the model's declaration, never from a
caller). A condition is on the model's own fields: a constraint cannot look at other rows
through a relation. Everything is checked when the class is made, so a bad name raises
there, with the model and the name.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.sql import visitors

from aksara import _sa_compat
from aksara._typing import NOT_PROVIDED
from aksara.exceptions import ConfigurationError, FieldError, QueryError
from aksara.fields.base import is_db_expression
from aksara.models.constraints import CheckConstraint, ExclusionConstraint, UniqueConstraint
from aksara.query._where import where_clause, where_key
from aksara.query.annotations import annotation_key, annotation_sql, check_expression
from aksara.query.expressions import F, Q

if TYPE_CHECKING:
    from aksara.models.base import Model


def attach(model: type[Model]) -> None:
    """Add the model's declared constraints, its indexes with conditions or expressions, and
    its columns' database-computed values (``db_default=Now()``, ``generated=...``), to its
    table."""
    meta = model._meta
    table = meta.table
    assert table is not None
    for field in meta.concrete_fields:
        generated = field.generated is not NOT_PROVIDED
        expression = field.generated if generated else field.db_default
        if generated or (expression is not NOT_PROVIDED and is_db_expression(expression)):
            try:
                (sql,) = _elements(model, table, (), (expression,))
            except (QueryError, ConfigurationError) as error:
                raise ConfigurationError(f"{meta.model_name}.{field.name}: {error}") from None
            _sa_compat.set_column_default(table.c[field.attname], sql, generated=generated)
    for constraint in meta.constraints:
        with _declared(f"{meta.model_name}.Meta.constraints {constraint.name!r}"):
            _attach(model, table, constraint)
    for index in meta.indexes:
        if index.compiled_by_query:
            with _declared(f"{meta.model_name}.Meta.indexes {index.name!r}"):
                _attach_index(model, table, index)
    _check_index_names(model, table)


def _check_index_names(model: type[Model], table: sa.Table) -> None:
    """Indexes (and the unique constraints PostgreSQL makes indexes of) share one namespace
    per schema: a name another model's table uses already is refused here, not by
    ``create_all()`` or a migration."""
    assert table.metadata is not None
    names = {str(i.name) for i in table.indexes if i.name}
    names |= {
        str(c.name) for c in table.constraints if isinstance(c, sa.UniqueConstraint) and c.name
    }
    for other in table.metadata.tables.values():
        if other is table:
            continue
        taken = {str(i.name) for i in other.indexes if i.name}
        taken |= {
            str(c.name) for c in other.constraints if isinstance(c, sa.UniqueConstraint) and c.name
        }
        clash = names & taken
        if clash:
            raise ConfigurationError(
                f"{model._meta.model_name}: the index name {sorted(clash)[0]!r} is used by table "
                f"{other.name!r} already; PostgreSQL names indexes per schema: choose another"
            )


@contextmanager
def _declared(where: str) -> Generator[None, None, None]:
    """A declaration that cannot be built is a ``ConfigurationError`` saying ``where`` (an
    unknown field stays the ``FieldError`` naming model, name and choices)."""
    try:
        yield
    except FieldError:
        raise
    except (QueryError, ConfigurationError) as error:
        raise ConfigurationError(f"{where}: {error}") from None


def _attach(model: type[Model], table: sa.Table, constraint: Any) -> None:
    meta = model._meta
    if isinstance(constraint, CheckConstraint):
        table.append_constraint(
            sa.CheckConstraint(
                condition_sql(model, table, constraint.condition), name=constraint.name
            )
        )
        return
    if isinstance(constraint, UniqueConstraint):
        nulls: dict[str, Any] = (
            {}
            if constraint.nulls_distinct is None
            else {"postgresql_nulls_not_distinct": not constraint.nulls_distinct}
        )
        include = [meta.get_field(f).attname for f in constraint.include]
        if not constraint.is_index:
            columns = [_column(model, table, f) for f in constraint.fields]
            deferrable = constraint.deferrable
            if include:
                nulls["postgresql_include"] = include
            table.append_constraint(
                sa.UniqueConstraint(
                    *columns,
                    name=constraint.name,
                    deferrable=deferrable is not None or None,
                    initially=deferrable.value if deferrable is not None else None,
                    **nulls,
                )
            )
            return
        elements = _elements(model, table, constraint.fields, constraint.expressions)
        options: dict[str, Any] = {"unique": True, **nulls}
        if include:
            options["postgresql_include"] = include
        if constraint.condition is not None:
            options["postgresql_where"] = condition_sql(model, table, constraint.condition)
        sa.Index(constraint.name, *elements, _table=table, **options)
        return
    assert isinstance(constraint, ExclusionConstraint)
    pairs: list[tuple[Any, str]] = []
    for expression, operator in constraint.expressions:
        (element,) = _elements(model, table, (), (expression,))
        pairs.append((element, operator))
    where = None
    if constraint.condition is not None:
        where = condition_sql(model, table, constraint.condition)
    table.append_constraint(
        pg.ExcludeConstraint(*pairs, name=constraint.name, using=constraint.index_type, where=where)
    )


def _attach_index(model: type[Model], table: sa.Table, index: Any) -> None:
    elements: list[Any] = _elements(model, table, index.fields, index.expressions)
    if index.opclasses:  # an expression's operator class goes by its label
        elements = [
            e if isinstance(e, sa.Column) else e.label(f"expr_{i}") for i, e in enumerate(elements)
        ]
    options = index.options(model._meta, elements)
    if index.condition is not None:
        options["postgresql_where"] = condition_sql(model, table, index.condition)
    name = index.index_name(table, [e for e in elements if isinstance(e, sa.Column)])
    sa.Index(name, *elements, _table=table, **options)


def _column(model: type[Model], table: sa.Table, name: str) -> sa.Column[Any]:
    field = model._meta.get_field(name)
    if not field.concrete:
        raise ConfigurationError(f"{model._meta.model_name}.{name} has no column")
    return table.c[field.attname]


def _elements(
    model: type[Model], table: sa.Table, fields: tuple[str, ...], expressions: tuple[Any, ...]
) -> list[Any]:
    """Columns of ``fields``, then the SQL of ``expressions`` with their values as literals."""
    elements: list[Any] = [_column(model, table, f) for f in fields]
    for expression in expressions:
        if isinstance(expression, str):
            elements.append(_column(model, table, expression))
            continue
        if isinstance(expression, F):
            elements.append(_column(model, table, expression.name))
            continue
        check_expression(model, "constraint", expression, grouped=False)
        values: list[Any] = []
        annotation_key(model, expression, values)
        sql = annotation_sql(model, table, expression, [0])
        elements.append(_bound(sql, values))
    return elements


def condition_sql(model: type[Model], table: sa.Table, condition: Any) -> Any:
    """A condition on the model's own fields as SQL with its values bound (literals in DDL)."""
    if not isinstance(condition, Q):
        raise ConfigurationError(f"a condition is a Q(...), got {condition!r}")
    values: list[Any] = []
    where_key(model, condition, values)
    clause = where_clause(model, table, condition, [0])
    if any(isinstance(e, sa.Select) for e in visitors.iterate(clause)):
        raise ConfigurationError(
            f"the condition {condition!r} looks at related rows; a constraint's condition is "
            f"on the model's own fields"
        )
    return _bound(clause, values)


#: The values a condition of DDL may hold: those SQLAlchemy renders as literals faithfully.
_LITERALS = (
    str,
    int,
    float,
    decimal.Decimal,
    bool,
    dt.date,
    dt.time,
    dt.timedelta,
    uuid.UUID,
    enum.Enum,
)


def _literal(value: Any) -> bool:
    if value is None or isinstance(value, _LITERALS):
        return True
    items = cast("Sequence[Any]", value)  # a list or tuple of anything, checked one by one
    return isinstance(value, (list, tuple)) and bool(items) and all(map(_literal, items))


def _bound(clause: sa.ColumnElement[Any], values: list[Any]) -> Any:
    """``clause`` with parameter ``p<i>`` given ``values[i]``; literal_execute, so that DDL
    and the index's definition show the value itself."""
    for value in values:
        if not _literal(value):
            raise ConfigurationError(
                f"a constraint's condition or expression cannot hold {value!r} "
                f"({type(value).__name__}): only text, numbers, booleans, dates, times, UUIDs "
                f"and non-empty lists of them are written into DDL"
            )

    def bind(element: Any, **kw: Any) -> Any:
        if isinstance(element, sa.BindParameter) and element.key.startswith("p"):
            index = int(element.key[1:])
            type_ = cast(Any, element).type  # BindParameter's type argument reads as unknown
            return sa.literal(values[index], type_, literal_execute=True)
        return None

    bound = visitors.replacement_traverse(clause, {}, bind)
    try:  # a type SQLAlchemy writes no literal of (JSON, INET) fails here, not at create_all
        bound.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True})
    except sa_exc.CompileError as error:
        raise ConfigurationError(f"its values cannot be written into DDL ({error})") from None
    return bound


_DIALECT = pg.dialect()  # type: ignore[no-untyped-call]
