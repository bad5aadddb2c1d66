"""Boolean: only ``True``, ``False`` (and ``None`` where nullable) are accepted."""

from hypothesis import given
from hypothesis import strategies as st

from tests.properties.models import PpBoolean
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip

values = st.one_of(
    st.booleans(),
    st.none(),
    st.sampled_from([0, 1, "true", "false", "", b"\x01", 1.0, [True]]),
    st.integers(),
    st.text(max_size=5),
)


@PROPERTY_SETTINGS
@given(value=values)
async def test_nullable_boolean_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpBoolean, "flag", value)
    if value is None or isinstance(value, bool):
        assert cleaned is value
    else:
        assert cleaned is REJECTED


@PROPERTY_SETTINGS
@given(value=values)
async def test_required_boolean_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpBoolean, "required", value)
    assert cleaned is value if isinstance(value, bool) else cleaned is REJECTED
