"""MCP for LLM clients (design.md "Interfaces users touch"): every command as a typed tool.

The tools are generated from the command layer (:mod:`.catalog`, :mod:`.schemas`), run
through the same :class:`~cloudping.service.CommandService` as the HTTP API,
stream progress while a measurement runs (:mod:`.running`) and answer a compact summary under
a size budget (:mod:`.digest`, :mod:`.budget`). :func:`mcp_endpoint` serves them on ``/mcp``
(StreamableHTTP, the hub's tokens); :func:`mcp_server` is the server itself, for in-process
clients.
"""

from cloudping.channels.mcp.http import McpEndpoint, mcp_endpoint
from cloudping.channels.mcp.server import AGENTS_URI, mcp_server
from cloudping.channels.mcp.settings import MCP_PATH, McpSettings

__all__ = ["AGENTS_URI", "MCP_PATH", "McpEndpoint", "McpSettings", "mcp_endpoint", "mcp_server"]
