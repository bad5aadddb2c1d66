import json

import pytest

from aksara.ai import model_context
from aksara.exceptions import ConfigurationError
from tests.ai.models import AiCategory, AiCustomer, AiPost, AiProduct, AiSample, AiTag, AiUser

SPEC_MODELS = (AiUser, AiCustomer, AiCategory, AiProduct, AiPost)


def test_markdown_context_describes_the_spec_user_with_its_descriptions():
    text = model_context(AiUser)

    assert text.startswith("## AiUser\nA person who signs in to the shop.\nFields:\n")
    assert (
        "- email (Email): required; unique; max length 254; format email"
        " — User's email address for login and notifications\n"
    ) in text
    assert (
        '- role (String): max length 20; default "user"'
        " — User role: 'user', 'admin', or 'moderator'\n"
    ) in text
    assert "- id (UUID): primary key; format uuid; default generated; read-only for agents" in text


def test_sensitive_fields_never_appear_in_the_context_not_even_their_names():
    for format in ("markdown", "json"):
        text = model_context(*SPEC_MODELS, format=format)
        assert "hashed_password" not in text
        assert "Bcrypt" not in text
        assert "stripe_customer_id" not in text
        assert "Internal billing identifier" not in text
        assert "internal_code" not in text
        # A sensitive relation and its reverse side are hidden too.
        assert "reviewer" not in text
        assert "reviews" not in text


def test_customer_context_marks_the_computed_total_read_only():
    text = model_context(AiCustomer)

    assert "A paying customer of the shop" in text
    assert "- email (Email): required; max length 254; format email — Primary contact" in text
    assert (
        "- lifetime_value (Decimal): required; precision 10, scale 2; read-only for agents"
        " — Computed revenue total in USD"
    ) in text


def test_product_context_lists_types_constraints_choices_defaults_and_relations():
    text = model_context(AiCategory, AiProduct)

    assert "## AiProduct\nE-commerce product model.\n" in text
    for line in (
        "- slug (Slug): required; unique; max length 200; format slug — URL-friendly identifier",
        "- description (Text): nullable — Full product description",
        "- price (Decimal): required; precision 10, scale 2 — Current price in USD",
        "- quantity (Integer): default 0 — Available inventory count",
        '- status (Enum): one of "draft", "active", "discontinued"; default "draft"'
        " — Product visibility status",
        "- category (ForeignKey → AiCategory): many-to-one; on delete SET_NULL; nullable",
        "- metadata (JSON): default {} — Additional product attributes",
        "- created_at (DateTime): format date-time; set on create; read-only for agents",
        "- updated_at (DateTime): format date-time; set on every save; read-only for agents",
    ):
        assert line + "\n" in text
    assert "Reverse relations:\n- products: one-to-many, the AiProduct.category records" in text


def test_reverse_relations_appear_only_for_models_in_the_context():
    assert "Reverse relations" not in model_context(AiCategory)
    assert "- posts: one-to-many, the AiPost.author records pointing here" in model_context(
        AiUser, AiPost
    )


def test_many_to_many_relations_are_described_from_both_sides():
    text = model_context(AiPost, AiTag)

    assert "- tags (ManyToMany → AiTag): many-to-many; read-only for agents\n" in text
    assert "- posts: many-to-many, the AiPost.tags records pointing here" in text


def test_json_context_carries_the_same_facts_as_data():
    data = json.loads(model_context(AiCategory, AiProduct, format="json"))

    product = data["models"][1]
    assert product["name"] == "AiProduct"
    assert product["description"] == "E-commerce product model."
    by_name = {f["name"]: f for f in product["fields"]}
    assert list(by_name) == [
        "id",
        "name",
        "slug",
        "description",
        "price",
        "compare_at_price",
        "sku",
        "quantity",
        "status",
        "category",
        "metadata",
        "created_at",
        "updated_at",
    ]
    assert by_name["price"] == {
        "name": "price",
        "type": "Decimal",
        "nullable": False,
        "required": True,
        "precision": 10,
        "scale": 2,
        "description": "Current price in USD",
    }
    assert by_name["status"]["choices"] == ["draft", "active", "discontinued"]
    assert by_name["status"]["default"] == "draft"
    assert by_name["category"] == {
        "name": "category",
        "type": "ForeignKey",
        "relation": "many-to-one",
        "to": "AiCategory",
        "on_delete": "SET_NULL",
        "nullable": True,
    }
    assert by_name["created_at"]["read_only"] is True


def test_context_is_deterministic_and_ignores_repeated_models():
    first = model_context(*SPEC_MODELS)
    assert model_context(*SPEC_MODELS, AiUser) == first
    assert model_context(*SPEC_MODELS, format="json") == model_context(*SPEC_MODELS, format="json")


def test_field_families_show_their_own_constraints():
    text = model_context(AiSample)

    assert "- code (String): required; max length 10; pattern [A-Z]{2}-\\d+ — Internal code" in text
    assert '- level (String): max length 10; one of "low", "high"; default "low"' in text
    # A user bound is shown; the column type's own range is not.
    assert "- rating (Integer): nullable; min 1; max 5\n" in text
    assert "- big (BigInteger): default 0\n" in text
    assert "- positive (PositiveInteger): min 0; default 0\n" in text
    assert "- tags (Array): items string; default []\n" in text
    assert "- keys (Array): nullable; items string (uuid)\n" in text
    assert "- server (IPAddress): nullable; format ipv4\n" in text
    # Binary made visible and writable on purpose.
    assert "- blob (Binary): nullable; format binary\n" in text
    assert '- template (FilePath): nullable; max length 100; format path; one of "/' in text
    assert "- attachment (FileField): nullable; max length 500; read-only for agents" in text


def test_context_rejects_things_that_are_not_models():
    with pytest.raises(ConfigurationError):
        model_context()
    with pytest.raises(ConfigurationError):
        model_context(str)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        model_context(AiUser, format="yaml")  # type: ignore[arg-type]
