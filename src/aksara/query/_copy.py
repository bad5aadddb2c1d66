"""``bulk_create`` through PostgreSQL's binary ``COPY``.

For a batch of rows whose columns are all of plain types, ``COPY ... FROM STDIN (FORMAT
binary)`` beats any INSERT: asyncpg encodes each value in C straight into the protocol,
and the server parses no statement per row. Database-generated keys are taken from the
identity column's sequence first (``nextval`` for the whole batch, one query), so the
instances still get their ids, as with ``INSERT ... RETURNING``.

The values go through the same ``Field.to_db`` and column bind processors as an INSERT's,
so JSON is serialised the same way; a JSON value's text is also its snapshot, as for a row
loaded with its JSON read as text (``aksara.query._json_text``), so the rows COPY sends are
the instances' snapshots.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from aksara._codegen import make_function
from aksara._sa_compat import Processor, bind_processor
from aksara.db import get_database
from aksara.fields._values import freeze, same_bytes
from aksara.fields.special import JSON
from aksara.query._compile import DIALECT
from aksara.query._plans import generated

if TYPE_CHECKING:
    from aksara.fields.base import Field
    from aksara.models.base import Model

#: Below this many rows a batch goes as one INSERT: COPY costs an extra round trip or two.
MIN_ROWS = 64

# Column types asyncpg copies with its own codecs, after the type's bind processor. Exact
# classes: a TypeDecorator (enum, interval, IP address, vector, ...) takes the INSERT path.
_COPY_TYPES = (
    sa.Integer,
    sa.SmallInteger,
    sa.BigInteger,
    sa.Double,
    sa.Float,
    sa.Numeric,
    sa.String,
    sa.Text,
    sa.Boolean,
    sa.DateTime,
    sa.Date,
    sa.Time,
    sa.Uuid,
    pg.UUID,
    pg.JSONB,
    sa.LargeBinary,
)


#: A function giving an instance dict's row for COPY (columns in ``copy_columns`` order, the
#: key included) and its ``_loaded`` snapshot (the row itself when no value differs).
CopyRow = Callable[[dict[str, Any]], tuple[tuple[Any, ...], tuple[Any, ...]]]


def copy_rows(model: type[Model]) -> CopyRow | None:
    """The model's ``CopyRow``, or None when a column's type cannot be copied."""
    return generated(model, ("copy_row",), _build_copy_row)  # type: ignore[no-any-return]


def copy_columns(model: type[Model]) -> list[str]:
    """Every column name, in the order of ``copy_rows``' tuples (the key included)."""
    return [f.column_name for f in model._meta.concrete_fields]


class ColumnParts(NamedTuple):
    """How a generated function makes one column's COPY value and snapshot from ``v{i}``."""

    lines: list[str]  # statements run first (``z{i} = s{i}(v{i})``)
    item: str  # the value COPY sends
    snap: str  # the value ``_loaded`` keeps
    frozen: bool  # ``z{i}`` holds the snapshot, compared with ``b{i}`` (the default's bytes)


def column_parts(model: type[Model], namespace: dict[str, Any]) -> list[ColumnParts] | None:
    """The parts of every column, in ``copy_columns`` order, with the constants they need
    put into ``namespace``; None when a column's type cannot be copied."""
    meta = model._meta
    table = meta.table
    assert table is not None
    parts: list[ColumnParts] = []
    for i, field in enumerate(meta.concrete_fields):
        column = table.c[field.attname]
        if type(column.type) not in _COPY_TYPES:
            return None
        process = bind_processor(column.type, DIALECT)
        parts.append(column_part(i, field, column.type, process, namespace))
    return parts


def column_part(
    i: int,
    field: Field[Any, Any],
    type_: sa.types.TypeEngine[Any],
    process: Processor | None,
    namespace: dict[str, Any],
) -> ColumnParts:
    """How ``field``'s value ``v{i}`` is sent, through ``to_db()`` and the bind processor
    ``process`` of its column's type ``type_`` (an INSERT's parameter or a COPY value)."""
    lines: list[str] = []
    snap = f"v{i}"
    value = f"v{i}"
    to_db = field.db_converter()
    if to_db is not None:
        namespace[f"t{i}"] = to_db
        value = f"t{i}({value})"
    if field.mutable:
        namespace[f"s{i}"] = field.snapshot
        snap = f"s{i}(v{i})"
    if process is None:
        return ColumnParts(lines, value, snap, False)
    namespace[f"p{i}"] = process
    value = f"(None if (x := {value}) is None else p{i}(x))"
    # JSON sent as its text keeps that text as its snapshot (``JSON.changed()`` decodes
    # it when a save compares), as a row read with its JSON as text does.
    text = to_db is None and isinstance(field, JSON) and type(type_) is pg.JSONB
    default = field.default
    frozen = freeze(default) if type(default) in (dict, list) else b""
    if not frozen:
        return ColumnParts(lines, value, value if text else snap, False)
    # An unchanged list or dict default (equal marshal bytes: equal type for type) is
    # sent as the text made once, not serialised again per row.
    namespace.update({f"b{i}": frozen, f"c{i}": process(to_db(default) if to_db else default)})
    if field.mutable and field.snapshot(default) == frozen:
        # The snapshot's bytes, made once, tell an unchanged default; with its text
        # (``c{i}``, made once for every row) it is the snapshot too.
        lines.append(f"z{i} = s{i}(v{i})")
        value = f"(c{i} if z{i} == b{i} else {value})"
        return ColumnParts(lines, value, value if text else f"z{i}", True)
    namespace["same"] = same_bytes
    kind = type(default).__name__
    value = f"(c{i} if type(v{i}) is {kind} and same(v{i}, b{i}) else {value})"
    return ColumnParts(lines, value, value if text else snap, False)


def accepts_default(expr: str, namespace: dict[str, Any], default: Any) -> bool:
    """Whether validator expression ``expr`` accepts a fresh copy of a list or dict default
    (then it accepts any value with the same marshal bytes, type for type)."""
    test = make_function(
        f"def test(v, obj=None):\n    return bool({expr})\n", dict(namespace), "default test"
    )
    return bool(test(marshal.loads(marshal.dumps(default))))


def _build_copy_row(model: type[Model], key: tuple[Any, ...]) -> CopyRow | None:
    namespace: dict[str, Any] = {}
    parts = column_parts(model, namespace)
    if parts is None:
        return None
    lines: list[str] = []
    for i, (field, part) in enumerate(zip(model._meta.concrete_fields, parts, strict=True)):
        lines += [f"v{i} = d[{field.attname!r}]", *part.lines]
    body = "".join(f"    {line}\n" for line in lines)
    items = ", ".join(p.item for p in parts)
    if all(p.item == p.snap for p in parts):
        body += f"    r = ({items},)\n"
        source = f"def row(d):\n{body}    return r, r\n"
    else:
        snaps = ", ".join(p.snap for p in parts)
        source = f"def row(d):\n{body}    return ({items},), ({snaps},)\n"
    return make_function(source, namespace, f"COPY row for {model.__name__}")


async def take_ids(model: type[Model], count: int) -> list[Any]:
    """``count`` new values of the model's identity column, from its sequence."""
    meta = model._meta
    sequence = meta.generated.lookup(("identity_sequence",))
    database = get_database()
    if sequence is None:
        # The table's name as a regclass literal, passed as a value (never SQL text).
        quoted = database.dialect.identifier_preparer.quote_identifier(meta.table_name)
        sequence = await database.fetchval(
            "SELECT pg_get_serial_sequence($1, $2)", [quoted, meta.pk.column_name]
        )
        meta.generated.put(("identity_sequence",), sequence)
    # One array value rather than a row per id: decoded into a list in C.
    ids: list[Any] = await database.fetchval(
        "SELECT ARRAY(SELECT nextval($1::regclass) FROM generate_series(1, $2))",
        [sequence, count],
    )
    return ids


async def copy_in(model: type[Model], objs: list[Model], row: CopyRow) -> list[tuple[Any, ...]]:
    """COPY ``objs`` (their keys already set) into the model's table; their snapshots."""
    pairs = [row(vars(obj)) for obj in objs]
    await copy_records(model, [pair[0] for pair in pairs])
    return [pair[1] for pair in pairs]


async def copy_records(model: type[Model], records: Sequence[Sequence[Any]]) -> None:
    """COPY rows (every column, in ``copy_columns`` order) into the model's table."""
    await get_database().copy_records(model._meta.table_name, copy_columns(model), records)
