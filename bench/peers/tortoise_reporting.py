"""Tortoise ORM's side of ``bench/reporting.py``: the reporting queries Tortoise can express.

Tortoise 0.2x/1.x has GROUP BY (``annotate`` + ``group_by`` + ``values``), aggregates over
a relation (a JOIN grouped by the row) and ``Count(..., _filter=Q(...))``. It has no window
functions, no correlated subquery (``OuterRef``) and no union, so it sits those out.
"""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise, fields
from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.models import Model

from bench.peers.tortoise_peer import tortoise_config


class TRepCustomer(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)

    class Meta:
        table = "rep_customer"


class TRepSale(Model):
    id = fields.IntField(primary_key=True)
    customer: Any = fields.ForeignKeyField(
        "models.TRepCustomer", related_name="sales", source_field="customer_id"
    )
    region = fields.CharField(max_length=20)
    amount = fields.IntField()

    class Meta:
        table = "rep_sale"


async def start(url: str) -> None:
    config = tortoise_config(url)
    config["apps"]["models"]["models"] = [__name__]
    config["connections"]["default"]["credentials"].update(minsize=1, maxsize=2)
    await Tortoise.init(config=config)


async def stop() -> None:
    await Tortoise.close_connections()


def queries() -> dict[str, Any]:
    """Coroutine factories for the queries Tortoise can express (results as aksara's)."""
    return {
        "group by": lambda: (
            TRepSale.all()
            .annotate(n=Count("id"), total=Sum("amount"))
            .group_by("region")
            .values("region", "n", "total")
        ),
        "annotate": lambda: (
            TRepCustomer.all().annotate(n=Count("sales"), total=Sum("sales__amount")).order_by("id")
        ),
        "aggregate filter": lambda: (
            TRepSale.filter(region__lt="r10")
            .annotate(big=Count("id", _filter=Q(amount__gt=500)), total=Sum("amount"))
            .first()
            .values("big", "total")
        ),
    }
