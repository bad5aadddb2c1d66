"""DateTime, Date, Time and Duration on the real database, with date-part filters."""

import datetime as dt

import pytest

from aksara import fields
from aksara.exceptions import QueryError
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import FcTime

UTC = dt.UTC
JAKARTA = dt.timezone(dt.timedelta(hours=7))


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("created_at", "timestamp with time zone"),
        ("birth_date", "date"),
        ("start_time", "time without time zone"),
        ("cooking_time", "interval"),
    ],
)
async def test_column_types(db, field, expected):
    assert await column_type(FcTime, field) == expected


async def test_round_trip(db):
    when = dt.datetime(2024, 2, 29, 23, 30, 15, 123456, tzinfo=JAKARTA)
    created = await FcTime.objects.create(
        scheduled_at=when,
        birth_date=dt.date(1990, 5, 17),
        start_time=dt.time(7, 30, 0, 250000),
        cooking_time=dt.timedelta(hours=1, minutes=15, microseconds=5),
    )
    loaded = await FcTime.objects.get(pk=created.pk)
    assert loaded.scheduled_at == when
    assert loaded.scheduled_at.tzinfo is not None
    assert loaded.scheduled_at.utcoffset() == dt.timedelta(0)
    assert loaded.birth_date == dt.date(1990, 5, 17)
    assert loaded.start_time == dt.time(7, 30, 0, 250000)
    assert loaded.cooking_time == dt.timedelta(hours=1, minutes=15, microseconds=5)


async def test_null_round_trip(db):
    created = await FcTime.objects.create()
    loaded = await FcTime.objects.get(pk=created.pk)
    assert (loaded.scheduled_at, loaded.birth_date, loaded.start_time, loaded.cooking_time) == (
        None,
        None,
        None,
        None,
    )


async def test_auto_now_add_and_auto_now(db):
    item = await FcTime.objects.create()
    created, updated = item.created_at, item.updated_at
    assert created.tzinfo is not None and updated >= created
    item.birth_date = dt.date(2000, 1, 1)
    await item.save()
    loaded = await FcTime.objects.get(pk=item.pk)
    assert loaded.created_at == created
    assert loaded.updated_at > updated


async def test_naive_datetime_is_taken_as_utc(db):
    item = await FcTime.objects.create(scheduled_at=dt.datetime(2024, 1, 1, 12, 0))
    loaded = await FcTime.objects.get(pk=item.pk)
    assert loaded.scheduled_at == dt.datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.time(7, 30), dt.time(7, 30)),
        (dt.datetime(2024, 1, 1, 7, 30, 5), dt.time(7, 30, 5)),
        ("07:30:00", dt.time(7, 30)),
        ("07:30", dt.time(7, 30)),
        ("07:30:00.123456", dt.time(7, 30, 0, 123456)),
    ],
)
async def test_time_accepts(db, value, expected):
    item = await FcTime.objects.create(start_time=value)
    assert item.start_time == expected
    assert (await FcTime.objects.get(pk=item.pk)).start_time == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.timedelta(minutes=30), dt.timedelta(minutes=30)),
        (1800, dt.timedelta(minutes=30)),
        (1.5, dt.timedelta(seconds=1.5)),
        ("1 day, 2:00:00", dt.timedelta(days=1, hours=2)),
        (dt.timedelta(days=-1, seconds=5), dt.timedelta(days=-1, seconds=5)),
    ],
)
async def test_duration_accepts(db, value, expected):
    item = await FcTime.objects.create(cooking_time=value)
    assert item.cooking_time == expected
    assert (await FcTime.objects.get(pk=item.pk)).cooking_time == expected


def test_date_accepts_strings_and_datetimes():
    field = fields.Date()
    assert field.clean("2024-02-29") == dt.date(2024, 2, 29)
    assert field.clean(dt.datetime(2024, 3, 1, 2, 0, tzinfo=JAKARTA)) == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("scheduled_at", "yesterday", "Invalid datetime"),
        ("scheduled_at", 1700000000, "Expected datetime"),
        ("birth_date", "2024-02-30", "Invalid date"),
        ("birth_date", 20240101, "Expected date"),
        ("start_time", "25:00", "Invalid time"),
        ("start_time", dt.time(7, 30, tzinfo=UTC), "without time zone"),
        ("start_time", 730, "Expected time"),
        ("cooking_time", "thirty minutes", "Invalid duration"),
        ("cooking_time", True, "Expected duration"),
        ("cooking_time", [30], "Expected duration"),
    ],
)
async def test_rejected_values_write_nothing(db, field, value, message):
    await assert_rejected(FcTime, field, message, **{field: value})


async def make_schedule():
    await FcTime.objects.create(
        scheduled_at=dt.datetime(2024, 2, 29, 23, 30, 15, tzinfo=UTC),
        birth_date=dt.date(1990, 5, 17),
        start_time=dt.time(7, 45, 30),
        cooking_time=dt.timedelta(minutes=30),
    )
    await FcTime.objects.create(
        # 2025-01-01 03:00 in Jakarta is 2024-12-31 20:00 UTC: parts are taken in UTC.
        scheduled_at=dt.datetime(2025, 1, 1, 3, 0, tzinfo=JAKARTA),
        birth_date=dt.date(2001, 12, 3),
        start_time=dt.time(18, 0),
        cooking_time=dt.timedelta(hours=2),
    )


async def test_datetime_parts(db):
    await make_schedule()
    qs = FcTime.objects
    assert await qs.filter(scheduled_at__year=2024).count() == 2
    assert await qs.filter(scheduled_at__month=2).count() == 1
    assert await qs.filter(scheduled_at__day=31).count() == 1
    assert await qs.filter(scheduled_at__day__gte=29).count() == 2
    assert await qs.filter(scheduled_at__hour=20).count() == 1
    assert await qs.filter(scheduled_at__minute=30, scheduled_at__second=15).count() == 1
    assert await qs.filter(scheduled_at__week_day=5).count() == 1  # a Thursday (Sunday = 1)
    assert await qs.filter(scheduled_at__quarter=4).count() == 1
    assert await qs.filter(scheduled_at__date=dt.date(2024, 12, 31)).count() == 1
    assert await qs.filter(scheduled_at__date__lt="2024-03-01").count() == 1
    assert await qs.filter(scheduled_at__time__gte=dt.time(20, 0)).count() == 2


async def test_date_and_time_parts(db):
    await make_schedule()
    qs = FcTime.objects
    assert await qs.filter(birth_date__year__lt=2000).count() == 1
    assert await qs.filter(birth_date__month=12, birth_date__day=3).count() == 1
    assert await qs.filter(start_time__hour=7).count() == 1
    assert await qs.filter(start_time__minute__in=[0, 45]).count() == 2


async def test_duration_filters_accept_seconds(db):
    await make_schedule()
    assert await FcTime.objects.filter(cooking_time__gt=3600).count() == 1
    assert await FcTime.objects.filter(cooking_time=dt.timedelta(minutes=30)).count() == 1


async def test_unknown_part_is_a_query_error(db):
    with pytest.raises(QueryError):
        await FcTime.objects.filter(birth_date__hour=1)
    with pytest.raises(QueryError, match="invalid filter value"):
        await FcTime.objects.filter(scheduled_at__year="next")
