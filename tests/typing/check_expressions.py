"""Expressions, conditions and aggregates are typed objects, and keep querysets typed."""

from __future__ import annotations

from typing import Any, assert_type

from aksara import Count, Exists, F, Model, OuterRef, Q, Sum, fields
from aksara.query import QuerySet
from aksara.query.expressions import CombinedExpression


class Order(Model):
    reference = fields.String(max_length=20)
    quantity = fields.Integer(default=1)


async def expressions() -> None:
    assert_type(F("quantity") + 1, CombinedExpression)
    assert_type(Q(quantity=1) | Q(reference="x"), Q)
    assert_type(~Q(quantity=1), Q)
    assert_type(Count("quantity"), Count)
    assert_type(Sum("quantity", distinct=True), Sum)
    annotated = Order.objects.annotate(n=Count("quantity")).filter(Q(n__gt=1) | ~Q(reference=""))
    assert_type(annotated, QuerySet[Order])
    assert_type(await Order.objects.aggregate(total=Sum("quantity")), dict[str, Any])
    await Order.objects.filter(pk=1).update(quantity=F("quantity") + 1)


async def conditions() -> None:
    """Besides Q: Exists() and SQLAlchemy boolean expressions are conditions of their own."""
    same = Exists(Order.objects.filter(reference=OuterRef("reference")).exclude(pk=OuterRef("pk")))
    assert_type(Order.objects.filter(same), QuerySet[Order])
    assert_type(Order.objects.exclude(~same | Q(quantity=1)), QuerySet[Order])
    assert_type(Order.objects.filter(Order.c.quantity > 1), QuerySet[Order])
    assert_type(await Order.objects.get(Order.c.reference == "x"), Order)
    assert_type(Q(same, quantity=1), Q)


def mistakes() -> None:
    Q(quantity=1) | 3  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue, reportUnusedExpression]
    Order.objects.filter("quantity > 1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
