"""Range fields on the real database: values, validation, lookups, exclusion constraints,
schemas."""

import datetime as dt
import decimal

import pytest

import aksara
from aksara import Model, fields
from aksara.exceptions import ExclusionViolation, QueryError, ValidationError
from aksara.models.constraints import ExclusionConstraint
from aksara.types import Range

UTC = dt.UTC


class RgStay(Model):
    room = fields.Integer()
    nights = fields.DateRange()
    during = fields.DateTimeRange(nullable=True)
    floors = fields.IntegerRange(nullable=True)
    big = fields.BigIntegerRange(nullable=True)
    price = fields.DecimalRange(nullable=True)

    class Meta:
        constraints = [
            ExclusionConstraint(
                name="no_double_stay", expressions=[("nights", "&&"), ("room", "=")]
            )
        ]


def day(n):
    return dt.date(2026, 1, n)


async def test_values_round_trip(db):
    at = dt.datetime(2026, 1, 1, 9, tzinfo=UTC)
    stay = await RgStay.objects.create(
        room=1,
        nights=(day(1), day(4)),
        during=Range(at, at + dt.timedelta(hours=2), bounds="[]"),
        floors={"lower": 1, "upper": 3},
        big=Range(None, 2**40),
        price=Range(decimal.Decimal("1.5"), decimal.Decimal("9.25")),
    )
    loaded = await RgStay.objects.get(pk=stay.pk)
    assert loaded.nights == Range(day(1), day(4))
    assert loaded.during == Range(at, at + dt.timedelta(hours=2), bounds="[]")
    assert loaded.floors == Range(1, 3)
    assert loaded.big == Range(None, 2**40)
    assert loaded.price == Range(decimal.Decimal("1.5"), decimal.Decimal("9.25"))
    # PostgreSQL makes discrete ranges canonical: [1, 3] is stored as [1, 4).
    stay.floors = Range(1, 3, bounds="[]")
    await stay.save()
    assert (await RgStay.objects.get(pk=stay.pk)).floors == Range(1, 4)
    stay.floors = Range(empty=True)
    await stay.save()
    assert (await RgStay.objects.get(pk=stay.pk)).floors.isempty


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ((day(5), day(1)), "past the upper bound"),
        ("2026-01-01", "Expected a range"),
        ({"lower": day(1), "upper": day(2), "bounds": "{}"}, "bounds are one of"),
        (("x", day(2)), "The lower bound"),
    ],
)
async def test_bad_values_are_validation_errors(db, value, message):
    with pytest.raises(ValidationError, match=message) as caught:
        await RgStay.objects.create(room=1, nights=value)
    assert "nights" in caught.value.errors
    assert await RgStay.objects.count() == 0


async def test_lookups(db):
    a = await RgStay.objects.create(room=1, nights=(day(1), day(5)), floors=(1, 3))
    b = await RgStay.objects.create(room=2, nights=(day(5), day(8)), floors=(5, 9))
    c = await RgStay.objects.create(room=3, nights=(day(10), day(12)), floors=Range(empty=True))

    async def rooms(**lookup):
        return sorted(await RgStay.objects.filter(**lookup).values_list("room", flat=True))

    assert await rooms(nights__contains=day(2)) == [1]
    assert await rooms(nights__contains=(day(5), day(6))) == [2]
    assert await rooms(nights__contained_by=(day(1), day(9))) == [1, 2]
    assert await rooms(nights__overlap=(day(4), day(6))) == [1, 2]
    assert await rooms(nights__fully_lt=(day(9), day(20))) == [1, 2]
    assert await rooms(nights__fully_gt=(day(1), day(6))) == [3]
    assert await rooms(nights__not_lt=(day(5), day(6))) == [2, 3]
    assert await rooms(nights__adjacent_to=(day(8), day(10))) == [2, 3]
    assert await rooms(nights__startswith=day(5)) == [2]
    assert await rooms(nights__endswith=day(12)) == [3]
    assert await rooms(floors__isempty=True) == [3]
    assert await rooms(floors__isempty=False) == [1, 2]
    assert await rooms(floors__contains=2) == [1]
    assert await rooms(nights=Range(day(1), day(5))) == [1]
    assert a.pk and b.pk and c.pk
    with pytest.raises(QueryError, match="invalid filter value"):
        await RgStay.objects.filter(floors__contains="x").count()
    with pytest.raises(QueryError, match="True or False"):
        await RgStay.objects.filter(floors__isempty="yes").count()


async def test_an_exclusion_constraint_on_a_range(db):
    await RgStay.objects.create(room=1, nights=(day(1), day(5)))
    await RgStay.objects.create(room=1, nights=(day(5), day(7)))  # [1,5) and [5,7) touch only
    with pytest.raises(ExclusionViolation):
        async with aksara.transaction():
            await RgStay.objects.create(room=1, nights=(day(3), day(6)))


def test_schemas_describe_ranges():
    import pydantic

    from aksara.ai.schema import value_schema
    from aksara.contrib.fastapi import schema_for

    schema = value_schema(RgStay._meta.get_field("nights"))
    assert schema["type"] == "object"
    assert schema["properties"]["lower"]["format"] == "date"
    assert schema["properties"]["bounds"]["enum"] == ["[)", "(]", "[]", "()"]
    Create = schema_for(RgStay, "create")
    made = Create.model_validate(
        {"room": 1, "nights": {"lower": "2026-01-01", "upper": "2026-01-03"}}
    )
    assert made.nights == Range(day(1), day(3))
    Read = schema_for(RgStay)
    shown = Read.model_validate(RgStay(room=1, nights=Range(day(1), day(3)))).model_dump(
        mode="json"
    )
    assert shown["nights"] == {
        "lower": "2026-01-01",
        "upper": "2026-01-03",
        "bounds": "[)",
        "empty": False,
    }
    with pytest.raises(pydantic.ValidationError):
        Create.model_validate({"room": 1, "nights": "soon"})
