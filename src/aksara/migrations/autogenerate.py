"""Alembic autogenerate hooks for aksara's column types and pgvector."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, cast

import pgvector.sqlalchemy
import sqlalchemy as sa
from alembic.ddl.postgresql import CreateExcludeConstraintOp
from alembic.operations import ops
from alembic.runtime.plugins import Plugin
from alembic.util import PriorityDispatchResult
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql

from aksara._sa_compat import constraint_name
from aksara.migrations.backfill import existing_rows_sql
from aksara.migrations.definitions import (
    add_exclusion_op,
    compare_definitions,
    exclusion_from_definition,
)

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.engine import Dialect
    from sqlalchemy.sql.elements import quoted_name
    from sqlalchemy.types import TypeEngine

#: Tables PostgreSQL extensions create in the public schema; never a model's, never dropped.
EXTENSION_TABLES = frozenset({"spatial_ref_sys"})

CREATE_VECTOR_EXTENSION = "CREATE EXTENSION IF NOT EXISTS vector"

#: What an exclusion constraint comparing scalar columns under GiST needs.
CREATE_BTREE_GIST_EXTENSION = "CREATE EXTENSION IF NOT EXISTS btree_gist"

#: The Alembic autogenerate plugin aksara registers (``context_options()`` names it).
PLUGIN = "aksara.autogenerate"


def is_aksara_type(type_: Any) -> bool:
    """True for the ``TypeDecorator``s aksara defines (``aksara.types``: Duration, Slug, Enum, ...)."""
    if not isinstance(type_, sa.types.TypeDecorator):
        return False
    decorator = cast("sa.types.TypeDecorator[Any]", type_)
    return type(decorator).__module__.startswith("aksara.")


def is_vector_type(type_: Any) -> bool:
    """True for pgvector's SQLAlchemy types (``VECTOR``, ``HALFVEC``, ``SPARSEVEC``, ``BIT``)
    and their subclasses (aksara's ``VectorType``)."""
    return _pgvector_base(type_) is not None


def _pgvector_base(type_: Any) -> type | None:
    mro: tuple[type, ...] = type(type_).__mro__
    for cls in mro:
        public = getattr(pgvector.sqlalchemy, cls.__name__, None)
        if cls.__module__.startswith("pgvector.sqlalchemy") and public is cls:
            return public
    return None


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render aksara's types in migration files (``render_item=`` of ``context.configure``).

    An aksara ``TypeDecorator`` is written as the PostgreSQL type it stores
    (``DurationType`` → ``sa.Interval()``, an Enum → ``sa.String(length=...)``, ``IP`` →
    ``postgresql.INET()``), so a migration never depends on application classes such as
    an enum. pgvector's types are written as ``pgvector.sqlalchemy.VECTOR(dim=384)`` and
    the file imports ``pgvector.sqlalchemy``. Everything else renders as Alembic does.
    """
    if type_ == "server_default":
        return _render_escaped_text(obj, autogen_context)
    if type_ != "type":
        return False
    base = _pgvector_base(obj)
    if base is not None:
        autogen_context.imports.add("import pgvector.sqlalchemy")
        if type(obj) is not base:  # aksara's VectorType: written as pgvector's own type
            dim = getattr(obj, "dim", None)
            return f"pgvector.sqlalchemy.{base.__name__}({'' if dim is None else f'dim={dim}'})"
        return f"pgvector.sqlalchemy.{obj!r}"
    if is_aksara_type(obj):
        # Alembic's own renderer for the stored type (it adds the imports that needs).
        from alembic.autogenerate import render as alembic_render

        repr_type = cast(
            "Callable[[TypeEngine[Any], AutogenContext], str]", alembic_render._repr_type
        )
        impl = obj.load_dialect_impl(_dialect(autogen_context.dialect))
        return repr_type(impl, autogen_context)
    return False


def _render_escaped_text(obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Alembic writes a text default as the SQL it compiles to, wrapped in text() again, so an
    # escaped colon (a backfilled "a :b") would read as a bind parameter in the migration.
    # Such a default is written with its escapes.
    arg = getattr(obj, "arg", None)
    if not isinstance(obj, sa.DefaultClause) or not isinstance(arg, sa.TextClause):
        return False
    if "\\:" not in arg.text:
        return False
    from alembic.autogenerate.render import _sqlalchemy_autogenerate_prefix

    return f"{_sqlalchemy_autogenerate_prefix(autogen_context)}text({arg.text!r})"


def compare_type(
    context: MigrationContext,
    inspected_column: sa.Column[Any],
    metadata_column: sa.Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Compare aksara and pgvector types by the DDL they stand for (``compare_type=``).

    ``VECTOR(384)`` against ``vector(768)`` in the database is a change; a ``SlugType``
    stored as ``VARCHAR(50)`` against ``varchar(50)`` is not. Other types: Alembic decides.
    """
    if not (_is_custom(metadata_type)):
        return None
    dialect = _dialect(context.dialect)
    stored, declared = _ddl(inspected_type, dialect), _ddl(metadata_type, dialect)
    if stored is None or declared is None:
        return None
    return stored != declared


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Which objects autogenerate compares (``include_object=``).

    Leaves out tables that only exist in the database because an extension created them
    (PostGIS's ``spatial_ref_sys``: Alembic would drop them), and every object of a table
    whose ``info`` has ``{"aksara_migrate": False}`` (a table managed outside Alembic).
    """
    if type_ == "table":
        if reflected and compare_to is None and name in EXTENSION_TABLES:
            return False
        table = obj if compare_to is None else compare_to
    else:
        table = getattr(compare_to if compare_to is not None else obj, "table", None)
    info: dict[str, Any] = getattr(table, "info", None) or {}
    return info.get("aksara_migrate", True) is not False


def process_revision_directives(
    context: MigrationContext, revision: Any, directives: list[Any]
) -> None:
    """Make a generated upgrade run on a database that has rows and pgvector's types.

    - A required column added to an existing table, whose field has a default (a constant,
      ``list``/``dict``, ``auto_now``), is added with that value as a server default, which
      is then dropped: the rows already there get the default, as they would in Django.
    - ``CREATE EXTENSION IF NOT EXISTS vector`` comes first when the upgrade creates or
      changes a column of a pgvector type; the downgrade keeps the extension (other tables
      may use it).
    """
    for script in directives:
        for upgrade_ops in getattr(script, "upgrade_ops_list", ()):
            _backfill_added_columns(upgrade_ops)
            if _creates_exclusion(upgrade_ops) and not _already_creates_extension(
                upgrade_ops, CREATE_BTREE_GIST_EXTENSION
            ):
                upgrade_ops.ops.insert(0, ops.ExecuteSQLOp(CREATE_BTREE_GIST_EXTENSION))
            if _already_creates_extension(upgrade_ops):
                continue
            if any(is_vector_type(t) for t in _new_column_types(upgrade_ops)):
                upgrade_ops.ops.insert(0, ops.ExecuteSQLOp(CREATE_VECTOR_EXTENSION))


def compare_check_constraints(
    autogen_context: AutogenContext,
    modify_ops: ops.ModifyTableOps,
    schema: str | None,
    table_name: quoted_name | str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> PriorityDispatchResult:
    """Named CHECK constraints of a table in both the models and the database: one the models
    declare and the database lacks is created (a ``PositiveSmallInteger`` column added later
    keeps its check), one the database has and the models no longer declare is dropped.

    Alembic compares no CHECK constraints itself (their SQL text cannot be compared); these
    are compared by name, which aksara's naming convention derives from the declaration.
    Only constraints named as aksara names them (``ck_<table>_...``) are dropped, and
    ``include_object`` is asked about each, with ``type_="check_constraint"``.
    """
    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    dialect = _dialect(autogen_context.dialect)
    declared = {str(constraint_name(c, dialect)): c for c in _checks(metadata_table)}
    existing = {str(c.name): c for c in _checks(conn_table)}
    # Only the constraints aksara names (``ck_<table>_...``) are dropped: one added by hand
    # or by another tool is not the models' to remove.
    ours = f"ck_{table_name}_"
    for name in sorted(declared.keys() - existing.keys()):
        constraint = declared[name]
        if autogen_context.run_object_filters(constraint, name, "check_constraint", False, None):
            modify_ops.ops.append(ops.CreateCheckConstraintOp.from_constraint(constraint))
    for name in sorted(existing.keys() - declared.keys()):
        constraint = existing[name]
        if name.startswith(ours) and autogen_context.run_object_filters(
            constraint, name, "check_constraint", True, None
        ):
            modify_ops.ops.append(ops.DropConstraintOp.from_constraint(constraint))
    return PriorityDispatchResult.CONTINUE


def _checks(table: sa.Table) -> list[sa.CheckConstraint]:
    return [c for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name]


_plugin = Plugin(PLUGIN)
_plugin.add_autogenerate_comparator(compare_check_constraints, "table", "check_constraints")


def _backfill_added_columns(container: Any) -> None:
    ops_list = getattr(container, "ops", None)
    if ops_list is None:
        return
    index = 0
    while index < len(ops_list):
        op = ops_list[index]
        if isinstance(op, ops.AddColumnOp):
            default = existing_rows_sql(op.column)
            if default is not None:
                column = op.column._copy()
                column.server_default = sa.DefaultClause(default)
                ops_list[index] = ops.AddColumnOp(op.table_name, column, schema=op.schema)
                drop = ops.AlterColumnOp(
                    op.table_name,
                    column.name,
                    schema=op.schema,
                    modify_server_default=None,
                    existing_type=column.type,
                    existing_nullable=False,
                    existing_server_default=column.server_default,
                )
                ops_list.insert(index + 1, drop)
                index += 1
        else:
            _backfill_added_columns(op)
        index += 1


def _is_custom(type_: Any) -> bool:
    if is_aksara_type(type_) or is_vector_type(type_):
        return True
    item = getattr(type_, "item_type", None)
    return isinstance(type_, sa.ARRAY) and item is not None and _is_custom(item)


def _dialect(dialect: Dialect | None) -> Dialect:
    return dialect if dialect is not None else postgresql.dialect()  # type: ignore[no-untyped-call]


def _ddl(type_: TypeEngine[Any], dialect: Dialect) -> str | None:
    try:
        compiled = type_.compile(dialect=dialect)
    except (sa_exc.CompileError, sa_exc.UnsupportedCompilationError, NotImplementedError):
        return None
    return re.sub(r"\s+", " ", compiled).strip().upper()


def _new_column_types(container: Any) -> Iterator[TypeEngine[Any]]:
    for op in getattr(container, "ops", ()):
        if isinstance(op, ops.CreateTableOp):
            for column in op.columns:
                if isinstance(column, sa.Column):
                    yield cast("sa.Column[Any]", column).type
        elif isinstance(op, ops.AddColumnOp):
            yield op.column.type
        elif isinstance(op, ops.AlterColumnOp):
            if op.modify_type is not None:
                yield op.modify_type
        elif hasattr(op, "ops"):
            yield from _new_column_types(op)


def _already_creates_extension(upgrade_ops: Any, sql: str = CREATE_VECTOR_EXTENSION) -> bool:
    return any(isinstance(op, ops.ExecuteSQLOp) and op.sqltext == sql for op in upgrade_ops.ops)


def _creates_exclusion(container: Any) -> bool:
    """Whether the upgrade creates a table with an exclusion constraint, or adds one."""
    for op in getattr(container, "ops", ()):
        if isinstance(op, CreateExcludeConstraintOp):
            return True
        if isinstance(op, ops.CreateTableOp) and any(
            isinstance(c, postgresql.ExcludeConstraint) for c in op.columns
        ):
            return True
        if hasattr(op, "ops") and _creates_exclusion(op):
            return True
    return False


def compare_exclusion_constraints(
    autogen_context: AutogenContext,
    modify_ops: ops.ModifyTableOps,
    schema: str | None,
    table_name: quoted_name | str,
    conn_table: sa.Table | None,
    metadata_table: sa.Table | None,
) -> PriorityDispatchResult:
    """Exclusion constraints in the models and the database, compared by name (Alembic
    compares none): one declared and missing is created, one the database has and the
    models no longer declare is dropped."""
    if conn_table is None or metadata_table is None or autogen_context.connection is None:
        return PriorityDispatchResult.CONTINUE
    dialect = _dialect(autogen_context.dialect)
    declared = {
        str(constraint_name(c, dialect)): c
        for c in metadata_table.constraints
        if isinstance(c, postgresql.ExcludeConstraint) and c.name
    }
    rows = autogen_context.connection.execute(
        sa.text(
            "SELECT conname FROM pg_constraint WHERE contype = 'x' AND conrelid = "
            "(quote_ident(coalesce(:schema, current_schema())) || '.' || quote_ident(:table))::regclass"
        ),
        {"schema": schema, "table": str(table_name)},
    )
    existing = {row[0] for row in rows}
    for name in sorted(declared.keys() - existing):
        constraint = declared[name]
        if autogen_context.run_object_filters(constraint, name, _EXCLUDE_TYPE, False, None):
            modify_ops.ops.append(add_exclusion_op(constraint, dialect, str(table_name), schema))
    # Only those aksara names (``ex_<table>_...``): one made by hand is not the models' to drop.
    ours = f"ex_{table_name}_"
    for name in sorted(n for n in existing - declared.keys() if n.startswith(ours)):
        dropped = _reflected_exclusion(autogen_context.connection, schema, str(table_name), name)
        if dropped is None:
            continue  # a definition this comparator cannot rebuild: left alone
        if autogen_context.run_object_filters(dropped, name, _EXCLUDE_TYPE, True, None):
            modify_ops.ops.append(ops.DropConstraintOp.from_constraint(dropped))
    return PriorityDispatchResult.CONTINUE


#: What ``include_object`` hooks are told an exclusion constraint is (Alembic has no name
#: of its own for them; it compares none).
_EXCLUDE_TYPE: Any = "exclude_constraint"


def _reflected_exclusion(
    connection: Any, schema: str | None, table: str, name: str
) -> postgresql.ExcludeConstraint | None:
    """The database's exclusion constraint ``name``, rebuilt from its definition
    (``pg_get_constraintdef``) so that a downgrade can create it again."""
    definition = connection.execute(
        sa.text(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name AND "
            "conrelid = (quote_ident(coalesce(:schema, current_schema())) || '.' || "
            "quote_ident(:table))::regclass"
        ),
        {"schema": schema, "table": table, "name": name},
    ).scalar_one()
    return exclusion_from_definition(name, definition, table, schema)


_plugin.add_autogenerate_comparator(compare_exclusion_constraints, "table", "exclusion_constraints")


# Conditions changed under unchanged names (aksara.migrations.definitions).
_plugin.add_autogenerate_comparator(compare_definitions, "table", "definitions")
