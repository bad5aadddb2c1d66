"""The per-model caches of the query layer, and records turned into instances.

Two caches live on each model's ``_meta``, both bounded and least-recently-used first out:

- ``plans``: compiled statements (``Plan``, with their ``RowPlan``), keyed by query shape;
- ``generated``: functions generated for the model (row builders, snapshots, INSERT
  values, COPY rows, validators).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from aksara.models._attributes import expect_columns
from aksara.query._compile import RowPlan, instance_builder, json_loads
from aksara.state import make_loaded

if TYPE_CHECKING:
    from aksara.models.base import Model
    from aksara.models.options import Options
    from aksara.query.joins import JoinLayout

M = TypeVar("M", bound="Model")

_MISSING = object()


def cached_plan(model: type[Model], key: Any, build: Callable[[], Any]) -> Any:
    """The statement cached under ``key`` (a query shape, never values), or ``build()``'s."""
    plans = model._meta.plans
    plan = plans.get(key, _MISSING)
    if plan is _MISSING:
        return plans.put(key, build())
    plans.move_to_end(key)
    return plan


def generated(
    model: type[Model], key: tuple[Any, ...], build: Callable[[type[Model], tuple[Any, ...]], Any]
) -> Any:
    """The function ``build(model, key)`` generated for ``model``, cached under ``key``."""
    cache = model._meta.generated
    function = cache.get(key, _MISSING)
    if function is _MISSING:  # no closure made on the hot path (saves, inserts)
        return cache.put(key, build(model, key))
    cache.move_to_end(key)
    return function


def rowcount(status: str) -> int:
    """The number of rows of a status tag such as ``"UPDATE 3"``."""
    try:
        return int(status.rsplit(" ", 1)[-1])
    except ValueError:
        return 0


#: From this many rows on, building instances pauses the cyclic garbage collector (see
#: ``instances``).
GC_PAUSE_ROWS = 256


def instances(
    model: type[M], records: Sequence[Any], rows: RowPlan, layout: JoinLayout | None
) -> list[M]:
    """The instances of a SELECT's records: with annotations after their columns, with
    ``select_related`` rows (``layout``), or plain.

    Building thousands of instances is thousands of allocations, and CPython runs its cyclic
    garbage collector every few hundred of them, each time walking the objects made so far:
    a third of the time of a 2,000-row read. Nothing here makes a cycle the collector could
    free early, so it is paused for the loop; the next allocation after it collects once.
    """
    if len(records) < GC_PAUSE_ROWS or not gc.isenabled():
        return _instances(model, records, rows, layout)
    gc.disable()
    try:
        return _instances(model, records, rows, layout)
    finally:
        gc.enable()


def _instances(
    model: type[M], records: Sequence[Any], rows: RowPlan, layout: JoinLayout | None
) -> list[M]:
    if rows.extra is not None:
        return annotated_instances(model, records, rows, layout)
    if layout is not None:
        return layout.hydrate(model, records, rows)
    return hydrate(model, records, rows)


def hydrate(model: type[M], records: Sequence[Any], rows: RowPlan) -> list[M]:
    """Build instances from records without validation (values are the database's own)."""
    build = rows.builder(model, builder_for)
    if not rows.procs:
        # The records are the values: an instance keeps its own (see Model.__getstate__).
        return [build(record) for record in records]
    return [build(values) for values in rows.tuples(records)]


def builder_for(
    model: type[M], names: tuple[str, ...], texts: tuple[int, ...] = ()
) -> Callable[..., M]:
    """The instance builder of ``model`` for columns ``names`` (those at ``texts`` read as
    JSON text), generated once and cached."""
    return generated(model, ("builder", names, texts), _make_builder)  # type: ignore[no-any-return]


def _make_builder(model: type[M], key: tuple[Any, ...]) -> Callable[..., M]:
    names: tuple[str, ...] = key[1]
    texts: tuple[int, ...] = key[2]
    build = instance_builder(model, names, texts)
    if build is not None:
        return build
    # Names that cannot be written as identifiers: build the instance dict instead.
    expect_columns(model, names)
    mutable = mutable_positions(model._meta, names)

    def build_dict(values: Sequence[Any]) -> M:
        return make_instance(model, names, values, mutable, texts)

    return build_dict


def mutable_positions(meta: Options, names: tuple[str, ...]) -> tuple[int, ...]:
    if names is meta.attnames:
        return meta.mutable_positions
    return tuple(i for i, n in enumerate(names) if meta.by_attname[n].mutable)


def make_instance(
    model: type[M],
    names: tuple[str, ...],
    values: Sequence[Any],
    mutable: tuple[int, ...] = (),
    texts: tuple[int, ...] = (),
) -> M:
    """An instance from one row's converted values, as ``hydrate()`` builds them (the
    values at ``texts`` are JSON text: decoded, and the text kept as their snapshot)."""
    obj = object.__new__(model)
    d = dict(zip(names, values, strict=True))
    for i in texts:
        if values[i] is not None:
            d[names[i]] = json_loads(values[i])
    loaded = tuple(values)
    if mutable:
        fields = model._meta.by_attname
        snapshot = list(loaded)
        for i in mutable:
            if i not in texts:
                snapshot[i] = fields[names[i]].snapshot(snapshot[i])
        loaded = tuple(snapshot)
    d["_loaded"] = make_loaded(model._meta, names, loaded)
    # Any: pyright takes a Model's __dict__ for a read-only mapping (custom metaclass).
    target: Any = obj
    target.__dict__ = d
    return obj


def annotated_instances(
    model: type[M], records: Sequence[Any], rows: RowPlan, layout: JoinLayout | None
) -> list[M]:
    """Instances from records whose last columns are annotations, set as attributes
    (``layout``: a ``select_related`` JoinLayout, or None)."""
    assert rows.extra is not None
    width = len(rows.names)
    head = [r[:width] for r in records]
    # Any: pyright takes a Model's __dict__ for a read-only mapping (custom metaclass).
    objs: list[Any] = (
        layout.hydrate(model, head, rows) if layout is not None else hydrate(model, head, rows)
    )
    names = rows.extra.names
    for obj, values in zip(objs, rows.extra.tuples([r[width:] for r in records]), strict=True):
        obj.__dict__.update(zip(names, values, strict=True))
    return objs
