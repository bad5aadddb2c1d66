"""DateTime, Date, Time and Duration: accepted values are stored exactly (to the microsecond)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from tests.properties.models import PpTemporal
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

offsets = st.timedeltas(
    min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)
).map(dt.timezone)
# A day away from the ends of Python's range: an instant whose UTC time falls outside it (or
# on datetime.min/max, which asyncpg sends as -infinity/infinity) is covered by
# test_edge_cases.py.
moments = st.datetimes(
    min_value=dt.datetime(1, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.one_of(st.none(), st.just(dt.UTC), offsets),
)
datetime_inputs = st.one_of(
    moments,
    moments.map(dt.datetime.isoformat),
    st.dates(min_value=dt.date(1, 1, 2)),
    st.sampled_from(
        [
            "2024-02-29T12:00:00Z",
            "2023-02-29T12:00:00",
            "2024-01-01 00:00:00+05:30",
            " 2024-01-01 ",
            "infinity",
            "now",
            "",
            "2024-13-01",
        ]
    ),
    st.text(max_size=8),
    other_types,
)


@PROPERTY_SETTINGS
@given(value=datetime_inputs)
async def test_datetime_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpTemporal, "moment", value)
    if cleaned is REJECTED or value is None:
        return
    assert cleaned.tzinfo is not None
    if isinstance(value, dt.datetime):
        assert cleaned == (value if value.tzinfo else value.replace(tzinfo=dt.UTC))


date_inputs = st.one_of(
    st.dates(),
    st.dates().map(dt.date.isoformat),
    moments,
    st.sampled_from(["2024-02-29", "2023-02-29", "20240101", "2024-1-1", "", "today"]),
    st.text(max_size=8),
    other_types,
)


@PROPERTY_SETTINGS
@given(value=date_inputs)
async def test_date_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpTemporal, "day", value)
    if type(value) is dt.date:
        assert cleaned == value


time_inputs = st.one_of(
    st.times(),
    st.times().map(dt.time.isoformat),
    st.times(timezones=offsets),
    moments,
    st.sampled_from(
        ["07:30", "07:30:00.123456", "23:59:59.999999", "24:00", "7:30", "12:00+01:00", ""]
    ),
    st.text(max_size=8),
    other_types,
)


@PROPERTY_SETTINGS
@given(value=time_inputs)
async def test_time_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpTemporal, "clock", value)
    if type(value) is dt.time:
        assert cleaned == value if value.tzinfo is None else cleaned is REJECTED


# The day counts of huge duration strings are covered by test_edge_cases.py.
duration_inputs = st.one_of(
    st.timedeltas(),
    st.sampled_from([dt.timedelta.max, dt.timedelta.min, dt.timedelta(microseconds=-1)]),
    st.timedeltas(min_value=dt.timedelta(days=-(10**6)), max_value=dt.timedelta(days=10**6)).map(
        str
    ),
    st.floats(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(),
    st.sampled_from(["1 day, 2:00:00", "-1 day, 23:59:59.5", "0:00:00", "25:99:99", "1 week", ""]),
    st.text(max_size=8),
    other_types,
)


@PROPERTY_SETTINGS
@given(value=duration_inputs)
async def test_duration_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpTemporal, "span", value)
    if type(value) is dt.timedelta:
        assert cleaned == value
