"""Compile SQLAlchemy Core statements once per shape and run them on asyncpg.

A ``Plan`` holds the SQL text that SQLAlchemy's asyncpg dialect compiled for a statement,
and how to turn a flat list of values into the driver's positional arguments (applying
each column type's bind processor). Plans are cached by the caller under a shape key
built from the query's structure, never from its values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from aksara import _json, _sa_compat
from aksara._codegen import is_identifier, make_function
from aksara._sa_compat import bind_processors, bound_values
from aksara.models._attributes import expect_columns
from aksara.state import Partial

if TYPE_CHECKING:
    from aksara.query.queryset import QuerySet

#: The dialect statements compile with, with its DBAPI adapter (range types' processors
#: build asyncpg's ``Range`` through it).
DIALECT = PGDialect_asyncpg(dbapi=PGDialect_asyncpg.import_dbapi())  # type: ignore[no-untyped-call]
# JSON parameters are written as json.dumps() writes them, through aksara._json's shortcut
# (SQLAlchemy's JSON bind processors call the dialect's serializer).
DIALECT._json_serializer = _json.dumps

Processor = Callable[[Any], Any]


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Plan:
    """A compiled statement: SQL text plus argument order and bind processors."""

    __slots__ = ("sql", "_order", "_procs", "_identity", "args")

    def __init__(self, stmt: sa.ClauseElement) -> None:
        compiled: Any = stmt.compile(dialect=DIALECT)
        self.sql: str = compiled.string
        names: Sequence[str] = compiled.positiontup or ()
        processors = bind_processors(compiled)
        bound = bound_values(compiled)
        # Our parameters are named p0, p1, ...: the index into the caller's value list.
        # Any other bind (a literal such as LIMIT 1) is a constant of the shape.
        order: list[int | _Const] = []
        for name in names:
            if name[:1] == "p" and name[1:].isdigit():
                order.append(int(name[1:]))
            else:
                order.append(_Const(bound[name]))
        self._order = tuple(order)
        self._procs: tuple[Processor | None, ...] = tuple(processors.get(n) for n in names)
        self._identity = self._order == tuple(range(len(self._order))) and not any(self._procs)
        #: ``args(values)``: the driver's positional arguments for the caller's values.
        self.args: Callable[[Sequence[Any]], Sequence[Any]]
        if self._identity:
            self.args = _same_values
        elif len(order) <= _GENERATED_ARGS_LIMIT:
            self.args = self._generated_args()
        else:
            self.args = self._looped_args

    def _generated_args(self) -> Callable[[Sequence[Any]], Sequence[Any]]:
        """``args`` as one generated expression per argument: no loop, no type tests."""
        namespace: dict[str, Any] = {}
        parts: list[str] = []
        for j, (index, proc) in enumerate(zip(self._order, self._procs, strict=True)):
            if isinstance(index, _Const):
                value = index.value
                namespace[f"c{j}"] = (
                    proc(value) if proc is not None and value is not None else value
                )
                parts.append(f"c{j}")
            elif proc is None:
                parts.append(f"values[{index}]")
            else:
                namespace[f"p{j}"] = proc
                parts.append(f"(p{j}(x) if (x := values[{index}]) is not None else None)")
        source = "def args(values):\n    return [" + ", ".join(parts) + "]\n"
        return make_function(source, namespace, "statement arguments")

    def processors(self) -> tuple[Processor | None, ...] | None:
        """Each driver argument's bind processor, when the arguments are the caller's values
        in their order; None when the statement reorders them or has constants of its own."""
        return self._procs if self._order == tuple(range(len(self._order))) else None

    def value_order(self) -> tuple[int, ...] | None:
        """The index in the caller's values of each driver argument; None when an argument
        is a constant of the statement."""
        order = tuple(i for i in self._order if not isinstance(i, _Const))
        return order if len(order) == len(self._order) else None

    def _looped_args(self, values: Sequence[Any]) -> Sequence[Any]:
        out: list[Any] = []
        for index, proc in zip(self._order, self._procs, strict=True):
            value = index.value if isinstance(index, _Const) else values[index]
            out.append(proc(value) if proc is not None and value is not None else value)
        return out

    def __repr__(self) -> str:
        return f"<Plan {self.sql!r}>"


#: Statements with more arguments than this (multi-row VALUES) loop instead.
_GENERATED_ARGS_LIMIT = 512


def _same_values(values: Sequence[Any]) -> Sequence[Any]:
    return values


def param(index: int, type_: Any = None) -> sa.BindParameter[Any]:
    """The bound parameter for value ``index`` of a shape's value list."""
    return sa.bindparam(f"p{index}", type_=type_)


def array_param(index: int, element_type: Any) -> sa.BindParameter[Any]:
    """An array parameter of one dimension: each list or dict in it (a JSON value) is one
    element, not a nested array."""
    return param(index, pg.ARRAY(element_type, dimensions=1))


def result_processor(type_: sa.types.TypeEngine[Any]) -> Processor | None:
    """The asyncpg dialect's result processor for a column type (None when the driver's value is final)."""
    try:
        return _sa_compat.result_processor(type_, DIALECT, None)
    except TypeError:
        # Numeric types pick their processor from the column's type OID.
        oid = 1700 if getattr(type_, "asdecimal", False) else 701
        return _sa_compat.result_processor(type_, DIALECT, oid)


class JSONText(sa.Text):
    """A JSON column read as its text, ``CAST(col AS TEXT)``, when a SELECT loads instances
    (see ``_json_text.json_as_text``): the row builder decodes the text into the attribute, and
    the text itself is the loaded value's snapshot. Marshalling a copy of each decoded value
    instead (``JSON.snapshot``) cost about as much as the rest of building a wide row."""

    cache_ok = True


#: How a JSON column's text becomes its value: ``json.loads()``, through ``aksara._json``'s
#: shortcut (what aksara's engines decode JSON with when no ``json_deserializer`` is given).
json_loads = _json.loads


class DecodedJSONText(sa.types.TypeDecorator[Any]):
    """A JSON column read as its text for ``values()`` and ``values_list()``: the row
    converter decodes it with ``json.loads`` (its result processor, called directly)."""

    impl = sa.Text
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Any:  # json.loads itself
        return json_loads


class RowPlan:
    """How to turn asyncpg records of a SELECT into attribute values."""

    __slots__ = ("names", "procs", "texts", "extra", "_builders", "_dicts", "_tuples", "_flat")

    def __init__(self, names: Sequence[str], types: Sequence[sa.types.TypeEngine[Any]]) -> None:
        self.names = tuple(names)
        #: The annotations that follow the instance's columns in each record (``annotate()``).
        self.extra: RowPlan | None = None
        self.procs = tuple(
            (i, p) for i, t in enumerate(types) if (p := result_processor(t)) is not None
        )
        #: The positions of JSON columns read as text (``JSONText``), which builders decode.
        self.texts = tuple(i for i, t in enumerate(types) if isinstance(t, JSONText))
        self._builders: dict[type, Callable[..., Any]] = {}
        self._dicts: Callable[[Sequence[Any]], list[dict[str, Any]]] | None = None
        self._tuples: Callable[[Sequence[Any]], list[tuple[Any, ...]]] | None = None
        self._flat: Callable[[Sequence[Any]], list[Any]] | None = None

    def dicts(self, records: Sequence[Any]) -> list[dict[str, Any]]:
        """Each record as a dict of ``names`` to converted values."""
        if self._dicts is None:
            self._dicts = self._converter("dict")
        return self._dicts(records)

    def tuples(self, records: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Each record as a tuple of converted values."""
        if self._tuples is None:
            self._tuples = self._converter("tuple") if self.procs else _plain_tuples
        return self._tuples(records)

    def flat(self, records: Sequence[Any]) -> list[Any]:
        """The converted first value of each record."""
        if self._flat is None:
            self._flat = self._converter("flat")
        return self._flat(records)

    def _converter(self, kind: str) -> Callable[[Sequence[Any]], Any]:
        """A list comprehension generated for this row shape and ``kind`` (dict, tuple or
        flat): each record is unpacked into locals and one literal built from them, with
        each column's result processor inline. Several times faster than ``dict(record)``
        or ``dict(zip(names, record))``."""
        names, values = self.names, self.values
        if not names or len(names) > _GENERATED_COLUMNS_LIMIT:
            if kind == "dict":
                return lambda records: [dict(zip(names, values(r), strict=True)) for r in records]
            if kind == "tuple":
                return lambda records: [values(r) for r in records]
            return lambda records: [values(r)[0] for r in records]
        namespace: dict[str, Any] = {}
        procs = dict(self.procs)
        items: list[str] = []
        for i in range(len(names)):
            if i in procs:
                namespace[f"p{i}"] = procs[i]
                items.append(f"(None if v{i} is None else p{i}(v{i}))")
            else:
                items.append(f"v{i}")
        if kind == "dict":
            # repr() of a str is a literal of that str, whatever the name holds.
            literal = (
                "{" + ", ".join(f"{n!r}: {v}" for n, v in zip(names, items, strict=True)) + "}"
            )
        elif kind == "tuple":
            literal = "(" + ", ".join(items) + ",)"
        else:
            literal = items[0]
        targets = ", ".join(f"v{i}" for i in range(len(names)))
        source = f"def convert(records):\n    return [{literal} for {targets}, in records]\n"
        return make_function(source, namespace, f"row converter ({kind})")

    def builder(
        self,
        model: type,
        make: Callable[[Any, tuple[str, ...], tuple[int, ...]], Callable[..., Any]],
    ) -> Callable[..., Any]:
        """The function making an instance of ``model`` from a row's converted values:
        ``make(model, names, texts)``, asked once per model."""
        build = self._builders.get(model)
        if build is None:
            build = self._builders[model] = make(model, self.names, self.texts)
        return build

    def values(self, record: Any) -> tuple[Any, ...]:
        if not self.procs:
            return tuple(record)
        values = list(record)
        for i, proc in self.procs:
            value = values[i]
            if value is not None:
                values[i] = proc(value)
        return tuple(values)


def _plain_tuples(records: Sequence[Any]) -> list[tuple[Any, ...]]:
    return list(map(tuple, records))


#: Row shapes with more columns than this convert in a loop instead.
_GENERATED_COLUMNS_LIMIT = 1000


def instance_statements(
    model: Any,
    names: tuple[str, ...],
    namespace: dict[str, Any],
    target: str,
    values: str,
    texts: tuple[int, ...] = (),
) -> list[str] | None:
    """Generated statements making ``target`` an instance of ``model`` from the sequence
    named ``values`` (the values of columns ``names``; those at ``texts`` are JSON text),
    for ``instance_builder`` and for loops that build instances inline; None when a name is
    not an identifier."""
    if not names or not all(is_identifier(n) for n in names):
        return None
    by_attname = model._meta.by_attname
    expect_columns(model, names)
    namespace.update({"new": object.__new__, f"{target}_cls": model, "json_loads": json_loads})
    snapshots = {
        i
        for i, name in enumerate(names)
        if (field := by_attname.get(name)) is not None and field.mutable and i not in texts
    }
    first: list[str] = []
    if snapshots:
        # The snapshot is built item by item, read from a tuple: CPython reads a tuple's
        # item in one step, a Record's through the generic subscript (the Record's slice
        # is a tuple, made in one step; a tuple's is the tuple itself).
        first.append(f"{target}_row = {values}[:]")
        values = f"{target}_row"
    loaded: list[str] = []
    for i in range(len(names)):
        if i in snapshots:
            namespace[f"{target}_s{i}"] = by_attname[names[i]].snapshot
            loaded.append(f"None if (y := {values}[{i}]) is None else {target}_s{i}(y)")
        else:
            loaded.append(f"{values}[{i}]")
    # The values themselves when no list or dict needs a copy (JSON text is its own).
    kept = f"({', '.join(loaded)},)" if snapshots else values
    if names != model._meta.attnames:  # some columns only: the names go along
        namespace.update({"Partial": Partial, f"{target}_names": names})
        kept = f"Partial({target}_names, {kept})"
    targets = ", ".join(f"{target}.{n}" for n in names)
    decoded = [
        f"{target}.{names[i]} = None if (y := {values}[{i}]) is None else json_loads(y)"
        for i in texts
    ]
    return [
        *first,
        f"{target} = new({target}_cls)",
        f"{targets}, = {values}",
        *decoded,
        f"{target}._loaded = {kept}",
    ]


def instance_builder(
    model: Any, names: tuple[str, ...], texts: tuple[int, ...] = ()
) -> Callable[[tuple[Any, ...]], Any] | None:
    """A function making an instance of ``model`` from the values of columns ``names``.

    It is generated once per model and column list. It assigns the attributes one by one
    (``o.id, o.title = values``), so CPython keeps the instances' key-sharing dictionaries:
    about half the memory of a dict built per row, and several times faster. It also keeps
    ``_loaded``, the loaded values that ``save()`` compares with, with a snapshot of each
    list or dict value (``Field.snapshot``) so that changes made in place are seen; a JSON
    value read as text (positions ``texts``) is decoded here, and its text is its snapshot.
    None when a name cannot be written as an identifier (see ``aksara._codegen``).
    """
    namespace: dict[str, Any] = {}
    lines = instance_statements(model, names, namespace, "o", "values", texts)
    if lines is None:
        return None
    body = "".join(f"    {line}\n" for line in lines)
    source = f"def build(values):\n{body}    return o\n"
    return make_function(source, namespace, f"row builder for {model.__name__}")


def sliced(qs: QuerySet[Any], stmt: Any, counter: list[int]) -> Any:
    """LIMIT written as a number, and OFFSET as a parameter numbered after everything else.

    A LIMIT parameter would keep PostgreSQL planning the statement at every execution: the
    generic plan of a prepared statement assumes an unknown LIMIT returns a tenth of the
    rows, so it never looks cheaper than a plan made for the value at hand. With the number
    in the statement (an int from slicing, never caller text) the generic plan is taken
    after five executions, as for any other statement. One statement per page size."""
    if qs._limit is not None:
        stmt = stmt.limit(sa.literal_column(str(int(qs._limit)), sa.BigInteger()))
    if qs._offset is not None:
        stmt = stmt.offset(param(counter[0], sa.BigInteger()))
        counter[0] += 1
    return stmt
