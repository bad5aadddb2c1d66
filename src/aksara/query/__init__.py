"""Queries: ``Manager``, ``QuerySet``, lookups, ``Q``/``F`` expressions and aggregates."""

from aksara.query.aggregates import Aggregate, Avg, Count, Max, Min, Sum
from aksara.query.expressions import F, Q
from aksara.query.lookups import Lookup, register_lookup
from aksara.query.manager import Manager
from aksara.query.queryset import QuerySet

__all__ = [
    "Aggregate",
    "Avg",
    "Count",
    "F",
    "Lookup",
    "Manager",
    "Max",
    "Min",
    "Q",
    "QuerySet",
    "Sum",
    "register_lookup",
]
