"""Reads that report on a query rather than just run it: ``explain()``, ``fetch_with_count()``
and ``raw()``.

``explain()`` runs ``EXPLAIN`` of the queryset's own compiled SELECT, with options built from
a fixed vocabulary (nothing a caller passes reaches the SQL text). ``fetch_with_count()``
adds ``COUNT(*) OVER ()`` to the SELECT, so one statement gives a page and the number of
rows it was cut from. ``raw()`` makes instances from SQL of your own, with the fields'
result conversions; its SQL is the application's, its values parameters (``$1``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from aksara.db import get_database
from aksara.exceptions import QueryError
from aksara.models._attributes import expect_columns
from aksara.query import _select
from aksara.query._compile import Plan, RowPlan
from aksara.query._keys import key_columns
from aksara.query._part import M, QuerySetPart, R
from aksara.query._plans import cached_plan, make_instance, mutable_positions
from aksara.query._sqlalchemy import sqlalchemy_key, sqlalchemy_sql

if TYPE_CHECKING:
    from aksara.query.queryset import QuerySet
    from aksara.query.shaping import Ordering


#: ``EXPLAIN``'s output formats.
EXPLAIN_FORMATS = ("text", "json", "yaml", "xml")
#: The label of the window count ``fetch_with_count()`` adds; a name no field can have.
_TOTAL = "aksara total"


async def explain(
    qs: QuerySet[Any], *, analyze: bool = False, buffers: bool = False, format: str = "text"
) -> Any:
    """The plan PostgreSQL makes for ``qs``: text (one string), or JSON as Python objects.

    ``analyze=True`` runs the query to measure it (``EXPLAIN ANALYZE``), as Django does;
    ``buffers=True`` adds buffer usage and needs ``analyze``.
    """
    if format not in EXPLAIN_FORMATS:
        raise QueryError(
            f"explain(format=...) is one of {', '.join(map(repr, EXPLAIN_FORMATS))}, got {format!r}"
        )
    # Run-time checks for untyped callers.
    if not isinstance(analyze, bool) or not isinstance(buffers, bool):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise QueryError("explain(analyze=..., buffers=...) take True or False")
    if buffers and not analyze:
        raise QueryError("explain(buffers=True) needs analyze=True")
    if qs._limit == 0:
        raise QueryError("A queryset sliced to no rows runs no SQL")
    options = [f"FORMAT {format.upper()}"]
    if analyze:
        options.append("ANALYZE")
    if buffers:
        options.append("BUFFERS")
    plan, _, values, _ = _select.select_plan(qs)
    rows = await get_database().fetch(
        f"EXPLAIN ({', '.join(options)}) {plan.sql}", plan.args(values)
    )
    if format == "json":
        document = rows[0][0]
        return json.loads(document) if isinstance(document, str) else document
    return "\n".join(str(r[0]) for r in rows)


async def fetch_with_count(qs: QuerySet[M, R]) -> tuple[list[Any], int]:
    """The rows of ``qs`` and how many rows match it before slicing, from one statement.

    A page past the last row has no row to carry the count: then it is counted apart.
    DISTINCT rows are counted apart as well (a window counts before DISTINCT).
    """
    if qs._for_update is not None:
        raise QueryError(
            "fetch_with_count() cannot lock rows: PostgreSQL refuses FOR UPDATE with a window"
        )
    if qs._distinct or qs._limit == 0 or qs._cache is not None:
        return await qs._fetch(), await _unsliced(qs).count()
    values: list[Any] = []
    key = ("with_count", _select.shape(qs, values))
    plan, rows, layout = cached_plan(qs.model, key, lambda: _build_with_count(qs))
    records = await get_database().fetch(plan.sql, plan.args(values))
    if not records:
        return [], (await _unsliced(qs).count() if qs._offset else 0)
    total = int(records[0][-1])
    result = qs._convert([tuple(r)[:-1] for r in records], rows, layout)
    if qs._mode == "instances" and qs._prefetch:
        from aksara.query.prefetch import prefetch_related_objects

        await prefetch_related_objects(result, *qs._prefetch)
    return result, total


def _unsliced(qs: QuerySet[M, R]) -> QuerySet[M, R]:
    whole = qs._clone()
    whole._limit = whole._offset = None
    return whole


def _build_with_count(qs: QuerySet[Any]) -> tuple[Plan, RowPlan, Any]:
    # Flat: the window is counted where LIMIT and OFFSET are, not around the page.
    stmt, columns, layout, row_names = _select.select_statement(qs, flat=True)
    stmt = stmt.add_columns(sa.func.count().over().label(_TOTAL))
    return Plan(stmt), _select.row_plan(qs, columns, row_names), layout


async def raw(model: type[M], sql: str, params: Sequence[Any] = ()) -> list[M]:
    """Instances of ``model`` from SQL of your own: ``raw("SELECT * FROM post WHERE ...", [x])``.

    Columns are matched to fields by column name (``author_id``); the primary key must be
    among them. Fields without a column are deferred (reading one raises until
    ``refresh_from_db()``, as after ``only()``); other columns become plain attributes.
    """
    # Run-time checks for untyped callers.
    if not isinstance(sql, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise QueryError(f"raw() takes the SQL as a string, got {type(sql).__name__}")
    if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise QueryError("raw() takes its parameters as a list or tuple: raw(sql, [value, ...])")
    records = await get_database().fetch(sql, list(params))
    if not records:
        return []
    return _instances(model, list(records[0].keys()), records)


async def from_statement(model: type[M], stmt: Any) -> list[M]:
    """Instances of ``model`` from a SQLAlchemy SELECT of your own (or ``sa.text()``):
    ``Post.objects.from_statement(sa.select(Post.table).where(Post.c.views > 10))``.
    Columns match fields as in ``raw()``; the statement is compiled once per shape and its
    values are sent as parameters."""
    if not isinstance(stmt, (sa.Select, sa.CompoundSelect, sa.TextClause)):
        raise QueryError(
            f"from_statement() takes a SQLAlchemy select() or text(), got {type(stmt).__name__}"
        )
    selected = getattr(cast(Any, stmt), "selected_columns", None)
    keys = model._meta.pk_attnames
    if selected is not None and not set(keys) <= set(selected.keys()):
        raise QueryError(
            f"from_statement() for {model._meta.model_name} must select the primary key "
            f"{_named(keys)}"
        )
    values: list[Any] = []
    key = ("statement", sqlalchemy_key(stmt, values))
    plan = cached_plan(model, key, lambda: Plan(sqlalchemy_sql(stmt, [0])))
    records = await get_database().fetch(plan.sql, plan.args(values))
    if not records:
        return []
    return _instances(model, list(records[0].keys()), records)


def _named(attnames: tuple[str, ...]) -> str:
    """``column 'id'`` or ``columns 'order_id', 'line_no'``, for messages."""
    if len(attnames) == 1:
        return f"column {attnames[0]!r}"
    return "columns " + ", ".join(repr(a) for a in attnames)


def _instances(model: type[M], columns: list[str], records: Sequence[Any]) -> list[M]:
    meta = model._meta
    if len(set(columns)) != len(columns):
        raise QueryError(f"raw() SQL for {meta.model_name} returns a column name twice: {columns}")
    if not set(meta.pk_attnames) <= set(columns):
        raise QueryError(
            f"raw() SQL for {meta.model_name} must return the primary key "
            f"{_named(meta.pk_attnames)}"
        )
    # Field columns in the model's own order; the rest are extra attributes.
    names = tuple(n for n in meta.attnames if n in columns)
    positions = [columns.index(n) for n in names]
    extras = [(i, c) for i, c in enumerate(columns) if c not in meta.by_attname]
    for _, name in extras:
        if name.startswith("_") or any(name in vars(k) for k in model.__mro__):
            raise QueryError(
                f"raw() SQL for {meta.model_name} returns a column {name!r} that would hide an "
                f"attribute of the model: rename it in the SQL (AS ...)"
            )
    table = meta.table
    assert table is not None
    plan = RowPlan(names, [table.c[n].type for n in names])
    picked = [tuple(r[i] for i in positions) for r in records]
    converted = plan.tuples(picked)
    mutable = mutable_positions(meta, names)
    expect_columns(model, names)
    result: list[M] = []
    for record, row in zip(records, converted, strict=True):
        obj = make_instance(model, names, row, mutable)
        if extras:
            d = vars(obj)
            for i, name in extras:
                d[name] = record[i]
        result.append(obj)
    return result


class Reports(QuerySetPart[M, R]):
    """The reporting methods of ``QuerySet``: ``explain``, ``fetch_with_count``, ``raw`` and
    what ``Subquery``, ``Exists`` and ``__in`` ask of a queryset."""

    __slots__ = ()

    if TYPE_CHECKING:  # what they use of the queryset
        model: type[M]
        _mode: str
        _fields: tuple[str, ...] | None
        _order: tuple[Ordering, ...] | None

        def _is_plain(self) -> bool: ...

    async def explain(
        self, *, analyze: bool = False, buffers: bool = False, format: str = "text"
    ) -> Any:
        """PostgreSQL's plan for this queryset: ``print(await qs.explain())``.

        ``format`` is ``"text"`` (a string), ``"json"`` (parsed), ``"yaml"`` or ``"xml"``;
        ``analyze=True`` runs the query to time it, ``buffers=True`` (with ``analyze``) adds
        buffer use."""
        return await explain(self._queryset(), analyze=analyze, buffers=buffers, format=format)

    async def fetch_with_count(self) -> tuple[list[Any], int]:
        """A page and the number of rows it was cut from, in one statement:
        ``posts, total = await Post.objects.order_by("id")[40:60].fetch_with_count()``."""
        return await fetch_with_count(self._queryset())

    async def raw(self, sql: str, params: Sequence[Any] = ()) -> list[M]:
        """Instances from SQL of your own, with ``$1`` parameters:
        ``await Post.objects.raw("SELECT * FROM post WHERE views > $1", [100])``.

        Columns match fields by column name and must include the primary key; fields
        without a column are deferred, other columns become attributes."""
        if not self._is_plain() or self._order is not None:
            raise QueryError(
                "raw() runs its own SQL: call it on the manager, not a narrowed queryset"
            )
        return await raw(self.model, sql, params)

    async def from_statement(self, stmt: Any) -> list[M]:
        """Instances from a SQLAlchemy statement: ``await Post.objects.from_statement(
        sa.select(Post.table).where(Post.c.views > 10))`` (see ``raw()`` for the columns)."""
        if not self._is_plain() or self._order is not None:
            raise QueryError(
                "from_statement() runs its own statement: call it on the manager, not a "
                "narrowed queryset"
            )
        return await from_statement(self.model, stmt)

    def subquery_key(self, values: list[Any]) -> tuple[Any, ...]:
        """The shape of this queryset as a subquery; its values go to ``values``."""
        return (self.model, _select.shape(self._queryset(), values))

    def subquery_select(self, counter: list[int], table: Any = None) -> Any:
        """This queryset as a subquery selecting one column, parameters numbered from
        ``counter``: its ``values()`` field, or the primary key of instances. ``table`` is
        an alias of the model's table to read from (inside a query on the same model)."""
        if table is None:
            table = self.model._meta.table
        stmt, columns, _, _ = _select.select_statement(
            self._queryset(), inner=True, counter=counter, table=table
        )
        meta = self.model._meta
        if self._mode == "instances" or (meta.composite_pk and self._fields == ("pk",)):
            # The key's columns, compared with the row of a composite key's pk__in.
            stmt = stmt.with_only_columns(*key_columns(meta, table))
        elif len(columns) != 1:
            raise QueryError(
                f"A subquery selects one column; this one selects {len(columns)}: "
                f"use values('field') or values_list('field', flat=True)"
            )
        return stmt
