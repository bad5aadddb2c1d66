"""Vector: accepted vectors are cleaned to float32 values, and read back equal to them."""

import decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aksara.types import float32
from tests.properties.models import PpVector
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

# Integers too large for a float are covered by test_edge_cases.py.
numbers = st.one_of(
    st.floats(width=32),
    st.floats(),
    st.sampled_from([3.4028234663852886e38, 3.4028235e38 * 1.0000001, 1e-46, 1.4e-45, -0.0]),
    st.integers(min_value=-(2**200), max_value=2**200),
    # Where float32s are 2 to 256 apart, so many decimals sit halfway between two of them.
    st.integers(min_value=2**24, max_value=2**32).map(float),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.fractions(max_denominator=100),
    st.sampled_from([True, "1.0", None, decimal.Decimal("NaN")]),
)
vector_inputs = st.one_of(
    st.lists(numbers, min_size=3, max_size=3),
    st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), max_size=5),
    st.lists(numbers, min_size=1, max_size=3).map(tuple),
    st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=3, max_size=3).map(
        lambda items: np.array(items, dtype=np.float64)
    ),
    st.lists(st.lists(st.floats(), min_size=3, max_size=3), min_size=1, max_size=2).map(np.array),
    st.text(max_size=3),
    other_types,
)


@pytest.mark.parametrize("name", ["embedding", "free"])
@PROPERTY_SETTINGS
@given(value=vector_inputs)
async def test_vector_round_trips_to_float32_or_writes_nothing(db, name, value):
    cleaned = await check_round_trip(PpVector, name, value)
    if cleaned is REJECTED or value is None:
        return
    items = value.tolist() if isinstance(value, np.ndarray) else list(value)
    assert cleaned == [float32(float(item)) for item in items]
    assert all(type(item) is float for item in cleaned)
