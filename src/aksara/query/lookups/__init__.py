"""Lookups (``field__lookup=value``) and transforms (``field__year``, ``data__key``), one module
per family, each registering its own onto the field classes it serves
(``Field.register_lookup`` / ``Field.register_transform``): fields know nothing of queries.
"""

from aksara.query.lookups import arrays, composite, json, network, ranges, temporal, vector
from aksara.query.lookups.base import LOOKUPS, Lookup, OperatorLookup, query_value, register_lookup

__all__ = [
    "LOOKUPS",
    "Lookup",
    "OperatorLookup",
    "arrays",
    "composite",
    "json",
    "network",
    "query_value",
    "ranges",
    "register_lookup",
    "temporal",
    "vector",
]
