import datetime as dt
import uuid
from decimal import Decimal

import pytest

from aksara.ai import AgentToolkit
from aksara.exceptions import (
    DoesNotExist,
    IntegrityError,
    PermissionDenied,
    ValidationError,
)
from aksara.testing import capture_queries
from tests.ai.models import (
    AiCategory,
    AiCustomer,
    AiDocument,
    AiPost,
    AiProduct,
    AiProductStatus,
    AiSample,
    AiTag,
    AiUser,
)

pytestmark = pytest.mark.usefixtures("db")

SHOP = AgentToolkit(
    [AiUser, AiCustomer, AiCategory, AiProduct, AiPost, AiTag, AiDocument, AiSample]
)


async def make_customer(email: str = "ada@example.com", value: str = "120.50") -> AiCustomer:
    return await AiCustomer.objects.create(
        email=email, stripe_customer_id="cus_secret_123", lifetime_value=Decimal(value)
    )


async def make_product(**values: object) -> AiProduct:
    defaults: dict[str, object] = {
        "name": "Green tea",
        "slug": "green-tea",
        "price": Decimal("4.50"),
        "sku": "GT-1",
    }
    return await AiProduct.objects.create(**{**defaults, **values})


# -- reads ---------------------------------------------------------------------------------


async def test_get_returns_visible_fields_and_never_sensitive_ones():
    customer = await make_customer()

    record = await SHOP.call("ai_customer_get", {"id": str(customer.id)})

    assert record == {
        "id": str(customer.id),
        "email": "ada@example.com",
        "lifetime_value": "120.50",
    }


async def test_list_redacts_sensitive_fields_and_pages():
    for n in range(3):
        await make_customer(f"c{n}@example.com", f"{n}0.00")

    first = await SHOP.call("ai_customer_list", {"order_by": ["email"], "limit": 2})
    second = await SHOP.call("ai_customer_list", {"order_by": ["email"], "limit": 2, "offset": 2})

    assert [c["email"] for c in first["items"]] == ["c0@example.com", "c1@example.com"]
    assert first["has_more"] is True
    assert [c["email"] for c in second["items"]] == ["c2@example.com"]
    assert second["has_more"] is False
    for item in first["items"] + second["items"]:
        assert set(item) == {"id", "email", "lifetime_value"}
        assert "cus_secret_123" not in str(item)


async def test_list_filters_by_operators_of_each_family():
    drinks = await AiCategory.objects.create(name="Drinks")
    await make_product(category=drinks, quantity=5, status=AiProductStatus.ACTIVE)
    await make_product(name="Black tea", slug="black-tea", sku="BT-1", price=Decimal("6.00"))
    await make_product(name="Coffee", slug="coffee", sku="C-1", price=Decimal("9.99"))

    async def names(filters: dict[str, object], **extra: object) -> list[str]:
        result = await SHOP.call(
            "ai_product_list", {"filters": filters, "order_by": ["name"], **extra}
        )
        return [p["name"] for p in result["items"]]

    assert await names({"name": {"icontains": "TEA"}}) == ["Black tea", "Green tea"]
    assert await names({"price": {"gte": "5", "lt": 9.99}}) == ["Black tea"]
    assert await names({"price": {"range": [4, "6.00"]}}) == ["Black tea", "Green tea"]
    assert await names({"status": {"exact": "active"}}) == ["Green tea"]
    assert await names({"status": {"in": ["draft"]}}) == ["Black tea", "Coffee"]
    assert await names({"category": {"isnull": False}}) == ["Green tea"]
    assert await names({"category": {"exact": str(drinks.id)}}) == ["Green tea"]
    assert await names({"category__name": {"iexact": "drinks"}}) == ["Green tea"]
    assert await names({"quantity": {"gt": 0}, "name": {"startswith": "Green"}}) == ["Green tea"]
    assert await names({"metadata": {"contains": {}}}, limit=1) == ["Black tea"]
    assert await names({}, order_by=["-price"]) == ["Coffee", "Black tea", "Green tea"]


async def test_list_returns_values_as_json():
    product = await make_product(metadata={"origin": "Assam"})

    (item,) = (await SHOP.call("ai_product_list", {}))["items"]

    assert item["id"] == str(product.id)
    assert item["price"] == "4.50"
    assert item["compare_at_price"] is None
    assert item["status"] == "draft"
    assert item["metadata"] == {"origin": "Assam"}
    assert item["category"] is None
    assert dt.datetime.fromisoformat(item["created_at"]) == product.created_at


async def test_filters_and_ordering_on_sensitive_fields_are_refused():
    await make_customer()
    user = await AiUser.objects.create(email="u@example.com", hashed_password="bcrypt$x")
    await AiPost.objects.create(title="Hello", author=user, reviewer=user)

    refused = [
        ("ai_customer_list", {"filters": {"stripe_customer_id": {"startswith": "cus_"}}}),
        ("ai_customer_list", {"filters": {"stripe_customer_id__startswith": {"exact": "c"}}}),
        ("ai_customer_list", {"order_by": ["stripe_customer_id"]}),
        ("ai_customer_list", {"order_by": ["-stripe_customer_id"]}),
        ("ai_user_list", {"filters": {"hashed_password": {"exact": "bcrypt$x"}}}),
        ("ai_post_list", {"filters": {"author__hashed_password": {"startswith": "b"}}}),
        ("ai_post_list", {"filters": {"reviewer": {"exact": str(user.id)}}}),
        ("ai_post_list", {"filters": {"reviewer__email": {"exact": "u@example.com"}}}),
        ("ai_post_list", {"filters": {"author__posts__title": {"exact": "Hello"}}}),
        ("ai_post_list", {"order_by": ["author__hashed_password"]}),
        ("ai_category_list", {"filters": {"internal_code": {"isnull": False}}}),
        ("ai_category_list", {"filters": {"products__name": {"exact": "x"}}}),
    ]
    for name, arguments in refused:
        with pytest.raises(PermissionDenied):
            await SHOP.call(name, arguments)


async def test_hidden_and_unknown_fields_are_refused_alike():
    messages = []
    for key in ("stripe_customer_id", "no_such_field"):
        with pytest.raises(PermissionDenied) as info:
            await SHOP.call("ai_customer_list", {"filters": {key: {"exact": "x"}}})
        messages.append(str(info.value).replace(key, "KEY"))
    assert messages[0] == messages[1]


async def test_writes_to_non_writable_or_sensitive_fields_are_refused_and_change_nothing():
    customer = await make_customer()

    attempts = [
        {"lifetime_value": "999999.00"},
        {"email": "new@example.com", "lifetime_value": "1.00"},
        {"stripe_customer_id": "cus_attacker"},
        {"email": "new@example.com", "stripe_customer_id": "cus_attacker"},
        {"id": str(uuid.uuid4())},
    ]
    for data in attempts:
        with pytest.raises(PermissionDenied):
            await SHOP.call("ai_customer_update", {"id": str(customer.id), "data": data})

    row = await AiCustomer.objects.get(id=customer.id)
    assert row.email == "ada@example.com"
    assert row.lifetime_value == Decimal("120.50")
    assert row.stripe_customer_id == "cus_secret_123"


async def test_read_only_refusal_names_the_field_and_says_why():
    customer = await make_customer()

    with pytest.raises(PermissionDenied) as info:
        await SHOP.call(
            "ai_customer_update", {"id": str(customer.id), "data": {"lifetime_value": "1"}}
        )
    assert str(info.value) == "AiCustomer.lifetime_value is read-only for agents"

    with pytest.raises(PermissionDenied) as info:
        await SHOP.call("ai_product_create", {"data": {"created_at": "2020-01-01T00:00:00Z"}})
    assert "created_at is read-only" in str(info.value)


async def test_update_changes_writable_fields_and_returns_the_redacted_record():
    customer = await make_customer()

    record = await SHOP.call(
        "ai_customer_update", {"id": str(customer.id), "data": {"email": "grace@example.com"}}
    )

    assert record == {
        "id": str(customer.id),
        "email": "grace@example.com",
        "lifetime_value": "120.50",
    }
    row = await AiCustomer.objects.get(id=customer.id)
    assert row.email == "grace@example.com"
    assert row.stripe_customer_id == "cus_secret_123"


async def test_update_validates_like_save_and_writes_nothing():
    user = await AiUser.objects.create(email="u@example.com", hashed_password="h")

    with pytest.raises(ValidationError) as info:
        await SHOP.call(
            "ai_user_update",
            {"id": str(user.id), "data": {"email": "not-an-email", "role": "x" * 21}},
        )

    assert info.value.errors == {
        "email": ["Invalid email format"],
        "role": ["Ensure this value has at most 20 characters (it has 21)"],
    }
    row = await AiUser.objects.get(id=user.id)
    assert (row.email, row.role) == ("u@example.com", "user")


async def test_create_validates_converts_and_fills_defaults():
    drinks = await AiCategory.objects.create(name="Drinks")

    record = await SHOP.call(
        "ai_product_create",
        {
            "data": {
                "name": "Oolong",
                "slug": "oolong",
                "price": 7.5,
                "sku": "OO-1",
                "status": "active",
                "category": str(drinks.id),
            }
        },
    )

    product = await AiProduct.objects.get(id=record["id"])
    assert product.price == Decimal("7.50")
    assert product.status is AiProductStatus.ACTIVE
    assert product.category_id == drinks.id
    assert record["price"] == "7.50"
    assert record["quantity"] == 0
    assert record["metadata"] == {}
    assert record["created_at"] is not None

    before = await AiProduct.objects.count()
    with pytest.raises(ValidationError) as info:
        await SHOP.call(
            "ai_product_create",
            {"data": {"name": "Bad", "slug": "bad slug", "price": "1.999", "sku": "B"}},
        )
    assert set(info.value.errors) == {"slug", "price"}
    assert await AiProduct.objects.count() == before


async def test_unknown_argument_keys_are_refused():
    customer = await make_customer()

    for name, arguments in [
        ("ai_customer_list", {"where": "1=1"}),
        ("ai_customer_get", {"id": str(customer.id), "fields": ["stripe_customer_id"]}),
        ("ai_customer_update", {"id": str(customer.id), "data": {}, "force": True}),
    ]:
        with pytest.raises(ValidationError) as info:
            await SHOP.call(name, arguments)
        assert "arguments" in info.value.errors


async def test_hostile_argument_shapes_are_validation_errors():
    await make_product()

    bad = [
        {"limit": 0},
        {"limit": 101},
        {"limit": True},
        {"limit": "10"},
        {"offset": -1},
        {"offset": 10**9},
        {"filters": "name = 'x'"},
        {"filters": {"name": "Green tea"}},
        {"filters": {"name": {}}},
        {"filters": {"name": {"regex": ".*"}}},
        {"filters": {"name": {"exact": None}}},
        {"filters": {"name": {"exact": {"$ne": 1}}}},
        {"filters": {"name": {"icontains": 5}}},
        {"filters": {"name": {"in": "Green tea"}}},
        {"filters": {"name": {"in": ["x"] * 101}}},
        {"filters": {"price": {"gt": "cheap"}}},
        {"filters": {"price": {"range": [1, 2, 3]}}},
        {"filters": {"quantity": {"gte": True}}},
        {"filters": {"status": {"exact": "sold"}}},
        {"filters": {"category": {"exact": "not-a-uuid"}}},
        {"filters": {"description": {"isnull": "yes"}}},
        {"order_by": "price; DROP TABLE ai_product"},
        {"order_by": [1]},
    ]
    for arguments in bad:
        with pytest.raises((ValidationError, PermissionDenied)):
            await SHOP.call("ai_product_list", arguments)
    with pytest.raises(ValidationError):
        await SHOP.call("ai_product_list", ["filters"])  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        await SHOP.call("drop_everything", {})


async def test_get_update_delete_of_a_missing_record():
    missing = str(uuid.uuid4())

    for name, arguments in [
        ("ai_customer_get", {"id": missing}),
        ("ai_customer_update", {"id": missing, "data": {"email": "x@example.com"}}),
        ("ai_customer_delete", {"id": missing}),
    ]:
        with pytest.raises(DoesNotExist):
            await SHOP.call(name, arguments)
    with pytest.raises(ValidationError) as info:
        await SHOP.call("ai_customer_get", {"id": "1; DROP TABLE"})
    assert "id" in info.value.errors


async def test_delete_removes_the_record():
    customer = await make_customer()

    assert await SHOP.call("ai_customer_delete", {"id": str(customer.id)}) == {
        "deleted": True,
        "id": str(customer.id),
    }
    assert not await AiCustomer.objects.filter(id=customer.id).exists()


async def test_constraint_errors_do_not_quote_database_details():
    await make_product()

    with pytest.raises(IntegrityError) as info:
        await SHOP.call(
            "ai_product_create",
            {"data": {"name": "Copy", "slug": "copy", "price": "1", "sku": "GT-1"}},
        )

    assert str(info.value) == "AiProduct: a record with the same sku already exists"
    assert "GT-1" not in str(info.value)


async def test_constraint_errors_on_hidden_columns_do_not_name_them():
    first = await AiUser.objects.create(email="a@example.com", hashed_password="h")
    await AiUser.objects.create(email="b@example.com", hashed_password="h")

    with pytest.raises(IntegrityError) as info:
        await SHOP.call("ai_user_update", {"id": str(first.id), "data": {"email": "b@example.com"}})
    assert str(info.value) == "AiUser: a record with the same email already exists"


async def test_validation_errors_do_not_name_hidden_fields():
    category = await AiCategory.objects.create(name="Old")
    await AiCategory.objects.filter(id=category.id).update(internal_code="RETIRED")

    with pytest.raises(ValidationError) as info:
        await SHOP.call("ai_category_update", {"id": str(category.id), "data": {"name": "New"}})

    assert info.value.errors == {"__all__": ["a value agents cannot see is invalid"]}
    assert "internal_code" not in str(info.value)
    assert (await AiCategory.objects.get(id=category.id)).name == "Old"


async def test_search_returns_nearest_records_with_distances():
    await AiDocument.objects.create(title="east", embedding=[1, 0, 0], raw=b"secret")
    await AiDocument.objects.create(title="north", embedding=[0, 1, 0], raw=b"secret")
    await AiDocument.objects.create(title="north-east", embedding=[1, 1, 0])

    result = await SHOP.call("ai_document_search", {"vector": [0.9, 0.1, 0], "k": 2})

    assert result["metric"] == "cosine"
    assert [d["title"] for d in result["items"]] == ["east", "north-east"]
    assert result["items"][0]["_distance"] < result["items"][1]["_distance"]
    for item in result["items"]:
        assert set(item) == {"id", "title", "_distance"}

    filtered = await SHOP.call(
        "ai_document_search",
        {"vector": [0.9, 0.1, 0], "metric": "l2", "filters": {"title": {"startswith": "north"}}},
    )
    assert [d["title"] for d in filtered["items"]] == ["north-east", "north"]

    for bad in ({"vector": [1, 0]}, {"vector": "1,0,0"}, {"vector": [1, 0, 0], "k": 0}):
        with pytest.raises(ValidationError):
            await SHOP.call("ai_document_search", bad)
    with pytest.raises(ValidationError):
        await SHOP.call("ai_document_search", {"vector": [1, 0, 0], "metric": "hamming"})


async def test_get_includes_the_vector_but_never_the_hidden_binary():
    document = await AiDocument.objects.create(title="t", embedding=[0.5, 0, 1], raw=b"secret")

    record = await SHOP.call("ai_document_get", {"id": str(document.id)})

    assert record == {"id": str(document.id), "title": "t", "embedding": [0.5, 0.0, 1.0]}


async def test_every_field_family_round_trips_through_json():
    key = uuid.uuid4()
    data = {
        "code": "AB-12",
        "level": "high",
        "notes": "some notes",
        "contact": "a@example.com",
        "homepage": "https://example.com/x",
        "rating": 4,
        "big": 2**40,
        "small": -3,
        "positive": 7,
        "ratio": 0.25,
        "amount": "12.30",
        "active": False,
        "happened_at": "2024-05-01T10:30:00+00:00",
        "day": "2024-02-29",
        "alarm": "07:30:00",
        "wait": 90.5,
        "reference": str(key),
        "extra": {"a": [1, 2, {"b": None}]},
        "colour": "green",
        "tags": ["x", "y"],
        "scores": [1, 2],
        "keys": [str(key)],
        "slug": "a-slug",
        "server": "192.0.2.1",
        "peer": "2001:db8::1",
        "blob": "aGVsbG8=",
    }

    created = await SHOP.call("ai_sample_create", {"data": data})
    fetched = await SHOP.call("ai_sample_get", {"id": created["id"]})

    assert fetched == created
    expected = {**data, "wait": 90.5, "template": None, "attachment": None}
    assert {k: fetched[k] for k in expected} == expected
    sample = await AiSample.objects.get(id=created["id"])
    assert sample.blob == b"hello"
    assert sample.wait == dt.timedelta(seconds=90.5)
    assert sample.amount == Decimal("12.30")

    listed = await SHOP.call(
        "ai_sample_list",
        {
            "filters": {
                "tags": {"contains": ["x"]},
                "scores": {"overlap": [2, 9]},
                "extra": {"has_key": "a"},
                "day": {"gte": "2024-01-01"},
                "alarm": {"lt": "08:00"},
                "wait": {"gt": 60},
                "happened_at": {"range": ["2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z"]},
                "reference": {"in": [str(key)]},
                "server": {"exact": "192.0.2.1"},
                "active": {"exact": False},
                "colour": {"exact": "green"},
                "code": {"endswith": "-12"},
            }
        },
    )
    assert [s["id"] for s in listed["items"]] == [created["id"]]

    with pytest.raises(ValidationError) as info:
        await SHOP.call("ai_sample_create", {"data": {**data, "blob": "%%%"}})
    assert "blob" in info.value.errors
    with pytest.raises(PermissionDenied):
        await SHOP.call("ai_sample_create", {"data": {**data, "attachment": "../etc/passwd"}})


async def test_page_size_is_capped_by_the_toolkit():
    small = AgentToolkit([AiCategory], max_page_size=2)
    for n in range(3):
        await AiCategory.objects.create(name=f"c{n}")

    page = await small.call("ai_category_list", {})
    assert len(page["items"]) == 2
    assert page["has_more"] is True
    with pytest.raises(ValidationError):
        await small.call("ai_category_list", {"limit": 3})


async def test_default_ordering_is_used_only_when_visible():
    user = await AiUser.objects.create(email="u@example.com", hashed_password="h")
    for title in ("b", "a", "c"):
        await AiPost.objects.create(title=title, author=user)

    posts = await SHOP.call("ai_post_list", {})
    tag = await AiTag.objects.create(name="news")
    await (await AiPost.objects.get(title="b")).tags.add(tag)
    tagged = await SHOP.call("ai_post_list", {"filters": {"tags__name": {"exact": "news"}}})
    by_tag = await SHOP.call("ai_post_list", {"filters": {"tags": {"in": [str(tag.id)]}}})

    assert [p["title"] for p in posts["items"]] == ["a", "b", "c"]
    assert [p["title"] for p in tagged["items"]] == ["b"]
    assert [p["title"] for p in by_tag["items"]] == ["b"]
    assert set(posts["items"][0]) == {"id", "title", "author", "views"}
    assert posts["items"][0]["author"] == str(user.id)


async def test_read_only_toolkit_has_no_write_tools():
    readonly = AgentToolkit([AiCustomer], actions=("list", "get"))
    customer = await make_customer()

    assert set(readonly.tools) == {"ai_customer_list", "ai_customer_get"}
    with pytest.raises(PermissionDenied):
        await readonly.call("ai_customer_delete", {"id": str(customer.id)})
    assert await AiCustomer.objects.filter(id=customer.id).exists()


async def test_reads_never_select_sensitive_columns():
    customer = await make_customer()
    await AiDocument.objects.create(title="t", embedding=[1, 0, 0], raw=b"secret")

    with capture_queries() as queries:
        await SHOP.call("ai_customer_list", {"filters": {"email": {"icontains": "ada"}}})
        await SHOP.call("ai_customer_get", {"id": str(customer.id)})
        await SHOP.call("ai_document_search", {"vector": [1, 0, 0]})

    assert len(queries) == 3
    for sql in queries.sql:
        assert "stripe_customer_id" not in sql
        assert '"raw"' not in sql and ".raw" not in sql


async def test_a_missing_related_record_is_reported_without_database_details():
    missing = str(uuid.uuid4())

    with pytest.raises(IntegrityError) as info:
        await SHOP.call(
            "ai_product_create",
            {"data": {"name": "Tea", "slug": "tea", "price": "1", "sku": "T", "category": missing}},
        )

    assert str(info.value) == "AiProduct: category refers to a record that does not exist"
    assert await AiProduct.objects.count() == 0


async def test_messages_echo_only_a_short_part_of_hostile_keys():
    with pytest.raises(PermissionDenied) as info:
        await SHOP.call("ai_customer_list", {"filters": {"x" * 100_000: {"exact": 1}}})

    assert len(str(info.value)) < 120
