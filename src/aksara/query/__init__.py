"""Queries: ``Manager``, ``QuerySet``, lookups, ``Q``/``F`` expressions and aggregates.

Importing the package registers the lookups and transforms on the field classes
(``aksara.query.lookups``) and the class of related managers (``aksara.query.related``).
"""

from aksara.query import files, lookups, related
from aksara.query.aggregates import (
    Aggregate,
    ArrayAgg,
    Avg,
    BoolAnd,
    BoolOr,
    Count,
    JSONBAgg,
    Max,
    Min,
    StdDev,
    StringAgg,
    Sum,
    Variance,
)
from aksara.query.expressions import F, OuterRef, Q, Value
from aksara.query.functions import Case, Exists, Func, Subquery, When
from aksara.query.lookups import Lookup, register_lookup
from aksara.query.manager import Manager
from aksara.query.prefetch import prefetch_related_objects
from aksara.query.queryset import QuerySet
from aksara.query.related import RelatedManager

__all__ = [
    "Aggregate",
    "ArrayAgg",
    "Avg",
    "BoolAnd",
    "BoolOr",
    "Case",
    "Count",
    "Exists",
    "F",
    "Func",
    "JSONBAgg",
    "Lookup",
    "Manager",
    "Max",
    "Min",
    "OuterRef",
    "Q",
    "QuerySet",
    "RelatedManager",
    "StdDev",
    "StringAgg",
    "Subquery",
    "Sum",
    "Value",
    "Variance",
    "When",
    "files",
    "lookups",
    "prefetch_related_objects",
    "register_lookup",
    "related",
]
