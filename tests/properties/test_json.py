"""JSON: JSON-native values (dicts with string keys, lists, strings, numbers, booleans) are
stored as they were cleaned; values JSON cannot represent are rejected.

NUL characters in strings, dicts with non-string keys, tuples and floats of magnitude 1e16
or more are covered by test_edge_cases.py."""

import decimal
import math

from hypothesis import given
from hypothesis import strategies as st

from tests.properties.models import PpJSON
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip

json_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
json_floats = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) < 1e16)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**300, 0.5, -0.0, 5e-324, 1e15 + 0.5]),
    json_floats,
    json_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=12,
)
not_json = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, b"x", {1, 2}, decimal.Decimal("1"), object()]),
    st.lists(st.sampled_from([math.nan, b"x"]), min_size=1, max_size=2),
    st.dictionaries(json_text, st.sampled_from([math.inf, {1}]), min_size=1, max_size=2),
)


@PROPERTY_SETTINGS
@given(value=st.one_of(json_values, not_json))
async def test_json_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpJSON, "data", value)
    if cleaned is not REJECTED:
        assert cleaned == value


@PROPERTY_SETTINGS
@given(value=st.one_of(json_values, not_json))
async def test_required_json_refuses_none(db, value):
    cleaned = await check_round_trip(PpJSON, "required", value)
    if value is None:
        assert cleaned is REJECTED
