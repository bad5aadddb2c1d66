"""An MCP server exposing an ``AgentToolkit``, on the official ``mcp`` SDK (``pip install mcp``).

```
MCP client ──tools/list──▶ Server ──▶ toolkit.export("mcp")     (+ the model context as instructions)
           ──tools/call──▶ Server ──▶ toolkit.call(name, args) ──▶ result as JSON text + structured content
                                                 └─ PermissionDenied, ValidationError, ... ──▶ isError result
```

Run it over stdio with ``python -m aksara.ai serve myapp.models`` (see ``aksara.ai.__main__``)
or ``await serve_stdio([...])``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from aksara._version import __version__
from aksara.ai.context import model_context
from aksara.ai.toolkit import AgentToolkit
from aksara.exceptions import AksaraError, ConfigurationError, ValidationError

if TYPE_CHECKING:
    from mcp.server import Server, ServerRequestContext
    from mcp.types import (
        CallToolRequestParams,
        CallToolResult,
        ListToolsResult,
        PaginatedRequestParams,
    )

    from aksara.models.base import Model

logger = logging.getLogger("aksara.ai")


def mcp_server(
    models: Iterable[type[Model]] | type[Model] | AgentToolkit,
    *,
    name: str = "aksara",
    instructions: str | None = None,
    **toolkit_options: Any,
) -> Server[Any]:
    """An MCP server (the SDK's low-level ``mcp.server.Server``) whose tools are those of
    ``AgentToolkit(models, **toolkit_options)``, or of the toolkit given.

    The server's instructions default to ``model_context()`` of the models, so a client
    learns the data model when it connects. Tool failures (``PermissionDenied``,
    ``ValidationError``, ``DoesNotExist``, ...) come back as results with ``isError``, as
    MCP asks, so the agent can correct itself; an unknown tool name is a protocol error.
    The database must be connected while the server runs (``serve_stdio()`` connects it).
    """
    try:
        from mcp import types
        from mcp.server import Server
        from mcp.shared.exceptions import MCPError
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigurationError(
            "aksara.ai.mcp_server() needs the MCP Python SDK: pip install 'mcp>=2'"
        ) from None

    if isinstance(models, AgentToolkit):
        if toolkit_options:
            raise ConfigurationError("mcp_server(): pass toolkit options to AgentToolkit() instead")
        toolkit = models
    else:
        toolkit = AgentToolkit(models, **toolkit_options)
    tools = [types.Tool.model_validate(tool.to_mcp()) for tool in toolkit.tools.values()]
    if instructions is None:
        instructions = model_context(*toolkit.models)

    async def list_tools(
        ctx: ServerRequestContext[Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: CallToolRequestParams
    ) -> CallToolResult:
        if params.name not in toolkit.tools:
            raise MCPError(types.INVALID_PARAMS, f"Unknown tool: {params.name}")
        try:
            result = await toolkit.call(params.name, params.arguments or {})
        except AksaraError as error:
            return _error_result(types, error)
        except Exception:
            # The agent gets no internals; the server's log gets the traceback.
            logger.exception("aksara MCP tool %s failed", params.name)
            return _error_result(types, None)
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(result, ensure_ascii=False))],
            structured_content=result,
        )

    return Server(
        name,
        version=__version__,
        instructions=instructions,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _error_result(types: Any, error: AksaraError | None) -> CallToolResult:
    if error is None:
        payload: dict[str, Any] = {"error": "InternalError", "message": "The tool failed"}
    else:
        payload = {"error": type(error).__name__, "message": str(error)}
        if isinstance(error, ValidationError):
            payload["errors"] = error.errors
    text = f"{payload['error']}: {payload['message']}"
    return types.CallToolResult(  # type: ignore[no-any-return]
        content=[types.TextContent(text=text)], structured_content=payload, is_error=True
    )


async def serve_stdio(
    models: Iterable[type[Model]] | type[Model] | AgentToolkit,
    **options: Any,
) -> None:
    """Serve ``mcp_server(models, **options)`` over stdin/stdout until the client leaves.

    Connects to the database first (``AKSARA_DATABASE_URL``) unless already connected,
    and disconnects at the end if it connected.
    """
    from mcp.server.stdio import stdio_server

    from aksara.db import connect, disconnect, get_database

    server = mcp_server(models, **options)
    try:
        get_database()
        opened = False
    except ConfigurationError:
        await connect()
        opened = True
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        if opened:
            await disconnect()
