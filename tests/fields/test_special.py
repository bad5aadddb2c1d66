"""Boolean, UUID, Enum, IPAddress and Binary on the real database."""

import ipaddress
import uuid

import pytest

import aksara
from aksara import fields
from aksara.exceptions import ConfigurationError, IntegrityError
from aksara.types import EnumType, IPAddressType
from tests.fields.conftest import assert_rejected, column_type
from tests.fields.models import FcPriority, FcSpecial, FcStatus


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("is_active", "boolean"),
        ("external_id", "uuid"),
        ("status", "character varying"),
        ("short_status", "character varying(12)"),
        ("server_ip", "inet"),
        ("file_hash", "bytea"),
    ],
)
async def test_column_types(db, field, expected):
    assert await column_type(FcSpecial, field) == expected


async def test_round_trip(db):
    ref = uuid.uuid4()
    created = await FcSpecial.objects.create(
        is_active=False,
        opted_in=True,
        external_id=str(ref),
        status="published",
        priority=2,
        server_ip="2001:0DB8:0000::0001",
        client_ip=" 192.0.2.10 ",
        gateway=ipaddress.ip_address("fe80::1"),
        unpacked="::ffff:192.0.2.1",
        file_hash=bytearray(b"\x00\xffdata"),
    )
    assert created.status is FcStatus.PUBLISHED
    assert created.server_ip == "2001:db8::1"
    loaded = await FcSpecial.objects.get(pk=created.pk)
    assert (loaded.is_active, loaded.opted_in) == (False, True)
    assert loaded.external_id == ref
    assert loaded.status is FcStatus.PUBLISHED
    assert loaded.priority is FcPriority.HIGH
    assert loaded.server_ip == "2001:db8::1"
    assert loaded.client_ip == "192.0.2.10"
    assert loaded.gateway == "fe80::1"
    assert loaded.unpacked == "192.0.2.1"
    assert loaded.file_hash == b"\x00\xffdata" and isinstance(loaded.file_hash, bytes)


async def test_null_round_trip(db):
    created = await FcSpecial.objects.create()
    loaded = await FcSpecial.objects.get(pk=created.pk)
    assert loaded.status is FcStatus.DRAFT
    assert (loaded.opted_in, loaded.external_id, loaded.priority, loaded.server_ip) == (
        None,
        None,
        None,
        None,
    )
    assert loaded.file_hash is None


async def test_filters(db):
    first = await FcSpecial.objects.create(
        status=FcStatus.ARCHIVED,
        server_ip="10.0.0.1",
        file_hash=b"abc",
        opted_in=True,
        external_id=uuid.UUID(int=1),
    )
    await FcSpecial.objects.create(server_ip="::ffff:10.0.0.1", file_hash="abd")
    qs = FcSpecial.objects
    assert [x.pk for x in await qs.filter(status="archived")] == [first.pk]
    assert [x.pk for x in await qs.filter(status=FcStatus.ARCHIVED)] == [first.pk]
    assert await qs.filter(status__in=[FcStatus.DRAFT, "published"]).count() == 1
    assert [x.pk for x in await qs.filter(server_ip="10.0.0.1")] == [first.pk]
    assert await qs.filter(server_ip__startswith="10.").count() == 1
    assert [x.pk for x in await qs.filter(file_hash=b"abc")] == [first.pk]
    assert await qs.filter(opted_in__isnull=True).count() == 1
    assert await qs.filter(external_id=str(uuid.UUID(int=1))).count() == 1
    values = await qs.filter(pk=first.pk).values_list("status", flat=True)
    assert values == [FcStatus.ARCHIVED]


async def test_values_convert_like_instances(db, monkeypatch):
    """values() and values_list() give each column's value as an instance holds it, for
    columns the driver returns as they are and ones with a converter (Enum, IPAddress),
    NULLs included; wider shapes than the generated converters take convert in a loop."""
    from aksara.query import _compile

    full = await FcSpecial.objects.create(
        status="archived", priority=2, server_ip="10.0.0.1", file_hash=b"x"
    )
    empty = await FcSpecial.objects.create()
    names = ("id", "status", "priority", "server_ip", "opted_in", "file_hash")
    for limit in (1000, 0):
        monkeypatch.setattr(_compile, "_GENERATED_COLUMNS_LIMIT", limit)
        FcSpecial._meta.plans.clear()  # the converters are built under this limit
        qs = FcSpecial.objects.order_by("status").filter(pk__in=[full.pk, empty.pk])
        instances = await qs
        expected = [tuple(getattr(o, n) for n in names) for o in instances]
        assert expected[0][1:4] == (FcStatus.ARCHIVED, FcPriority.HIGH, "10.0.0.1")
        assert expected[1][1:4] == (FcStatus.DRAFT, None, None)
        assert await qs.values(*names) == [dict(zip(names, row, strict=True)) for row in expected]
        assert await qs.values_list(*names) == expected
        flat = await qs.values_list("priority", flat=True)
        assert flat == [FcPriority.HIGH, None]
        assert [type(p) for p in flat] == [FcPriority, type(None)]


async def test_enum_accepts_member_or_value_and_returns_member(db):
    item = await FcSpecial.objects.create(status="draft", priority="1")
    assert item.status is FcStatus.DRAFT and item.priority is FcPriority.LOW
    await FcSpecial.objects.filter(pk=item.pk).update(status=FcStatus.PUBLISHED)
    await item.refresh_from_db()
    assert item.status is FcStatus.PUBLISHED


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("is_active", "yes", "Expected boolean"),
        ("is_active", None, "cannot be null"),
        ("external_id", "not-a-uuid", "Invalid UUID"),
        ("status", "deleted", "not a valid FcStatus"),
        ("status", FcPriority.LOW, "not a valid FcStatus"),
        ("priority", 3, "not a valid FcPriority"),
        ("server_ip", "300.1.1.1", "Enter a valid IPv4 or IPv6 address"),
        ("server_ip", "10.0.0.0/8", "Enter a valid IPv4 or IPv6 address"),
        ("server_ip", 167772161, "Expected an IP address string"),
        ("client_ip", "2001:db8::1", "Enter a valid IPv4 address"),
        ("gateway", "192.0.2.1", "Enter a valid IPv6 address"),
        ("file_hash", 42, "Expected bytes"),
        ("small_blob", b"12345", "at most 4 bytes"),
    ],
)
async def test_rejected_values_write_nothing(db, field, value, message):
    await assert_rejected(FcSpecial, field, message, **{field: value})


async def test_mapped_ipv4_is_kept_without_unpack_ipv4(db):
    item = await FcSpecial.objects.create(server_ip="::ffff:192.0.2.1")
    assert item.server_ip == "::ffff:192.0.2.1"
    assert (await FcSpecial.objects.get(pk=item.pk)).server_ip == "::ffff:192.0.2.1"


async def test_unique_uuid_is_a_unique_constraint(db):
    ref = uuid.uuid4()
    await FcSpecial.objects.create(reference=ref)
    with pytest.raises(IntegrityError):
        async with aksara.transaction():
            await FcSpecial.objects.create(reference=ref)


def test_binary_accepts_bytes_like_and_text():
    field = fields.Binary()
    assert field.clean(b"x") == b"x"
    assert field.clean(bytearray(b"y")) == b"y"
    assert field.clean(memoryview(b"z")) == b"z"
    assert field.clean("héllo") == "héllo".encode()


def test_binary_is_hidden_from_agents_by_default():
    field = fields.Binary()
    assert field.ai_sensitive is True and field.ai_agent_writable is False
    assert fields.Binary.default_ai_sensitive is True
    assert fields.Binary.default_ai_agent_writable is False
    assert fields.Binary(ai_sensitive=False).ai_sensitive is False
    assert fields.BinaryField is fields.Binary


def test_ip_aliases():
    assert fields.IPAddressField is fields.IPAddress
    assert fields.GenericIPAddress is fields.IPAddress
    assert fields.GenericIPAddressField is fields.IPAddress


def test_bad_definitions_fail_at_definition():
    with pytest.raises(ConfigurationError, match="enum_class"):
        fields.Enum()
    with pytest.raises(ConfigurationError, match="enum.Enum subclass"):
        fields.Enum(enum_class=str)
    with pytest.raises(ConfigurationError, match="shorter than the longest value"):
        fields.Enum(enum_class=FcStatus, max_length=5)
    with pytest.raises(ConfigurationError, match="default"):
        fields.Enum(enum_class=FcStatus, default="deleted")
    with pytest.raises(ConfigurationError, match="protocol"):
        fields.IPAddress(protocol="ipv5")
    with pytest.raises(ConfigurationError, match="unpack_ipv4"):
        fields.IPAddress(protocol="ipv4", unpack_ipv4=True)


def test_types_cache_and_describe():
    assert EnumType.cache_ok and IPAddressType.cache_ok
    assert EnumType(FcStatus)._static_cache_key == EnumType(FcStatus)._static_cache_key
    info = fields.Enum(enum_class=FcStatus, default=FcStatus.DRAFT).describe()
    assert info["enum"] == ["draft", "published", "archived"] and info["default"] == "draft"
    assert fields.IPAddress(protocol="ipv4").describe()["format"] == "ipv4"


async def test_text_lookups_on_addresses_use_the_address_text(db):
    await FcSpecial.objects.create(server_ip="192.0.2.10")
    await FcSpecial.objects.create(server_ip="2001:db8::10")
    assert await FcSpecial.objects.filter(server_ip__endswith=".10").count() == 1
    assert await FcSpecial.objects.filter(server_ip__endswith="10").count() == 2
    assert await FcSpecial.objects.filter(server_ip__istartswith="2001:DB8").count() == 1
    assert await FcSpecial.objects.filter(server_ip__contains="0.2").count() == 1
