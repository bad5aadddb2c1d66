import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator

from aksara.ai import AgentToolkit, export_tools
from aksara.exceptions import ConfigurationError
from tests.ai.models import (
    AiCategory,
    AiCustomer,
    AiDocument,
    AiPost,
    AiProduct,
    AiSample,
    AiTag,
    AiUser,
)

ALL_MODELS = (AiUser, AiCustomer, AiCategory, AiProduct, AiPost, AiTag, AiDocument, AiSample)
HIDDEN = {"hashed_password", "stripe_customer_id", "internal_code", "reviewer", "raw"}


def tools_by_name(*models: Any, **options: Any) -> dict[str, dict[str, Any]]:
    return {tool["name"]: tool for tool in export_tools(*models, format="mcp", **options)}


def schema_of(tool: dict[str, Any]) -> dict[str, Any]:
    return tool["inputSchema"]


def names_in(value: Any) -> Iterator[str]:
    """Every property name, enum value and string anywhere in a schema."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from names_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from names_in(item)
    elif isinstance(value, str):
        yield value.lstrip("-")


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize("format", ["mcp", "openai", "json"])
def test_every_exported_schema_is_valid_json_schema(format):
    exported = export_tools(*ALL_MODELS, format=format)

    assert exported
    for tool in exported:
        if format == "mcp":
            schema = tool["inputSchema"]
        elif format == "openai":
            assert tool["type"] == "function"
            schema = tool["function"]["parameters"]
        else:
            schema = tool["input_schema"]
        Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        json.dumps(tool)  # plain JSON data


def test_each_model_gets_its_tools_and_only_possible_ones():
    tools = tools_by_name(*ALL_MODELS)

    assert [n for n in tools if n.startswith("ai_product_")] == [
        "ai_product_list",
        "ai_product_get",
        "ai_product_create",
        "ai_product_update",
        "ai_product_delete",
    ]
    # A create needs the hidden hashed_password (and stripe_customer_id): it could never succeed.
    assert "ai_user_create" not in tools
    assert "ai_customer_create" not in tools
    assert {"ai_user_list", "ai_user_get", "ai_user_update", "ai_user_delete"} <= set(tools)
    # Only a model with a vector field can be searched.
    assert "ai_document_search" in tools
    assert "ai_product_search" not in tools


def test_sensitive_fields_are_absent_from_every_export():
    for format in ("mcp", "openai", "json"):
        exported = export_tools(*ALL_MODELS, format=format)
        seen = set(names_in(exported))
        assert not HIDDEN & seen
        text = json.dumps(exported)
        assert "hashed_password" not in text
        assert "stripe_customer_id" not in text
        assert "Internal billing identifier" not in text
        assert "Bcrypt" not in text


def test_descriptions_flow_into_tools():
    tools = tools_by_name(AiUser, AiCustomer)

    user_update = schema_of(tools["ai_user_update"])["properties"]["data"]["properties"]
    assert user_update["email"]["description"] == (
        "User's email address for login and notifications"
    )
    assert user_update["role"]["description"] == "User role: 'user', 'admin', or 'moderator'"
    assert "(A paying customer of the shop)" in tools["ai_customer_list"]["description"]
    assert "(A person who signs in to the shop)" in tools["ai_user_get"]["description"]


def test_non_writable_fields_are_readable_but_absent_from_write_inputs():
    tools = tools_by_name(AiCustomer, AiProduct)

    customer_data = schema_of(tools["ai_customer_update"])["properties"]["data"]
    assert list(customer_data["properties"]) == ["email"]
    customer_list = schema_of(tools["ai_customer_list"])["properties"]
    assert "lifetime_value" in customer_list["filters"]["properties"]
    assert "-lifetime_value" in customer_list["order_by"]["items"]["enum"]

    create = schema_of(tools["ai_product_create"])["properties"]["data"]
    assert "id" not in create["properties"]
    assert "created_at" not in create["properties"]
    assert "updated_at" not in create["properties"]
    assert create["required"] == ["name", "slug", "price", "sku"]
    update = schema_of(tools["ai_product_update"])
    assert update["required"] == ["id", "data"]
    assert "required" not in update["properties"]["data"]
    assert update["properties"]["data"]["minProperties"] == 1


def test_mcp_annotations_say_what_each_tool_does():
    tools = tools_by_name(AiProduct)

    def hints(name: str) -> dict[str, Any]:
        return tools[name]["annotations"]

    assert hints("ai_product_list") == {
        "title": "List AiProduct records",
        "readOnlyHint": True,
        "openWorldHint": False,
    }
    assert hints("ai_product_get")["readOnlyHint"] is True
    assert hints("ai_product_create") == {
        "title": "Create AiProduct",
        "readOnlyHint": False,
        "destructiveHint": False,
        "idempotentHint": False,
        "openWorldHint": False,
    }
    assert hints("ai_product_update")["destructiveHint"] is True
    assert hints("ai_product_update")["idempotentHint"] is True
    assert hints("ai_product_delete")["destructiveHint"] is True
    assert hints("ai_product_delete")["idempotentHint"] is True


def test_product_create_schema_follows_the_fields():
    data = schema_of(tools_by_name(AiCategory, AiProduct)["ai_product_create"])["properties"][
        "data"
    ]
    props = data["properties"]

    assert props["name"] == {
        "type": "string",
        "maxLength": 200,
        "description": "Product display name",
    }
    assert props["slug"]["pattern"] == "^[-a-zA-Z0-9_]+$"
    assert props["description"]["type"] == ["string", "null"]
    assert props["price"]["type"] == ["number", "string"]
    assert props["price"]["exclusiveMaximum"] == 10**8
    assert props["price"]["pattern"] == r"^-?[0-9]{1,8}(\.[0-9]{1,2})?$"
    assert props["compare_at_price"]["type"] == ["number", "string", "null"]
    assert props["quantity"] == {
        "type": "integer",
        "minimum": -(2**31),
        "maximum": 2**31 - 1,
        "description": "Available inventory count",
        "default": 0,
    }
    assert props["status"]["enum"] == ["draft", "active", "discontinued"]
    assert props["status"]["default"] == "draft"
    assert props["category"]["type"] == ["string", "null"]
    assert props["category"]["format"] == "uuid"
    assert props["category"]["description"] == "ID of a AiCategory"
    assert props["metadata"] == {"description": "Additional product attributes", "default": {}}
    # Exported alone, a product's foreign key to a model the agent cannot see is read-only.
    alone = schema_of(tools_by_name(AiProduct)["ai_product_create"])["properties"]["data"]
    assert "category" not in alone["properties"]


def test_sample_schema_covers_every_field_family():
    props = schema_of(tools_by_name(AiSample)["ai_sample_create"])["properties"]["data"][
        "properties"
    ]

    assert props["code"]["pattern"] == r"^(?:[A-Z]{2}-\d+)$"
    assert props["level"]["enum"] == ["low", "high"]
    assert props["notes"]["minLength"] == 2
    assert props["contact"]["format"] == "email"
    assert props["homepage"]["format"] == "uri"
    assert props["rating"]["type"] == ["integer", "null"]
    assert (props["rating"]["minimum"], props["rating"]["maximum"]) == (1, 5)
    assert props["big"]["maximum"] == 2**63 - 1
    assert props["small"]["minimum"] == -(2**15)
    assert props["positive"]["minimum"] == 0
    assert (props["ratio"]["minimum"], props["ratio"]["maximum"]) == (0, 1)
    assert props["amount"]["minimum"] == 0
    assert props["amount"]["exclusiveMaximum"] == 10**4
    assert props["active"] == {"type": "boolean", "default": True}
    assert props["happened_at"]["format"] == "date-time"
    assert props["day"]["format"] == "date"
    assert "format" not in props["alarm"]  # JSON Schema's time needs a UTC offset
    assert props["alarm"]["pattern"].startswith("^([01][0-9]|2[0-3])")
    assert props["wait"]["type"] == ["number", "null"]
    assert "seconds" in props["wait"]["description"]
    assert props["reference"]["format"] == "uuid"
    assert props["extra"] == {"default": {}}
    assert props["colour"]["enum"] == ["red", "green", None]
    assert props["tags"] == {"type": "array", "items": {"type": "string"}, "default": []}
    assert props["scores"]["items"] == {"type": "integer"}
    assert props["keys"]["items"] == {"type": "string", "format": "uuid"}
    assert props["slug"]["maxLength"] == 50
    assert props["server"]["format"] == "ipv4"
    assert props["peer"]["anyOf"] == [{"format": "ipv4"}, {"format": "ipv6"}]
    assert props["blob"]["contentEncoding"] == "base64"
    assert props["template"]["enum"][-1] is None
    assert props["template"]["enum"][0].endswith("models.py")
    assert "attachment" not in props  # a stored file is not data an agent can send


def test_schemas_accept_good_arguments_and_reject_hostile_ones():
    tools = tools_by_name(AiCategory, AiProduct)
    create = validator(schema_of(tools["ai_product_create"]))
    good = {
        "data": {
            "name": "Tea",
            "slug": "tea",
            "price": "4.50",
            "sku": "T-1",
            "status": "active",
            "category": "7f1e0c35-2d6b-4b7e-9a55-5f5d4f0b1f11",
            "metadata": {"origin": "Assam"},
        }
    }
    create.validate(good)
    create.validate({"data": {**good["data"], "price": 4.5}})
    for bad in (
        {"data": {**good["data"], "name": "x" * 201}},
        {"data": {**good["data"], "status": "sold"}},
        {"data": {**good["data"], "price": "4.505"}},
        {"data": {**good["data"], "price": 10**8}},
        {"data": {**good["data"], "slug": "no spaces"}},
        {"data": {**good["data"], "category": "not-a-uuid"}},
        {"data": {**good["data"], "created_at": "2024-01-01T00:00:00Z"}},
        {"data": {**good["data"], "id": "7f1e0c35-2d6b-4b7e-9a55-5f5d4f0b1f11"}},
        {"data": {"name": "Tea"}},
        {**good, "extra": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            create.validate(bad)

    listing = validator(schema_of(tools["ai_product_list"]))
    listing.validate(
        {
            "filters": {
                "name": {"icontains": "tea"},
                "price": {"gte": 1, "lt": "9.99"},
                "status": {"in": ["active", "draft"]},
                "category__name": {"exact": "Drinks"},
                "description": {"isnull": True},
            },
            "order_by": ["-price", "name"],
            "limit": 100,
        }
    )
    for bad in (
        {"filters": {"name": {"regex": ".*"}}},
        {"filters": {"name": "tea"}},
        {"filters": {"name": {}}},
        {"filters": {"category__internal_code": {"exact": "x"}}},
        {"filters": {"price": {"range": [1]}}},
        {"filters": {"status": {"exact": "sold"}}},
        {"order_by": ["metadata"]},
        {"limit": 101},
        {"offset": -1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            listing.validate(bad)


def test_relation_paths_reach_only_visible_fields_of_exposed_models():
    with_users = schema_of(tools_by_name(AiUser, AiPost, AiTag)["ai_post_list"])
    filters = with_users["properties"]["filters"]["properties"]
    assert {"author", "author__email", "author__role", "tags", "tags__name"} <= set(filters)
    assert not any(key.startswith("reviewer") for key in filters)
    assert "author__hashed_password" not in filters

    alone = schema_of(tools_by_name(AiPost)["ai_post_list"])
    keys = set(alone["properties"]["filters"]["properties"])
    assert {"author", "tags"} <= keys
    assert not any("__" in key for key in keys)


def test_search_tool_takes_a_vector_of_the_field_dimensions():
    search = tools_by_name(AiDocument)["ai_document_search"]
    props = schema_of(search)["properties"]

    assert props["vector"]["minItems"] == props["vector"]["maxItems"] == 3
    assert props["vector"]["items"] == {"type": "number"}
    # The HNSW index uses cosine distance, so the tool defaults to it.
    assert props["metric"]["default"] == "cosine"
    assert props["k"]["maximum"] == 100
    assert schema_of(search)["required"] == ["vector"]
    assert search["annotations"]["readOnlyHint"] is True
    # The sensitive Binary field is hidden, and vectors are not listed back.
    list_filters = schema_of(tools_by_name(AiDocument)["ai_document_list"])["properties"]
    assert "raw" not in list_filters["filters"]["properties"]


def test_openai_and_json_formats():
    openai = export_tools(AiCategory, format="openai")[0]
    assert openai["type"] == "function"
    assert openai["function"]["name"] == "ai_category_list"
    assert openai["function"]["parameters"]["type"] == "object"

    plain = export_tools(AiCategory, format="json")[0]
    assert plain["model"] == "AiCategory"
    assert plain["action"] == "list"
    assert plain["read_only"] is True


def test_actions_and_page_size_options():
    names = [t["name"] for t in export_tools(AiProduct, actions=("list", "get"))]
    assert names == ["ai_product_list", "ai_product_get"]

    listing = export_tools(AiProduct, actions=("list",), max_page_size=5)[0]
    limit = listing["inputSchema"]["properties"]["limit"]
    assert (limit["maximum"], limit["default"]) == (5, 5)

    toolkit = AgentToolkit([AiProduct], actions=("list",))
    assert toolkit.export("mcp") == export_tools(AiProduct, actions=("list",))

    with pytest.raises(ConfigurationError):
        export_tools(AiProduct, actions=("drop",))
    with pytest.raises(ConfigurationError):
        export_tools(AiProduct, max_page_size=0)
    with pytest.raises(ConfigurationError):
        export_tools(AiProduct, format="xml")  # type: ignore[arg-type]


def test_export_is_deterministic():
    assert json.dumps(export_tools(*ALL_MODELS)) == json.dumps(export_tools(*ALL_MODELS))
