"""Binary: bytes-like values (and text, as UTF-8) are stored byte for byte."""

from hypothesis import given
from hypothesis import strategies as st

from tests.properties.models import PpBinary
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

# Text with lone surrogates is covered by test_edge_cases.py.
binary_inputs = st.one_of(
    st.binary(max_size=8),
    st.binary(min_size=1000, max_size=5000),
    st.sampled_from([b"", b"\x00", b"\x00" * 4, b"\xff" * 5, b"\\x00", b"'"]),
    st.binary(max_size=6).map(bytearray),
    st.binary(max_size=6).map(memoryview),
    st.text(max_size=6),
    other_types,
)


def as_bytes(value):
    return value.encode() if isinstance(value, str) else bytes(value)


@PROPERTY_SETTINGS
@given(value=binary_inputs)
async def test_binary_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpBinary, "blob", value)
    if isinstance(value, (bytes, bytearray, memoryview, str)):
        assert cleaned == as_bytes(value)


@PROPERTY_SETTINGS
@given(value=binary_inputs)
async def test_limited_binary_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpBinary, "small_blob", value)
    if isinstance(value, (bytes, bytearray, memoryview, str)):
        data = as_bytes(value)
        assert cleaned == data if len(data) <= 4 else cleaned is REJECTED
