"""UUID: any standard text form is accepted and stored as the same UUID."""

import uuid

from hypothesis import given
from hypothesis import strategies as st

from tests.properties.models import PpUUID
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

uuid_inputs = st.one_of(
    st.uuids(),
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex.upper()),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: u.urn),
    st.uuids().map(lambda u: str(u)[:-1]),
    st.uuids().map(lambda u: u.bytes),
    st.uuids().map(lambda u: u.int),
    st.sampled_from([str(uuid.UUID(int=0)), "f" * 32, "g" * 32, "", " "]),
    st.text(max_size=36),
    other_types,
)


@PROPERTY_SETTINGS
@given(value=uuid_inputs)
async def test_uuid_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpUUID, "identifier", value)
    if isinstance(value, uuid.UUID):
        assert cleaned == value
    elif isinstance(value, (bytes, int)):
        assert cleaned is REJECTED
