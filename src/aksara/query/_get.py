"""``get(key=value)`` by the lookup's shape: the statement is found without building the
``filter(key=value)[:2]`` queryset (no clones, no condition tree), for a queryset whose
``get()`` depends on nothing else but its ``select_related()`` and ``prefetch_related()``
(``QuerySet._gets_by_shape()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aksara.db import get_database
from aksara.query import _fold, _select
from aksara.query._plans import cached_plan, hydrate, instances
from aksara.query._resolve import Hop, resolve
from aksara.query.expressions import CombinedExpression, F, Q
from aksara.query.prefetch import prefetch_related_objects

if TYPE_CHECKING:
    from aksara.query.queryset import QuerySet


async def by_shape(qs: QuerySet[Any, Any], lookups: dict[str, Any]) -> list[Any]:
    """The rows (at most two) of ``qs.filter(**lookups)[:2]``, unordered, for one lookup."""
    ((key, value),) = lookups.items()
    model = qs.model
    resolved = resolve(model, key)
    if isinstance(resolved, Hop) or isinstance(value, (F, CombinedExpression, Q)):
        return await qs.filter(**lookups)[:2]._fetch()
    variant, params = resolved.lookup.prepare(resolved.output_field, value)
    related, prefetch = qs._related, qs._prefetch

    def build() -> Any:
        one = qs.filter(**lookups)
        one._limit = 2
        one._order = ()  # one row is wanted: no ordering, as in the general case
        if prefetch and (folding := _fold.folded(one)) is not None:
            return _fold.FoldedSelect(one, folding)
        return _select.build_select(one)

    if not related and not prefetch:
        plan, rows, _ = cached_plan(model, ("get", key, variant), build)
        records = await get_database().fetch(plan.sql, plan.args(params))
        return hydrate(model, records, rows)
    shape = ("get", key, variant, related, qs._related_only, prefetch)
    built = cached_plan(model, shape, build)
    if type(built) is _fold.FoldedSelect:
        return await built.read(model, params)
    plan, rows, layout = built
    records = await get_database().fetch(plan.sql, plan.args(params))
    result = instances(model, records, rows, layout)
    if prefetch:
        await prefetch_related_objects(result, *prefetch)
    return result
