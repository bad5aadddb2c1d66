"""Loading relations for ``select_related()`` and ``prefetch_related()``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aksara.exceptions import QueryError

if TYPE_CHECKING:
    from aksara.query.queryset import QuerySet


async def load(qs: QuerySet[Any], instances: list[Any]) -> None:
    """Attach the related objects named by the queryset to ``instances``."""
    meta = qs.model._meta
    for name in (*qs._related, *qs._prefetch):
        field = meta.fields.get(name.split("__")[0])
        loader = getattr(field, "load_related", None)
        if loader is None:
            raise QueryError(f"{meta.model_name}.{name} is not a relation")
        await loader(instances, name)
