"""String, Text, Email, URL and Slug: any text validation accepts is stored as it was cleaned."""

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.provisional import domains, urls

from tests.properties.models import PpText
from tests.properties.roundtrip import PROPERTY_SETTINGS, REJECTED, check_round_trip, other_types

# Hypothesis leaves out surrogates by default; NUL, other control characters, combining
# marks and astral characters are all in.
boundaries = st.sampled_from(
    [
        "",
        " ",
        "a" * 10,
        "a" * 11,
        "é" * 10,
        "e\u0301" * 5,
        "😀" * 10,
        "😀" * 11,
        "\x00",
        "a\x00b",
        "  ab  ",
        " " + "x" * 12 + " ",
        "x" * 13,
        "\t\n\r",
        "\u200b",
        "ǅ",
    ]
)
texts = st.one_of(boundaries, st.text(max_size=16), other_types)


@PROPERTY_SETTINGS
@given(value=texts)
async def test_string_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpText, "name", value)
    if isinstance(value, str) and len(value) <= 10 and "\x00" not in value:
        assert cleaned == value
    elif value is not None:
        assert cleaned is REJECTED


@PROPERTY_SETTINGS
@given(value=st.one_of(texts, st.text(min_size=100, max_size=3000)))
async def test_text_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpText, "body", value)
    if isinstance(value, str) and "\x00" not in value:
        assert cleaned == value
    elif value is not None:
        assert cleaned is REJECTED


@PROPERTY_SETTINGS
@given(value=texts)
async def test_stripped_string_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpText, "trimmed", value)
    if isinstance(value, str) and 2 <= len(value.strip()) <= 12 and "\x00" not in value:
        assert cleaned == value.strip()
    elif value is not None:
        assert cleaned is REJECTED


@PROPERTY_SETTINGS
@given(value=texts)
async def test_required_string_refuses_none(db, value):
    cleaned = await check_round_trip(PpText, "required", value)
    if value is None:
        assert cleaned is REJECTED


emails = st.one_of(
    st.emails(),
    st.builds(lambda user, domain: f"{user}@{domain}", st.text(max_size=8), domains()),
    st.sampled_from(
        [
            "a@b.co",
            "user@localhost",
            "user@[192.0.2.1]",
            "user@[IPv6:2001:db8::1]",
            '"quoted user"@example.com',
            "user@bücher.de",
            "@example.com",
            "user@",
            "user@@example.com",
            "user@exa mple.com",
            "a" * 65 + "@example.com",
            "user@" + "a" * 250 + ".com",
            "user\x00@example.com",
        ]
    ),
    texts,
)


@PROPERTY_SETTINGS
@given(value=emails)
async def test_email_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpText, "email", value)
    if cleaned is not REJECTED:
        assert cleaned == value


web_addresses = st.one_of(
    urls(),
    st.builds(lambda host, path: f"https://{host}/{path}", domains(), st.text(max_size=8)),
    st.sampled_from(
        [
            "http://localhost",
            "https://127.0.0.1:8000/x?y=1#z",
            "http://[2001:db8::1]/",
            "https://bücher.de/ä",
            "ftp://example.com",
            "https://",
            "https://exa mple.com",
            "https://example.com:99999",
            "https://example.com/\x00",
            "javascript:alert(1)",
            "//example.com",
        ]
    ),
    texts,
)


@PROPERTY_SETTINGS
@given(value=web_addresses)
async def test_url_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpText, "website", value)
    if cleaned is not REJECTED:
        assert cleaned == value


slugs = st.one_of(
    st.from_regex(r"[-a-zA-Z0-9_]{1,14}", fullmatch=True),
    st.from_regex(r"[-\w]{1,14}", fullmatch=True),
    st.sampled_from(["a", "-", "_", "a b", "ünïcode", "a/b", "a.b", "x" * 12, "x" * 13]),
    texts,
)


@PROPERTY_SETTINGS
@given(value=slugs)
async def test_slug_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpText, "slug", value)
    if cleaned is not REJECTED and value is not None:
        assert cleaned == value and value.isascii()


@PROPERTY_SETTINGS
@given(value=slugs)
async def test_unicode_slug_round_trips_or_writes_nothing(db, value):
    cleaned = await check_round_trip(PpText, "unicode_slug", value)
    if cleaned is not REJECTED:
        assert cleaned == value
