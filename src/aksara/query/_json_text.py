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
from sqlalchemy.exc import InvalidRequestError

from aksara import _json
from aksara.db.database import ENGINE_HOOKS, Database
from aksara.fields.special import JSON
from aksara.query._compile import DecodedJSONText, JSONText

#: False once a database decodes JSON with a ``json_deserializer`` of its own (see
#: ``use_driver_decoding``): the driver then decodes every JSON value, as configured.
enabled = True


def use_driver_decoding() -> None:
    """Read JSON through the driver from now on (an engine given ``json_deserializer=``):
    the text reads decode with ``json.loads``, which would bypass it. Cached statements of
    every model are dropped, so none still reads JSON as text."""
    global enabled
    if not enabled:
        return
    enabled = False
    from aksara.registry import registry

    for model in list(registry.models.values()):
        model._meta.plans.clear()


def _engine_options(database: Database) -> None:
    if getattr(database.dialect, "_json_deserializer", None) not in (None, _json.loads):
        use_driver_decoding()


ENGINE_HOOKS.append(_engine_options)


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
    *,
    paged: bool = True,
) -> tuple[Any, list[Any], JoinLayout | None, tuple[str, ...]]:
    """The SELECT with the model's own JSON columns read as text (``CAST(col AS TEXT)``):
    for instances (typed ``JSONText``) the row builder decodes each and keeps the text as the
    snapshot ``save()`` compares with, instead of marshalling a copy of every decoded value;
    for ``values()`` and ``values_list()`` (typed ``DecodedJSONText``) the row converter
    calls ``json.loads`` on the text, where the driver's binary read runs a Python function
    per value before it.

    Only in the select list of the outermost statement: WHERE, ORDER BY and the row locks
    still use the columns themselves. Not under DISTINCT or GROUP BY, where comparing text
    is not comparing JSON (``1.0`` and ``1.00`` are equal JSONB values).

    With OFFSET or an ordered LIMIT, PostgreSQL computes the select list of every row that
    OFFSET skips or that a sort under LIMIT discards: a page of 20 rows at offset 1,000
    would convert 1,020 values to text. So the page is a subquery and the casts are the
    select list around it, computed for the rows returned only::

        SELECT q.id, CAST(q.doc AS TEXT) AS anon_1
        FROM (SELECT doc.id, doc.doc FROM doc ORDER BY doc.id LIMIT 20 OFFSET $1) AS q

    as a folded ``prefetch_related`` reads its page (``aksara.query._fold``): the rows keep
    the subquery's order. (A LIMIT alone, as in ``get()``, stops the rows it does not
    return.) Row locks stay on the statement itself, its JSON read through the driver, and
    so does a statement that must not be wrapped (not ``paged``: ``fetch_with_count()``'s),
    or whose columns cannot all keep their names in a subquery (a label that is also the
    name of a joined column, a column selected twice under one name).
    """
    if not enabled or qs._distinct or qs._group is not None or qs._combined:
        return stmt, columns, layout, row_names
    meta = qs.model._meta
    count = len(qs._fields or meta.attnames)
    text = JSONText if qs._mode == "instances" else DecodedJSONText
    if qs._offset is None and (qs._limit is None or not qs._ordering()):
        read = as_text(meta, columns, row_names[:count], text=text)
        if read is columns:
            return stmt, columns, layout, row_names
        return stmt.with_only_columns(*read), read, layout, row_names
    if (
        not paged
        or qs._for_update is not None
        or not any(isinstance(meta.by_attname.get(name), JSON) for name in row_names[:count])
    ):
        return stmt, columns, layout, row_names
    try:
        page = list(stmt.subquery().c)
    except InvalidRequestError:  # names a subquery cannot keep apart
        return stmt, columns, layout, row_names
    read = as_text(meta, page, row_names[:count], text=text)
    if read is page:
        return stmt, columns, layout, row_names
    return sa.select(*read), read, layout, row_names


def as_text(
    meta: Options,
    columns: list[Any],
    names: Sequence[str],
    start: int = 0,
    text: type[sa.types.TypeEngine[Any]] = JSONText,
) -> list[Any]:
    """``columns`` with those of the model's JSON fields ``names`` (from position ``start``)
    read as text typed ``text``; ``columns`` itself when there are none.

    The cast has a label of its own (``anon_1``), not the column's name: an ORDER BY naming
    the column bare (``order_by(sa.column("doc"))``) would otherwise sort the text."""
    if not enabled:
        return columns
    read = list(columns)
    for i, name in enumerate(names, start):
        # A column of the table or of a subquery; anything else is left as it is.
        if not (
            isinstance(meta.by_attname.get(name), JSON) and isinstance(columns[i], sa.ColumnClause)
        ):
            continue
        column = cast("sa.ColumnClause[Any]", columns[i])
        if type(column.type) is pg.JSONB:
            read[i] = sa.cast(column, text()).label(None)
    return columns if all(a is b for a, b in zip(read, columns, strict=True)) else read
