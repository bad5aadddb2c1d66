"""Array of each base type: a list whose every element the element field accepts is stored
as cleaned; one bad element (or None) rejects the whole list."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.properties.models import PpArray
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

ELEMENTS = {
    "texts": st.one_of(st.text(max_size=6), st.sampled_from(["", "\x00", "NULL", '"{,}"', "😀"])),
    "integers": st.one_of(
        st.integers(min_value=-(2**32), max_value=2**32),
        st.sampled_from([2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 1.0, "7", True]),
    ),
    "floats": st.one_of(st.floats(), st.integers(min_value=-(2**60), max_value=2**60)),
    "booleans": st.one_of(st.booleans(), st.sampled_from([0, 1, "true"])),
    "uuids": st.one_of(st.uuids(), st.uuids().map(str), st.sampled_from(["x", 0])),
}

EXPECTED_TYPES = {"texts": str, "integers": int, "floats": float, "booleans": bool}


@pytest.mark.parametrize("name", list(ELEMENTS))
@PROPERTY_SETTINGS
@given(data=st.data())
async def test_array_round_trips_or_writes_nothing(db, name, data):
    element = ELEMENTS[name]
    value = data.draw(
        st.one_of(
            st.lists(element, max_size=5),
            st.lists(element, max_size=3).map(tuple),
            st.lists(st.one_of(element, st.none()), min_size=1, max_size=3),
            st.lists(st.lists(element, min_size=1, max_size=2), min_size=1, max_size=2),
            st.text(max_size=3),
            other_types,
        ),
        label="value",
    )
    cleaned = await check_round_trip(PpArray, name, value)
    if cleaned is REJECTED or value is None:
        return
    assert isinstance(cleaned, list) and len(cleaned) == len(value)
    kind = EXPECTED_TYPES.get(name, uuid.UUID)
    assert all(type(item) is kind for item in cleaned)
