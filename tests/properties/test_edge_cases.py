"""Edge cases the property tests found: values validation used to accept although the database
refuses or changes them, or that failed with another exception than ``ValidationError``.
Each test states the behaviour the field has now."""

import datetime as dt
import decimal

import pytest

from aksara.exceptions import ValidationError
from tests.properties.models import (
    PpArray,
    PpBinary,
    PpDecimal,
    PpEnum,
    PpFloat,
    PpInteger,
    PpIPAddress,
    PpJSON,
    PpTemporal,
    PpText,
    PpUUID,
    PpVector,
)
from tests.properties.roundtrip import REJECTED, check_round_trip

EAST = dt.timezone(dt.timedelta(hours=5))
WEST = dt.timezone(dt.timedelta(hours=-5))


@pytest.mark.parametrize(
    ("model", "name", "value"),
    [
        (PpText, "name", "\ud800"),
        (PpText, "body", "a\udfffb"),
        (PpArray, "texts", ["a\ud800"]),
        (PpJSON, "data", {"key": "\ud800"}),
    ],
)
async def test_text_with_a_lone_surrogate_is_rejected_by_validation(db, model, name, value):
    # UTF-8 cannot encode a lone surrogate: today the INSERT fails with DatabaseError.
    assert await check_round_trip(model, name, value) is REJECTED


@pytest.mark.parametrize("value", ["\x00", {"key": "a\x00b"}, {"a\x00": 1}, ["\x00"]])
async def test_json_with_a_nul_character_is_rejected_by_validation(db, value):
    # JSONB cannot hold \u0000: today the INSERT fails with DatabaseError.
    assert await check_round_trip(PpJSON, "data", value) is REJECTED


@pytest.mark.parametrize("value", [{1: "a"}, {True: "a"}, (1, 2), {"a": (1, [2])}])
async def test_json_that_is_not_stored_as_given_is_normalised_or_rejected(db, value):
    # JSON has string keys and one kind of array: {1: "a"} reads back as {"1": "a"} and
    # (1, 2) as [1, 2], so clean() should return that (or reject the value).
    await check_round_trip(PpJSON, "data", value)


@pytest.mark.parametrize("value", [1e16, 1e23, -1.5e300, [2.0**70], {"x": 1e20}])
async def test_large_json_floats_read_back_as_the_cleaned_value(db, value):
    # JSONB prints these numbers without an exponent or a point (1e23 as
    # 100000000000000000000000), so they read back as ints, and 1e23 != 10**23.
    await check_round_trip(PpJSON, "data", value)


async def test_binary_text_with_a_lone_surrogate_is_rejected_by_validation(db):
    # Today clean() raises UnicodeEncodeError.
    assert await check_round_trip(PpBinary, "blob", "a\ud800") is REJECTED


@pytest.mark.parametrize("value", ["99999999999 days, 0:00:00", "-99999999999 days, 0:00:00"])
async def test_duration_text_with_too_many_days_is_rejected_by_validation(db, value):
    # Today clean() raises OverflowError.
    assert await check_round_trip(PpTemporal, "span", value) is REJECTED


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(1, 1, 1, 0, 0, tzinfo=EAST),
        dt.datetime(9999, 12, 31, 23, 0, tzinfo=WEST),
        dt.datetime(1, 1, 1),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ],
)
async def test_datetimes_at_the_ends_of_the_range_round_trip_or_are_rejected(db, value):
    # The first two are instants outside Python's range in UTC (asyncpg refuses them: today a
    # DatabaseError); asyncpg sends datetime.min/max as -infinity/infinity and reads them back
    # naive, so the last two come back as naive datetimes that differ from the cleaned value.
    await check_round_trip(PpTemporal, "moment", value)


@pytest.mark.parametrize("value", [dt.date.min, dt.date.max])
async def test_dates_at_the_ends_of_the_range_are_rejected(db, value):
    # asyncpg would send date.min/max as -infinity/infinity (SQL would see no year):
    # validation refuses them instead.
    assert await check_round_trip(PpTemporal, "day", value) is REJECTED


@pytest.mark.parametrize(("name", "value"), [("any_ip", "fe80::1%eth0"), ("ipv6", "ff02::1%1")])
async def test_scoped_ipv6_addresses_are_stored_as_cleaned_or_rejected(db, name, value):
    # INET has no zone: today the zone is dropped silently ("fe80::1%eth0" reads back as "fe80::1").
    await check_round_trip(PpIPAddress, name, value)


@pytest.mark.parametrize(
    "value",
    [
        decimal.Decimal("1.000000000000000000000000000001"),
        decimal.Decimal("42579004598613.503351402437538134674"),
    ],
    ids=str,
)
async def test_decimals_with_more_places_than_the_scale_are_rejected_not_rounded(db, value):
    # Decimal(precision=40, scale=20): _digits() calls normalize() in the default context
    # (28 digits), which rounds the value before its places are counted; clean() then
    # rounds it to 20 places instead of rejecting it.
    assert await check_round_trip(PpDecimal, "wide", value) is REJECTED


HUGE = 10**5000  # beyond Python's 4300-digit limit for int -> str


@pytest.mark.parametrize(
    ("model", "name", "value"),
    [
        (PpInteger, "integer", HUGE),
        (PpFloat, "number", HUGE),
        (PpTemporal, "span", HUGE),
        (PpArray, "integers", [HUGE]),
        (PpEnum, "level", HUGE),
        (PpUUID, "identifier", HUGE),
        (PpVector, "free", [HUGE]),
        (PpVector, "free", [2**1024]),
        (PpFloat, "number", decimal.Decimal("sNaN")),
        (PpArray, "floats", [decimal.Decimal("sNaN")]),
    ],
    ids=lambda value: value if isinstance(value, str) else type(value).__name__,
)
async def test_out_of_range_numbers_fail_validation(db, model, name, value):
    # Today: ValueError while formatting the error message (int -> str digit limit),
    # OverflowError from float() in Vector, ValueError from float(Decimal("sNaN")) in Float.
    field = model._meta.get_field(name)
    with pytest.raises(ValidationError):
        field.clean(value)


@pytest.mark.parametrize(
    "value", [[35200270.0], [35200270], [0.0, 0.0, 35200270.0], [-16777217.0]], ids=str
)
async def test_vectors_halfway_between_float32s_read_back_equal_to_the_cleaned_values(db, value):
    # float32(35200270.0) is 35200272. Its shortest decimal, 3.520027e7, lies exactly
    # halfway between two float32s; PostgreSQL never prints such a tie (3.5200272e+07), so
    # clean() must not give it either.
    cleaned = await check_round_trip(PpVector, "free", value)
    assert cleaned[-1] in (35200272.0, -16777216.0)
