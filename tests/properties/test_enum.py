"""Enum: a member, its value, or the value's text is stored and read back as the member."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.properties.models import PpColour, PpEnum, PpLevel
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

ENUMS = {"colour": PpColour, "level": PpLevel, "short_colour": PpColour}

enum_inputs = st.one_of(
    st.sampled_from(list(PpColour) + list(PpLevel)),
    st.sampled_from([m.value for m in PpColour] + [m.value for m in PpLevel]),
    st.sampled_from([str(m.value) for m in PpLevel] + ["RED", "Red", " red", "3", "1.0"]),
    st.sampled_from([1.0, 2.5, -7.0]),
    st.text(max_size=6),
    other_types,
)


@pytest.mark.parametrize("name", list(ENUMS))
@PROPERTY_SETTINGS
@given(value=enum_inputs)
async def test_enum_round_trips_or_writes_nothing(db, name, value):
    enum_class = ENUMS[name]
    cleaned = await check_round_trip(PpEnum, name, value)
    if isinstance(value, enum_class):
        assert cleaned is value
    elif cleaned is not REJECTED and value is not None:
        assert isinstance(cleaned, enum_class)
