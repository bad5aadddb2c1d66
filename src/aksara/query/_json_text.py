"""JSON columns read as text when a SELECT loads instances.

A loaded list or dict needs a snapshot that changes made in place cannot reach, for
``save()`` to compare with. Reading the column as text gives one for nothing: the row
builder decodes the text (as the driver would have) and keeps the text itself as the
snapshot, which ``JSON.changed()`` decodes only when a save compares. Marshalling a copy
of every decoded value cost about as much as the rest of building a wide row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara.fields.special import JSON
from aksara.query._compile import JSONText

if TYPE_CHECKING:
    from aksara.models.options import Options
    from aksara.query.joins import JoinLayout
    from aksara.query.queryset import QuerySet


def json_as_text(
    qs: QuerySet[Any],
    stmt: Any,
    columns: list[Any],
    layout: JoinLayout | None,
    row_names: tuple[str, ...],
) -> tuple[Any, list[Any], JoinLayout | None, tuple[str, ...]]:
    """The SELECT with the instances' own JSON columns read as text (``CAST(col AS TEXT)``,
    typed ``JSONText``): the row builder decodes each, and keeps the text as the snapshot
    ``save()`` compares with, instead of marshalling a copy of every decoded value.

    Only in the select list of the outermost statement: WHERE, ORDER BY and the row locks
    still use the columns themselves. Not under DISTINCT or GROUP BY, where comparing text
    is not comparing JSON (``1.0`` and ``1.00`` are equal JSONB values). Not in a slice
    either: PostgreSQL computes the select list of every row that OFFSET skips (or a sort
    under LIMIT discards), so a page of 20 rows at offset 1,000 would convert 1,020 values
    to text, where the driver's binary read converts the 20 it is sent.
    """
    if (
        qs._mode != "instances"
        or qs._distinct
        or qs._group is not None
        or qs._combined
        or qs._limit is not None
        or qs._offset is not None
    ):
        return stmt, columns, layout, row_names
    count = len(qs._fields or qs.model._meta.attnames)
    read = as_text(qs.model._meta, columns, row_names[:count])
    if read is columns:
        return stmt, columns, layout, row_names
    return stmt.with_only_columns(*read), read, layout, row_names


def as_text(meta: Options, columns: list[Any], names: Sequence[str], start: int = 0) -> list[Any]:
    """``columns`` with those of the model's JSON fields ``names`` (from position ``start``)
    read as text; ``columns`` itself when there are none."""
    read = list(columns)
    for i, name in enumerate(names, start):
        # A column of the table or of a subquery; anything else is left as it is.
        if not (
            isinstance(meta.by_attname.get(name), JSON) and isinstance(columns[i], sa.ColumnClause)
        ):
            continue
        column = cast("sa.ColumnClause[Any]", columns[i])
        if type(column.type) is pg.JSONB:
            read[i] = sa.cast(column, JSONText()).label(name)
    return columns if all(a is b for a, b in zip(read, columns, strict=True)) else read
