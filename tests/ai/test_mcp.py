"""The MCP server, driven by the SDK's own client: in process over JSON-RPC message
streams, and end to end over stdio against a server subprocess."""

import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from aksara.ai import AgentToolkit, export_tools, mcp_server, model_context
from aksara.db import Database
from tests.ai.models import AiCustomer, AiUser

REPO = Path(__file__).resolve().parents[2]


def connect(*models: type) -> Client:
    # mode="legacy": the initialize handshake and JSON-RPC messages over memory streams.
    return Client(mcp_server(list(models), name="shop"), mode="legacy")


async def make_customer() -> AiCustomer:
    return await AiCustomer.objects.create(
        email="ada@example.com", stripe_customer_id="cus_secret_123", lifetime_value=Decimal("12")
    )


@pytest.mark.usefixtures("db")
async def test_client_lists_the_exported_tools_with_annotations_and_context():
    async with connect(AiUser, AiCustomer) as client:
        listing = await client.list_tools()
        assert client.server_info is not None
        assert client.server_info.name == "shop"
        instructions = client.instructions

    tools = {tool.name: tool for tool in listing.tools}
    expected = {tool["name"]: tool for tool in export_tools(AiUser, AiCustomer)}
    assert set(tools) == set(expected)
    for name, tool in tools.items():
        assert tool.input_schema == expected[name]["inputSchema"]
        assert tool.description == expected[name]["description"]
    assert tools["ai_customer_list"].annotations.read_only_hint is True
    assert tools["ai_customer_delete"].annotations.destructive_hint is True
    assert tools["ai_customer_update"].annotations.idempotent_hint is True
    assert instructions == model_context(AiUser, AiCustomer)
    dumped = listing.model_dump_json(by_alias=True)
    assert "stripe_customer_id" not in dumped
    assert "hashed_password" not in dumped


@pytest.mark.usefixtures("db")
async def test_client_calls_tools_and_gets_redacted_records():
    customer = await make_customer()

    async with connect(AiCustomer) as client:
        listed = await client.call_tool(
            "ai_customer_list", {"filters": {"email": {"exact": "ada@example.com"}}}
        )
        updated = await client.call_tool(
            "ai_customer_update", {"id": str(customer.id), "data": {"email": "grace@example.com"}}
        )

    assert listed.is_error is False
    assert listed.structured_content == {
        "items": [{"id": str(customer.id), "email": "ada@example.com", "lifetime_value": "12.00"}],
        "limit": 20,
        "offset": 0,
        "has_more": False,
    }
    assert json.loads(listed.content[0].text) == listed.structured_content
    assert "cus_secret_123" not in listed.model_dump_json()
    assert updated.structured_content["email"] == "grace@example.com"
    assert (await AiCustomer.objects.get(id=customer.id)).email == "grace@example.com"


@pytest.mark.usefixtures("db")
async def test_refused_and_invalid_calls_are_tool_errors_and_write_nothing():
    customer = await make_customer()

    async with connect(AiCustomer) as client:
        refused = await client.call_tool(
            "ai_customer_update", {"id": str(customer.id), "data": {"lifetime_value": "1e6"}}
        )
        hidden = await client.call_tool(
            "ai_customer_list", {"filters": {"stripe_customer_id": {"startswith": "cus_"}}}
        )
        invalid = await client.call_tool(
            "ai_customer_update", {"id": str(customer.id), "data": {"email": "nope"}}
        )
        with pytest.raises(MCPError) as info:
            await client.call_tool("ai_customer_truncate", {})

    assert refused.is_error is True
    assert refused.content[0].text == (
        "PermissionDenied: AiCustomer.lifetime_value is read-only for agents"
    )
    assert hidden.is_error is True
    assert hidden.structured_content["error"] == "PermissionDenied"
    assert invalid.is_error is True
    assert invalid.structured_content["errors"] == {"email": ["Invalid email format"]}
    assert "Unknown tool" in info.value.message
    row = await AiCustomer.objects.get(id=customer.id)
    assert (row.email, row.lifetime_value) == ("ada@example.com", Decimal("12.00"))


@pytest.mark.usefixtures("db")
async def test_server_takes_a_prepared_toolkit():
    toolkit = AgentToolkit([AiCustomer], actions=("list",))

    async with Client(mcp_server(toolkit), mode="legacy") as client:
        listing = await client.list_tools()

    assert [tool.name for tool in listing.tools] == ["ai_customer_list"]


async def test_stdio_server_subprocess_serves_the_test_database(transactional_db: Database):
    customer = await make_customer()
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "aksara.ai", "serve", "tests.ai.models:AiCustomer", "--name", "shop"],
        env={"AKSARA_DATABASE_URL": transactional_db.url},
        cwd=REPO,
    )

    async with Client(params, read_timeout_seconds=30) as client:
        listing = await client.list_tools()
        got = await client.call_tool("ai_customer_get", {"id": str(customer.id)})
        refused = await client.call_tool(
            "ai_customer_update", {"id": str(customer.id), "data": {"stripe_customer_id": "x"}}
        )
        updated = await client.call_tool(
            "ai_customer_update", {"id": str(customer.id), "data": {"email": "grace@example.com"}}
        )

    assert {tool.name for tool in listing.tools} == {
        "ai_customer_list",
        "ai_customer_get",
        "ai_customer_update",
        "ai_customer_delete",
    }
    assert got.structured_content == {
        "id": str(customer.id),
        "email": "ada@example.com",
        "lifetime_value": "12.00",
    }
    assert refused.is_error is True
    assert "stripe_customer_id" in refused.content[0].text  # the agent's own key, echoed
    assert updated.is_error is False
    row = await AiCustomer.objects.get(id=customer.id)
    assert row.email == "grace@example.com"
    assert row.stripe_customer_id == "cus_secret_123"
