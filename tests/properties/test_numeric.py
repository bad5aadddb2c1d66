"""The integer family, Float and Decimal: accepted numbers are stored exactly as cleaned."""

import decimal
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.properties.models import PpDecimal, PpFloat, PpInteger
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

D = decimal.Decimal

RANGES = {
    "integer": (-(2**31), 2**31 - 1),
    "small": (-(2**15), 2**15 - 1),
    "big": (-(2**63), 2**63 - 1),
    "positive": (0, 2**31 - 1),
    "positive_small": (0, 2**15 - 1),
    "positive_big": (0, 2**63 - 1),
    "rating": (-3, 5),
}

limits = sorted({n + d for low, high in RANGES.values() for n in (low, high) for d in (-1, 0, 1)})
integers = st.one_of(
    st.sampled_from(limits),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.integers(),
    st.sampled_from([10**100, -(10**100)]),
    st.integers(min_value=-(2**70), max_value=2**70).map(float),
    st.floats(),
    st.decimals(),
    st.integers(min_value=-(2**64), max_value=2**64).map(str),
    st.sampled_from([" 7 ", "1_000", "١٢", "0x10", "1e3", "", "-", "9" * 5000]),
    other_types,
)


@pytest.mark.parametrize("name", list(RANGES))
@PROPERTY_SETTINGS
@given(value=integers)
async def test_integer_round_trips_or_writes_nothing(db, name, value):
    low, high = RANGES[name]
    cleaned = await check_round_trip(PpInteger, name, value)
    if type(value) is int:
        assert cleaned == value if low <= value <= high else cleaned is REJECTED
    if cleaned is not REJECTED and value is not None:
        assert type(cleaned) is int and low <= cleaned <= high


@PROPERTY_SETTINGS
@given(value=st.one_of(st.none(), integers))
async def test_required_integer_refuses_none(db, value):
    cleaned = await check_round_trip(PpInteger, "required", value)
    if value is None:
        assert cleaned is REJECTED


floats = st.one_of(
    st.floats(),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308]),
    st.sampled_from([-90, 90, -90.00000000000001, 90.00000000000001, 2**1024, -(2**1024)]),
    st.integers(),
    st.decimals(allow_nan=False),
    st.sampled_from([D("NaN"), D("-Infinity"), D("1E+400")]),
    st.floats().map(repr),
    st.sampled_from(["nan", "inf", "-Infinity", "1e400", " 1.5 ", "1_0.5", ""]),
    other_types,
)


@pytest.mark.parametrize("name", ["number", "latitude", "required"])
@PROPERTY_SETTINGS
@given(value=floats)
async def test_float_round_trips_or_writes_nothing(db, name, value):
    cleaned = await check_round_trip(PpFloat, name, value)
    if type(value) is float and math.isfinite(value) and name == "number":
        assert cleaned == value and math.copysign(1, cleaned) == math.copysign(1, value)
    if type(value) is float and not math.isfinite(value):
        assert cleaned is REJECTED
    if cleaned is not REJECTED and value is not None:
        assert type(cleaned) is float and math.isfinite(cleaned)
        if name == "latitude":
            assert -90 <= cleaned <= 90


DECIMALS = {
    "price": (10, 2, None, None),
    "rate": (5, 4, None, None),
    "whole": (3, 0, None, None),
    "wide": (40, 20, None, None),
    "percentage": (5, 2, 0, 100),
}

decimals = st.one_of(
    st.decimals(),
    st.decimals(places=2, min_value=-(10**9), max_value=10**9),
    st.decimals(places=4, min_value=-20, max_value=20),
    st.decimals(places=20, min_value=-(10**21), max_value=10**21),
    st.sampled_from(
        [
            D("99999999.99"),
            D("100000000.00"),
            D("-99999999.99"),
            D("0.001"),
            D("1.50"),
            D("1.500000"),
            D("-0"),
            D("1E+2"),
            D("1E-30"),
            D("1E+999999"),
            D("9.9999"),
            D("10.0000"),
            D("999"),
            D("1000"),
            D("NaN"),
            D("sNaN"),
            D("-Infinity"),
            D("100.00"),
            D("100.01"),
        ]
    ),
    st.floats(),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["12.34", " 1.5 ", "1,5", "nan", "1e2", ""]),
    other_types,
)


def significant_digits(value):
    try:
        number = D(value.strip()) if isinstance(value, str) else value
    except decimal.InvalidOperation:
        return 0
    return len(number.as_tuple().digits) if isinstance(number, D) and number.is_finite() else 0


@pytest.mark.parametrize("name", list(DECIMALS))
@PROPERTY_SETTINGS
@given(value=decimals)
async def test_decimal_round_trips_or_writes_nothing(db, name, value):
    precision, scale, low, high = DECIMALS[name]
    # More than 28 significant digits (the default decimal context): test_edge_cases.py.
    assume(significant_digits(value) <= 28)
    cleaned = await check_round_trip(PpDecimal, name, value)
    if cleaned is REJECTED or value is None:
        return
    # The value is kept exactly (never rounded), with ``scale`` decimal places.
    exact = D(repr(value)) if isinstance(value, float) else D(str(value).strip())
    assert cleaned == exact
    assert cleaned.as_tuple().exponent == -scale
    assert len(cleaned.as_tuple().digits) <= precision or cleaned.is_zero()
    assert (low is None or cleaned >= low) and (high is None or cleaned <= high)
