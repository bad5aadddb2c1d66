"""Statements that name one row by its primary key, single-column or composite
(``Meta.primary_key``): ``WHERE id = $1`` or ``WHERE order_id = $1 AND line_no = $2``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from aksara._codegen import make_function
from aksara.query._compile import Processor, param
from aksara.state import Partial, loaded_state

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.models.options import Options


def key_condition(meta: Options, table: Any, start: int) -> sa.ColumnElement[bool]:
    """The row whose key is the parameters from ``start`` on (one per key column)."""
    columns = key_columns(meta, table)
    if len(columns) == 1:
        return columns[0] == param(start, columns[0].type)  # type: ignore[no-any-return]
    return sa.and_(*(c == param(start + i, c.type) for i, c in enumerate(columns)))


def key_params(obj: Model) -> list[Any]:
    """The parameters of ``key_condition()`` for ``obj``: the key it was loaded or last saved
    with (code may have changed a key field since: the UPDATE then moves the row), or the
    one it holds when it was neither."""
    d = obj.__dict__
    attnames = obj._meta.pk_attnames
    state = loaded_state(obj)
    if state is None:
        return [d[a] for a in attnames]
    names, values = state
    return [values[names.index(a)] if a in names else d[a] for a in attnames]


def key_reader(
    meta: Options, processors: Sequence[Processor | None]
) -> Callable[[dict[str, Any]], list[Any] | None]:
    """``read(d)``: what ``plan.args(key_params(obj))`` gives for a statement whose
    parameters are the key's (bind ``processors``), from the instance dict ``d`` in one
    generated function; None for an instance loaded in part (``key_params()`` knows it)."""
    namespace: dict[str, Any] = {"Partial": Partial}
    positions = meta.positions
    given = [f"        k{i} = d[{a!r}]" for i, a in enumerate(meta.pk_attnames)]
    kept = [f"        k{i} = loaded[{positions[a]}]" for i, a in enumerate(meta.pk_attnames)]
    items: list[str] = []
    for i, proc in enumerate(processors):
        if proc is None:
            items.append(f"k{i}")
        else:
            namespace[f"p{i}"] = proc
            items.append(f"(p{i}(k{i}) if k{i} is not None else None)")
    source = "\n".join(
        [
            "def read(d):",
            '    loaded = d.get("_loaded")',
            "    if loaded is None:",
            *given,
            "    elif type(loaded) is Partial:",
            "        return None",
            "    else:",
            *kept,
            f"    return [{', '.join(items)}]",
        ]
    )
    return make_function(source + "\n", namespace, f"key of {meta.model_name}")


def loaded_key(obj: Model) -> Any:
    """The ``pk`` value of the row ``obj`` was loaded from (see ``key_params()``)."""
    params = key_params(obj)
    return tuple(params) if obj._meta.composite_pk else params[0]


def key_columns(meta: Options, table: Any) -> list[Any]:
    """The key's columns of ``table`` (a table or an alias of the model's table)."""
    return [table.c[a] for a in meta.pk_attnames]


def key_tuple(meta: Options, table: Any) -> sa.ColumnElement[Any]:
    """The key as one value: its column, or the row ``(order_id, line_no)`` of a composite
    key (compared and ordered column by column)."""
    columns = key_columns(meta, table)
    return columns[0] if len(columns) == 1 else sa.tuple_(*columns)


def key_described(obj: Model) -> str:
    """``id=3`` or ``(order_id, line_no)=(1, 2)``, for messages."""
    meta = obj._meta
    if meta.composite_pk:
        return f"({', '.join(meta.pk_attnames)})={obj.pk!r}"
    return f"{meta.pk.name}={obj.pk!r}"


class _KeyRow(sa.types.TypeDecorator[tuple[Any, ...]]):
    """The type of ``ROW(order_id, line_no)`` selected as a composite key's value: the
    driver's record becomes a plain tuple."""

    impl = sa.types.NullType
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> tuple[Any, ...] | None:
        return None if value is None else tuple(value)


KEY_ROW = _KeyRow()
