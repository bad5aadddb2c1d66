"""The value rows already in a table get when a required column is added to it.

A generated migration adds such a column with this SQL as a temporary server default (see
``autogenerate.process_revision_directives``). The SQL is a literal of the column's type,
rendered by SQLAlchemy, or the value's PostgreSQL text form cast to the type where the type
has no literal (``inet``, ``bytea``, ``vector``, JSON, NaN). It is written into the
migration as ``sa.text(...)``, with colons escaped so no part of a value reads as a bind
parameter.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from alembic.util import warn
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import asyncpg

from aksara._typing import NOT_PROVIDED
from aksara.fields.base import COLUMN_FIELD

#: asyncpg's dialect: its literals are what PostgreSQL reads (psycopg2's doubles every ``%``).
_DIALECT = asyncpg.dialect()  # type: ignore[no-untyped-call]


def existing_rows_sql(column: sa.Column[Any]) -> sa.TextClause | None:
    """The server default that fills a new required column's existing rows, or None (the
    column is nullable, has a server default, or its field has no default rows can share)."""
    if column.nullable or column.server_default is not None or column.primary_key:
        return None
    field = column.info.get(COLUMN_FIELD)
    if field is None:
        return None
    value = field.existing_rows_default()
    if value is NOT_PROVIDED:
        return None
    sql = _render(value, column.type)
    if sql is None:
        warn(
            f"{field!r}: its default cannot be written as SQL, so the column "
            f"{column.table.name}.{column.name} is added without one; on a table with rows, "
            "add it nullable, fill it, then make it required"
        )
        return None
    return sa.text(sql.replace(":", "\\:"))


def _render(value: Any, type_: sa.types.TypeEngine[Any]) -> str | None:
    candidates: list[sa.ColumnElement[Any] | None] = (
        [value]
        if isinstance(value, sa.ColumnElement)
        else [_literal(value, type_), sa.cast(sa.literal(_text(value, type_), sa.Text()), type_)]
    )
    for expression in candidates:
        if expression is None:
            continue
        try:
            return str(expression.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
        except (sa_exc.CompileError, NotImplementedError, TypeError, ValueError):
            continue
    return None


def _literal(value: Any, type_: sa.types.TypeEngine[Any]) -> sa.ColumnElement[Any] | None:
    """A literal of the column's type; None where its text form is what must be cast."""
    if isinstance(type_, sa.JSON) or isinstance(value, (bytes, memoryview)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None  # 'NaN', 'Infinity': only their quoted text form reads as a number
    if isinstance(type_, sa.ARRAY):
        array_type = cast("sa.ARRAY[Any]", type_)
        return sa.cast(sa.literal(value, array_type), array_type)  # ARRAY[] alone has no type
    return sa.literal(value, type_)


def _text(value: Any, type_: sa.types.TypeEngine[Any]) -> str:
    """The value as PostgreSQL's input text for its type."""
    if isinstance(type_, sa.JSON):
        return json.dumps(value)
    if isinstance(value, (bytes, memoryview)):
        return "\\x" + bytes(cast("bytes | memoryview[Any]", value)).hex()
    if isinstance(value, dt.timedelta):
        return f"{value.days} days {value.seconds} seconds {value.microseconds} microseconds"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, (list, tuple)):
        numbers = cast("Sequence[Any]", value)
        return "[" + ",".join(repr(float(v)) for v in numbers) + "]"  # a vector
    return str(value)
