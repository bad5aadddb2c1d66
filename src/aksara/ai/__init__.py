"""AI metadata at work: model context for prompts, tool schemas, guarded agent access, MCP.

```
model_context(Product, Customer)         markdown (or JSON) describing fields and relations
export_tools(Product, format="mcp")      list/get/create/update/delete(/search) tool definitions
AgentToolkit([Product]).call(name, args) runs a tool, enforcing ai_sensitive / ai_agent_writable
mcp_server([Product])                    the same tools over the Model Context Protocol
```

``ai_sensitive=True`` fields never appear in any of them; ``ai_agent_writable=False``
fields are visible but refused in agent writes.
"""

from aksara.ai.context import model_context
from aksara.ai.mcp import mcp_server, serve_stdio
from aksara.ai.tool_definitions import Tool, export_tools
from aksara.ai.toolkit import AgentToolkit

__all__ = ["AgentToolkit", "Tool", "export_tools", "mcp_server", "model_context", "serve_stdio"]
