"""The MCP server of a hub: the generated tools, the agent directory, the diagnose prompt.

:func:`mcp_server` builds an SDK ``MCPServer`` over a :class:`CommandService` (the one
the HTTP API uses, so quotas are shared) and a verifier of the hub's tokens (its auth).
Tests talk to it in-process with ``mcp.Client(server)``: such calls come without HTTP, so
they act as ``local_caller``; over HTTP the caller is whoever the token (or the guest rule)
says.
"""

from __future__ import annotations

from typing import Any

from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.prompts.base import Prompt
from pydantic import AnyHttpUrl

from cloudping import __version__
from cloudping.auth import AuthError
from cloudping.channels.mcp.auth import HubTokenVerifier, caller_of, current_caller
from cloudping.channels.mcp.budget import as_json, json_text
from cloudping.channels.mcp.catalog import catalog
from cloudping.channels.mcp.prompts import DIAGNOSE_DESCRIPTION, diagnose
from cloudping.channels.mcp.settings import McpSettings
from cloudping.channels.mcp.toolbox import Toolbox
from cloudping.channels.mcp.tooling import sdk_tool
from cloudping.commands import ListCommand
from cloudping.service import Caller, CommandService

AGENTS_URI = "cloudping://agents"
INSTRUCTIONS = (
    "cloudping measures networks from probe agents: ping, traceroute, mtr, tcping, dns, http "
    "and scan (a CIDR sweep, with a picture). list_agents (or the cloudping://agents "
    "resource) shows the agents and the selectors a tool's `from` takes. Every measurement "
    "returns a compact summary with a measurement_id; get_measurement pages through all of "
    "its events. run_command takes the same commands as text ('help' explains them)."
)


def mcp_server(
    service: CommandService,
    verifier: HubTokenVerifier,
    settings: McpSettings | None = None,
    *,
    local_caller: Caller | None = None,
) -> MCPServer[Any]:
    """The hub's MCP server.

    Args:
        service: runs commands for callers (shared with the HTTP API).
        verifier: verifies Bearer tokens (audience ``api``) for the HTTP transport.
        settings: result size and transport settings.
        local_caller: who calls without HTTP (in-process clients); ``None`` refuses them:
            every tool answers ``token_missing`` and the agents resource fails.
    """
    chosen = settings or McpSettings()
    box = Toolbox(service, chosen.result_bytes)

    def identify(ctx: Context[Any, Any]) -> Caller:
        return caller_of(ctx, service.settings, local_caller)

    server: MCPServer[Any] = MCPServer(
        name="cloudping",
        title="cloudping",
        version=__version__,
        instructions=INSTRUCTIONS,
        token_verifier=verifier,
        auth=AuthSettings(
            issuer_url=AnyHttpUrl(verifier.issuer),
            resource_server_url=None,
            required_scopes=["measure"],
        ),
        tools=[sdk_tool(spec) for spec in catalog(box, identify)],
        log_level="WARNING",
    )

    @server.resource(AGENTS_URI, name="agents", mime_type="application/json")
    async def agents() -> str:
        """The live agents, and every selector word a measurement's `from` can use."""
        try:
            caller = current_caller(service.settings, local_caller)  # refused as tools refuse
        except AuthError as exc:
            raise ResourceError(f"{exc.code}: {exc.message}") from exc
        return json_text(as_json(await box.agents(caller, ListCommand())))

    server.add_prompt(Prompt.from_function(diagnose, description=DIAGNOSE_DESCRIPTION))
    return server
