"""String, Text, Email and URL on the real database."""

import pytest

import aksara
from aksara import fields
from aksara.db import get_database
from aksara.exceptions import ConfigurationError, IntegrityError
from aksara.fields.text import is_email, is_http_url
from tests.fields.conftest import assert_rejected, column_type, information_schema_type
from tests.fields.models import FcText


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("name", "character varying(100)"),
        ("code", "character varying(10)"),
        ("content", "text"),
        ("summary", "text"),
        ("email", "character varying(254)"),
        ("website", "text"),
    ],
)
async def test_column_types(db, field, expected):
    assert await column_type(FcText, field) == expected


async def test_string_defaults_to_varchar_255_and_not_null(db):
    assert fields.String().sa_type().length == 255
    assert await information_schema_type(FcText, "severity") == ("character varying", "NO")
    assert await information_schema_type(FcText, "name") == ("character varying", "YES")


async def test_round_trip_and_null(db):
    created = await FcText.objects.create(
        name="Ada",
        code="A1",
        level="hi",
        password="long enough",
        phone="+62 812-3456",
        clean_name="  Grace  ",
        content="x" * 10_000,
        bio="   a biography of twenty chars   ",
        summary="short",
        email="ada@example.com",
        website="https://example.com/path?q=1",
    )
    loaded = await FcText.objects.get(pk=created.pk)
    assert loaded.name == "Ada"
    assert loaded.severity == "medium"
    assert loaded.clean_name == "Grace"
    assert created.clean_name == "Grace"
    assert loaded.bio == "a biography of twenty chars"
    assert loaded.content == "x" * 10_000
    assert loaded.email == "ada@example.com"
    assert loaded.website == "https://example.com/path?q=1"
    empty = await FcText.objects.create()
    loaded = await FcText.objects.get(pk=empty.pk)
    assert (loaded.name, loaded.email, loaded.website, loaded.content) == (None, None, None, "")


async def test_filters(db):
    await FcText.objects.create(name="Ada", email="ada@example.com", website="https://a.example")
    await FcText.objects.create(name="Grace", email="grace@example.org", severity="high")
    assert [t.name for t in await FcText.objects.filter(email__endswith=".org")] == ["Grace"]
    assert [t.name for t in await FcText.objects.filter(severity="medium")] == ["Ada"]
    assert [t.name for t in await FcText.objects.filter(website__startswith="https://")] == ["Ada"]
    assert await FcText.objects.filter(website__isnull=True).count() == 1
    assert await FcText.objects.filter(name__icontains="GRA").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "x" * 101, "at most 100 characters"),
        ("name", 42, "Expected string"),
        ("password", "short", "at least 8 characters"),
        ("severity", "urgent", "not a valid choice"),
        ("level", "Low", "not a valid choice"),
        ("phone", "call me", "does not match the pattern"),
        ("bio", "   too short   " + " " * 20, "at least 20 characters"),
        ("summary", "eleven char", "at most 10 characters"),
        ("content", "nul\x00byte", "NUL"),
        ("email", "not-an-email", "Invalid email format"),
        ("email", "a@b", "Invalid email format"),
        ("email", "x" * 250 + "@example.com", "at most 254 characters"),
        ("website", "ftp://example.com/file", "Invalid URL format"),
        ("website", "example.com", "Invalid URL format"),
        ("website", "http://exa mple.com", "Invalid URL format"),
        ("website", "https://example.com:99999/", "Invalid URL format"),
        ("severity", None, "cannot be null"),
    ],
)
async def test_rejected_values_write_nothing(db, field, value, message):
    await assert_rejected(FcText, field, message, **{field: value})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # strip_whitespace runs first: "  ab  " is "ab", too short.
        ("  ab  ", "at least 3 characters"),
        # min_length before choices: "xy" fails on length, not on choices.
        ("xy", "at least 3 characters"),
        # choices before regex: "bcd" is not a choice.
        ("bcd", "not a valid choice"),
        # regex last: "x" would be a choice, but is too short first.
        ("x", "at least 3 characters"),
    ],
)
async def test_validation_order_strip_min_length_choices_regex(db, value, message):
    await assert_rejected(FcText, "ordered", message, ordered=value)


async def test_validation_order_accepts_value_passing_all_steps(db):
    item = await FcText.objects.create(ordered="  abcd ")
    assert item.ordered == "abcd"


def test_regex_is_a_full_match():
    field = fields.String(max_length=20, regex=r"\d+")
    assert field.clean("123") == "123"
    with pytest.raises(aksara.ValidationError):
        field.clean("123abc")


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.com",
        "first.last+tag@sub.example.co.uk",
        "x@localhost",
        "a@[192.0.2.1]",
        "user@bücher.de",
        '"quoted"@example.com',
        "o'brien@example.ie",
    ],
)
def test_email_accepts(address):
    assert is_email(address)


@pytest.mark.parametrize(
    "address",
    [
        "plain",
        "@example.com",
        "a@",
        "a@b",
        "a..b@example.com",
        "a@-example.com",
        "a b@example.com",
        "a@example..com",
        "a@[999.1.1.1]",
    ],
)
def test_email_rejects(address):
    assert not is_email(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "https://example.com/a/b?c=d#e",
        "http://localhost:8000/",
        "https://user:pw@example.com",
        "http://192.0.2.1/",
        "http://[2001:db8::1]:8080/",
        "https://bücher.de/",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_url_accepts(url):
    assert is_http_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com",
        "mailto:a@example.com",
        "//example.com",
        "http://",
        "http://a",
        "http://999.1.1.1",
        "http://[::zz]/",
        "javascript:alert(1)",
        "http://ex ample.com",
        "http://example.com\n",
        "http://-bad.example.com",
    ],
)
def test_url_rejects(url):
    assert not is_http_url(url)


async def test_unique_is_a_unique_constraint(db):
    await FcText.objects.create(code="X1")
    with pytest.raises(IntegrityError):
        async with aksara.transaction():
            await FcText.objects.create(code="X1")
    assert await FcText.objects.filter(code="X1").count() == 1


async def test_db_index_creates_an_index(db):
    indexdefs = await get_database().fetch(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'fc_text'", []
    )
    defs = [r["indexdef"] for r in indexdefs]
    assert any("(indexed)" in d and "UNIQUE" not in d for d in defs)
    assert any("UNIQUE" in d and "(code)" in d for d in defs)


def test_bad_max_length_fails_at_definition():
    with pytest.raises(ConfigurationError):
        fields.String(max_length=0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ada"),
        ("code", "C-1"),
        ("level", "lo"),
        ("content", "a long body"),
        ("summary", "brief"),
        ("email", "ada@example.com"),
        ("website", "http://localhost/"),
        ("indexed", "key"),
    ],
)
async def test_each_field_filters_by_its_value(db, field, value):
    await FcText.objects.create()
    item = await FcText.objects.create(**{field: value})
    assert [x.pk for x in await FcText.objects.filter(**{field: value})] == [item.pk]
    assert await FcText.objects.filter(**{f"{field}__iexact": value.upper()}).count() == 1
