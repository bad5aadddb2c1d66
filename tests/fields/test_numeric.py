"""The integer family, Float and Decimal on the real database."""

import decimal

import pytest

import aksara
from aksara import fields
from aksara.db import get_database
from aksara.exceptions import ConfigurationError, IntegrityError, ValidationError
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import FcNumber

D = decimal.Decimal


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("age", "integer"),
        ("views", "bigint"),
        ("small", "smallint"),
        ("positive", "integer"),
        ("positive_small", "smallint"),
        ("positive_big", "bigint"),
        ("score", "double precision"),
        ("price", "numeric(10,2)"),
        ("tax_rate", "numeric(5,4)"),
    ],
)
async def test_column_types(db, field, expected):
    assert await column_type(FcNumber, field) == expected


async def test_round_trip_at_the_range_limits(db):
    created = await FcNumber.objects.create(
        age=-(2**31),
        rating=5,
        views=2**63 - 1,
        small=-(2**15),
        positive=2**31 - 1,
        positive_small=2**15 - 1,
        positive_big=2**63 - 1,
        score=0.1,
        latitude=-90,
        price="12345678.90",
        tax_rate=D("0.0825"),
        percentage=100,
    )
    loaded = await FcNumber.objects.get(pk=created.pk)
    assert (loaded.age, loaded.views, loaded.small) == (-(2**31), 2**63 - 1, -(2**15))
    assert (loaded.positive, loaded.positive_small, loaded.positive_big) == (
        2**31 - 1,
        2**15 - 1,
        2**63 - 1,
    )
    assert loaded.score == 0.1 and isinstance(loaded.score, float)
    assert loaded.latitude == -90.0
    assert loaded.price == D("12345678.90") and isinstance(loaded.price, D)
    assert created.price == loaded.price
    assert str(loaded.tax_rate) == "0.0825"
    assert str(created.percentage) == str(loaded.percentage) == "100.00"
    assert loaded.priority == 3


async def test_null_round_trip(db):
    created = await FcNumber.objects.create()
    loaded = await FcNumber.objects.get(pk=created.pk)
    assert (loaded.age, loaded.small, loaded.score, loaded.price) == (None, None, None, None)
    assert (loaded.views, loaded.positive) == (0, 0)


async def test_filters(db):
    await FcNumber.objects.create(age=30, views=2**40, score=1.5, price="9.99")
    await FcNumber.objects.create(age=40, views=5, score=2.5, price="19.99")
    assert await FcNumber.objects.filter(views__gt=2**32).count() == 1
    assert await FcNumber.objects.filter(age__in=[30, 31]).count() == 1
    assert await FcNumber.objects.filter(score__gte=2).count() == 1
    assert await FcNumber.objects.filter(price__lt="10").count() == 1
    assert await FcNumber.objects.filter(price=D("19.99")).count() == 1
    assert await FcNumber.objects.filter(price__range=(5, 20)).count() == 2


def test_decimal_examples_from_the_reference():
    price = fields.Decimal(precision=10, scale=2)
    for valid in ("12345678.90", "0.01", "-999.99", 12345678, 0.1, "1.50000"):
        price.clean(valid)
    assert price.clean(0.1) == D("0.10")  # through repr, not the binary fraction of 0.1
    with pytest.raises(ValidationError, match="at most 8 digits before the decimal point"):
        price.clean(D("123456789.00"))
    with pytest.raises(ValidationError, match="at most 2 decimal places, got '3.14159'"):
        price.clean("3.14159")


def test_decimal_does_not_go_through_float():
    field = fields.Decimal(precision=30, scale=20)
    assert field.clean("0.12345678901234567890") == D("0.12345678901234567890")
    big = fields.Decimal(precision=30, scale=0)
    assert big.clean("123456789012345678901234567890") == D("123456789012345678901234567890")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("age", "twenty", "Expected integer"),
        ("age", True, "Expected integer"),
        ("age", 1.5, "Expected integer"),
        ("age", 2**31, "out of range for Integer"),
        ("age", -(2**31) - 1, "out of range for Integer"),
        ("views", 2**63, "out of range for BigInteger"),
        ("small", 2**15, "out of range for SmallInteger"),
        ("positive", -1, "out of range for PositiveInteger"),
        ("positive_small", -1, "out of range for PositiveSmallInteger"),
        ("positive_small", 2**15, "out of range for PositiveSmallInteger"),
        ("positive_big", -1, "out of range for PositiveBigInteger"),
        ("rating", 0, "greater than or equal to 1"),
        ("rating", 6, "less than or equal to 5"),
        ("priority", 7, "not a valid choice"),
        ("day_of_week", 7, "not a valid choice"),
        ("score", "abc", "Expected number"),
        ("score", float("nan"), "finite"),
        ("score", False, "Expected number"),
        ("latitude", 91, "less than or equal to 90"),
        ("price", D("123456789.00"), "at most 8 digits before the decimal point"),
        ("price", "3.14159", "at most 2 decimal places"),
        ("price", "ten", "Expected decimal number"),
        ("price", D("NaN"), "finite"),
        ("tax_rate", "10.5", "at most 1 digit before the decimal point"),
        ("percentage", "-0.01", "greater than or equal to 0"),
        ("percentage", "100.01", "less than or equal to 100"),
    ],
)
async def test_rejected_values_write_nothing(db, field, value, message):
    await assert_rejected(FcNumber, field, message, **{field: value})


def test_integers_accept_integral_strings_floats_and_decimals():
    field = fields.Integer()
    assert field.clean(" 42 ") == 42
    assert field.clean(3.0) == 3
    assert field.clean(D("7")) == 7


async def test_positive_variants_have_a_check_constraint(db):
    rows = await get_database().fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = 'fc_number'::regclass AND contype = 'c' ORDER BY conname",
        [],
    )
    assert {r["conname"]: r["def"] for r in rows} == {
        "ck_fc_number_positive_big_positive": "CHECK ((positive_big >= 0))",
        "ck_fc_number_positive_positive": "CHECK ((positive >= 0))",
        "ck_fc_number_positive_small_positive": "CHECK ((positive_small >= 0))",
    }
    item = await FcNumber.objects.create()
    with pytest.raises(IntegrityError):
        async with aksara.transaction():
            await get_database().execute(
                "UPDATE fc_number SET positive = -1 WHERE id = $1", [item.pk]
            )


def test_bad_definitions_fail_at_definition():
    with pytest.raises(ConfigurationError):
        fields.Decimal(precision=5, scale=6)
    with pytest.raises(ConfigurationError):
        fields.Integer(min_value=5, max_value=1)


def test_describe_gives_ranges():
    assert fields.PositiveSmallInteger().describe()["minimum"] == 0
    assert fields.Integer(min_value=1, max_value=5).describe()["maximum"] == 5
    assert fields.Decimal(precision=5, scale=2).describe()["scale"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("age", -5),
        ("rating", 4),
        ("priority", 2),
        ("views", 2**50),
        ("small", -300),
        ("day_of_week", 6),
        ("positive", 7),
        ("positive_small", 8),
        ("positive_big", 2**62),
        ("score", -0.25),
        ("latitude", 45.5),
        ("price", D("-999.99")),
        ("tax_rate", D("0.0001")),
        ("percentage", D("99.5")),
    ],
)
async def test_each_field_filters_by_its_value(db, field, value):
    await FcNumber.objects.create()
    item = await FcNumber.objects.create(**{field: value})
    assert [x.pk for x in await FcNumber.objects.filter(**{field: value})] == [item.pk]
    assert await FcNumber.objects.filter(**{f"{field}__in": [value]}).count() == 1
