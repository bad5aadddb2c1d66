"""Nearest-neighbour search over a ``Vector`` field (``QuerySet.nearest()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from aksara.db import get_database, in_transaction, transaction
from aksara.exceptions import QueryError
from aksara.fields.vector import Vector
from aksara.query import _select
from aksara.query._compile import Plan, RowPlan, param
from aksara.query._plans import cached_plan, hydrate
from aksara.query.lookups.base import query_value
from aksara.query.lookups.vector import distance, metric_name

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.query.queryset import QuerySet

M = TypeVar("M", bound="Model")


#: The largest ``k``: LIMIT is written into the statement (one statement per ``k``), and a
#: nearest-neighbour query returning more rows than this is a scan, not a search.
MAX_K = 100_000


async def nearest(
    queryset: QuerySet[M, Any],
    field: str,
    vector: Any,
    *,
    k: int | None = 10,
    metric: str = "l2",
    distance_attr: str = "distance",
    ef_search: int | None = None,
) -> list[M]:
    """The ``k`` rows of ``queryset`` nearest to ``vector``, nearest first.

    ``Document.objects.filter(lang="en").nearest("embedding", query, k=10, metric="cosine")``

    ``metric`` is ``"l2"`` (``<->``), ``"cosine"`` (``<=>``), ``"inner_product"`` (``<#>``,
    the negative inner product) or ``"l1"``; the long names (``"cosine_distance"``) work
    too. Each instance gets its distance as the attribute ``distance_attr``; rows whose
    vector is NULL are left out.
    ``k=None`` orders every matching row. The query is ``ORDER BY <distance> LIMIT k``,
    the shape an HNSW or IVFFlat index with the metric's operator class answers
    (approximately: raise ``ef_search`` above ``k`` for better recall on HNSW; it is
    set for this query only).
    """
    if queryset._annotations:
        raise QueryError("nearest() of an annotated queryset is not supported yet")
    model = queryset.model
    meta = model._meta
    vector_field = meta.get_field(field)
    if not isinstance(vector_field, Vector):
        raise QueryError(f"{meta.model_name}.{vector_field.name} is not a Vector field")
    name = metric_name(metric)
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K):  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
        raise QueryError(f"nearest(k=...) must be an integer from 1 to {MAX_K} or None, got {k!r}")
    if queryset._limit is not None or queryset._offset is not None:
        raise QueryError("nearest() cannot follow slicing; use k=")
    if vector is None:
        raise QueryError("nearest() needs a query vector")
    values: list[Any] = []
    condition = _select.where_values(queryset, values)
    values.append(query_value(vector_field, vector))
    names = queryset._fields or meta.attnames
    # k is written into the statement, as slicing's LIMIT is (see _select._slice).
    key = ("nearest", names, condition, vector_field.attname, name, k)
    plan, rows = cached_plan(
        model, key, lambda: _nearest_plan(queryset, names, vector_field, name, k)
    )
    database = get_database()
    args = plan.args(values)
    if ef_search is None:
        records = await database.fetch(plan.sql, args)
    elif in_transaction():
        await _set_ef_search(ef_search)
        records = await database.fetch(plan.sql, args)
    else:
        async with transaction():
            await _set_ef_search(ef_search)
            records = await database.fetch(plan.sql, args)
    width = len(rows.names)
    result = hydrate(model, [r[:width] for r in records], rows)  # a Record's slice is a tuple
    if hasattr(model, distance_attr):  # a class attribute (a descriptor): bypass it
        for obj, record in zip(result, records, strict=True):
            vars(obj)[distance_attr] = record[width]
    else:  # setattr keeps the instance's key-sharing dict
        for obj, record in zip(result, records, strict=True):
            setattr(obj, distance_attr, record[width])
    return result


def _nearest_plan(
    queryset: QuerySet[Any], names: tuple[str, ...], field: Vector, metric: str, k: int | None
) -> tuple[Plan, RowPlan]:
    meta = queryset.model._meta
    table = meta.table
    assert table is not None
    columns = [table.c[meta.get_field(n).attname] for n in names]
    counter = [0]
    where = _select.apply_where(queryset, sa.select(*columns), table, counter)
    column = table.c[field.attname]
    measured = distance(column, metric, param(counter[0], column.type))
    counter[0] += 1
    # A row without a vector has no distance: it is nobody's neighbour.
    stmt = where.where(column.is_not(None)).add_columns(measured.label("_distance"))
    stmt = stmt.order_by(measured)
    if k is not None:
        stmt = stmt.limit(sa.literal_column(str(int(k)), sa.BigInteger()))
    row_names = tuple(meta.get_field(n).attname for n in names)
    return Plan(stmt), RowPlan(row_names, [c.type for c in columns])


async def _set_ef_search(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:  # pyright: ignore[reportUnnecessaryIsInstance]  # run-time check for untyped callers
        raise QueryError(f"ef_search must be a positive integer, got {value!r}")
    # set_config(..., true) is SET LOCAL: it ends with the transaction.
    await get_database().fetchval("SELECT set_config('hnsw.ef_search', $1, true)", [str(value)])
