"""Caches an attacker can fill stay bounded.

Issue item 7: the resolved-lookup cache (``Options.resolved``) grew without bound, 50,000
distinct keys such as ``data__k{i}__x`` costing about 130 MB.
"""

from aksara.models.options import MAX_RESOLVED
from aksara.query._resolve import resolve
from tests.security.models import SecDoc


def test_distinct_json_key_paths_do_not_grow_the_caches():
    meta = SecDoc._meta
    for i in range(MAX_RESOLVED * 2):
        resolve(SecDoc, f"data__k{i}__x")  # what every filter() and order_by() key goes through
    assert len(meta.resolved) == MAX_RESOLVED
    for i in range(50):
        SecDoc.objects.filter(**{f"data__k{i}__x": 1}).sql()
    assert len(meta.plans) <= meta.plans.maxsize
