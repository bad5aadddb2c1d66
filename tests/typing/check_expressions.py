"""Expressions, conditions and aggregates are typed objects, and keep querysets typed."""

from __future__ import annotations

from typing import Any, assert_type

from aksara import Count, F, Model, Q, Sum, fields
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


def mistakes() -> None:
    Q(quantity=1) | 3  # type: ignore[operator]  # pyright: ignore[reportOperatorIssue, reportUnusedExpression]
