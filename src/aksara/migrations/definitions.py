"""Changed definitions under unchanged names: a CHECK constraint's condition, a partial
index's ``WHERE``.

Alembic compares constraints and indexes by name and columns; a condition edited in the
model keeps both, so nothing would be generated. Comparing SQL text is unreliable (the
database rewrites it: ``price > 0`` comes back as ``(price > (0)::numeric)``), so the
database normalises both sides: inside a savepoint, the model's definition is added to an
empty temporary copy of the table, read back with ``pg_get_constraintdef`` /
``pg_get_indexdef``, and compared with the live one; the savepoint is rolled back. A
difference becomes a drop and a create of the constraint or index.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic.ddl.postgresql import CreateExcludeConstraintOp
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import AddConstraint, CreateIndex
from sqlalchemy.sql.elements import conv

from aksara._sa_compat import constraint_name

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from sqlalchemy.sql.elements import quoted_name

_PROBE = "aksara_definition_probe"
_WHERE = re.compile(r" WHERE (.*)$", re.DOTALL)


def compare_definitions(
    autogen_context: AutogenContext,
    modify_ops: ops.ModifyTableOps,
    schema: str | None,
    table_name: quoted_name | str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> PriorityDispatchResult:
    """Drop and create again each named CHECK or EXCLUDE constraint, and each partial
    index, whose definition in the models differs from the database's."""
    connection = autogen_context.connection
    if conn_table is None or metadata_table is None or connection is None:
        return PriorityDispatchResult.CONTINUE
    dialect = connection.dialect
    checks = {  # CHECK and EXCLUDE constraints, compared the same way
        str(constraint_name(c, dialect)): c
        for c in metadata_table.constraints
        if isinstance(c, (sa.CheckConstraint, postgresql.ExcludeConstraint)) and c.name
    }
    partial = {
        str(i.name): i
        for i in metadata_table.indexes
        if i.name and i.dialect_options["postgresql"].get("where") is not None
    }
    if not checks and not partial:
        return PriorityDispatchResult.CONTINUE
    live_checks = _live(connection, schema, str(table_name), "checks")
    live_indexes = _live(connection, schema, str(table_name), "indexes")
    changed_checks = [n for n in checks if n in live_checks]
    changed_indexes = [n for n in partial if n in live_indexes]
    if not changed_checks and not changed_indexes:
        return PriorityDispatchResult.CONTINUE
    declared = _normalised(
        connection, schema, str(table_name), checks, partial, changed_checks, changed_indexes
    )
    for name in changed_checks:
        if name in declared and declared[name] != live_checks[name]:
            constraint = checks[name]
            modify_ops.ops.append(ops.DropConstraintOp.from_constraint(constraint))
            if isinstance(constraint, postgresql.ExcludeConstraint):
                modify_ops.ops.append(
                    add_exclusion_op(constraint, dialect, str(table_name), schema)
                )
            else:
                modify_ops.ops.append(ops.CreateCheckConstraintOp.from_constraint(constraint))
    for name in changed_indexes:
        if name in declared and declared[name] != _where(live_indexes[name]):
            index = partial[name]
            modify_ops.ops.append(ops.DropIndexOp.from_index(index))
            modify_ops.ops.append(ops.CreateIndexOp.from_index(index))
    return PriorityDispatchResult.CONTINUE


def _live(connection: Any, schema: str | None, table: str, kind: str) -> dict[str, str]:
    """The table's CHECK constraints (or indexes) by name, as the database defines them."""
    relation = "(quote_ident(coalesce(:schema, current_schema())) || '.' || quote_ident(:table))"
    if kind == "checks":
        sql = (
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            f"WHERE contype IN ('c', 'x') AND conrelid = {relation}::regclass"
        )
    else:
        sql = (
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            f"JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = {relation}::regclass"
        )
    rows = connection.execute(sa.text(sql), {"schema": schema, "table": table})
    return {row[0]: row[1] for row in rows}


def _normalised(
    connection: Any,
    schema: str | None,
    table: str,
    checks: dict[str, Any],
    indexes: dict[str, sa.Index],
    check_names: list[str],
    index_names: list[str],
) -> dict[str, str]:
    """The models' definitions as the database would store them (see the module's doc); a
    definition the live table cannot take yet (a column still to be added) is left out."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    source = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
    found: dict[str, str] = {}
    with connection.begin_nested() as probe:
        connection.exec_driver_sql(f"CREATE TEMP TABLE {_PROBE} (LIKE {source})")
        for i, name in enumerate(check_names):
            ddl = str(AddConstraint(checks[name]).compile(dialect=dialect))
            kind = " EXCLUDE " if " EXCLUDE " in ddl else " CHECK "
            check = ddl[ddl.index(kind) :]
            statement = f"ALTER TABLE {_PROBE} ADD CONSTRAINT probe_{i}{check}"
            definition = _probe(
                connection,
                statement,
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                f"'probe_{i}' AND conrelid = '{_PROBE}'::regclass",
            )
            if definition is not None:
                found[name] = definition
        for i, name in enumerate(index_names):
            ddl = str(CreateIndex(indexes[name]).compile(dialect=dialect))
            rest = ddl[ddl.index(" ON ") + 4 :]
            rest = rest[rest.index(" ") :]  # after the table's name: USING ..., columns, WHERE
            statement = f"CREATE INDEX probe_index_{i} ON {_PROBE}{rest}"
            definition = _probe(
                connection, statement, f"SELECT pg_get_indexdef('probe_index_{i}'::regclass)"
            )
            if definition is not None:
                found[name] = _where(definition)
        probe.rollback()
    return found


def _probe(connection: Any, statement: str, query: str) -> str | None:
    """Run ``statement`` in a savepoint of its own and return ``query``'s value; None when
    the statement fails."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(statement)
            return str(connection.exec_driver_sql(query).scalar_one())
    except sa_exc.DBAPIError:
        return None


def _where(definition: str) -> str:
    match = _WHERE.search(definition)
    return match.group(1) if match else ""


_EXCLUDE = re.compile(
    r"EXCLUDE USING (\w+) \((.*)\)(?: WHERE \((.*)\))?(?: DEFERRABLE.*| NOT DEFERRABLE.*)?",
    re.DOTALL,
)


def add_exclusion_op(
    constraint: postgresql.ExcludeConstraint, dialect: Any, table: str, schema: str | None
) -> CreateExcludeConstraintOp:
    """The operation adding ``constraint`` to an existing table. Alembic's own builds a
    table of the constraint's elements, which only plain columns survive: the elements go
    as the SQL the constraint's DDL shows (``tstzrange(starts, ends)``)."""
    ddl = str(AddConstraint(constraint).compile(dialect=dialect))
    name = str(constraint_name(constraint, dialect))
    rebuilt = exclusion_from_definition(name, ddl[ddl.index(" EXCLUDE ") + 1 :], table, schema)
    assert rebuilt is not None
    return CreateExcludeConstraintOp.from_constraint(rebuilt)


def exclusion_from_definition(
    name: str, definition: str, table: str, schema: str | None
) -> postgresql.ExcludeConstraint | None:
    """An exclusion constraint rebuilt from its SQL (``EXCLUDE USING gist (... WITH &&, ...)
    [WHERE (...)]``) with its elements as SQL text; None for a definition it cannot read."""
    match = _EXCLUDE.fullmatch(definition.strip())
    if match is None:
        return None
    method, body, where = match.groups()
    elements: list[tuple[Any, str]] = []
    for part in _top_level(body):
        expression, _, operator = part.rpartition(" WITH ")
        column: sa.ColumnClause[Any] = sa.literal_column(expression)
        elements.append((column, operator))
    constraint = postgresql.ExcludeConstraint(
        # conv(): the name as the database has it, the naming convention already applied.
        *elements,
        name=conv(name),
        using=method,
        where=sa.text(where) if where else None,
    )
    sa.Table(table, sa.MetaData(), constraint, schema=schema)
    return constraint


def _top_level(body: str) -> list[str]:
    """``body`` split at its commas outside parentheses."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(body):
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return parts
