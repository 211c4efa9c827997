"""In-process MCP: a hub whose agents play back canned results for every probe kind, and the
MCP server over it with an SDK client connected in memory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer

from cloudping.auth import KeyRing, Scope, SigningKey, TokenService
from cloudping.channels.mcp import McpSettings, mcp_server
from cloudping.channels.mcp.auth import HubTokenVerifier
from cloudping.hub import Hub, HubSettings
from cloudping.ipinfo.router import Ipinfo
from cloudping.routes.lookup import RouteStore
from cloudping.service import ApiSettings, Caller, CommandService
from cloudping.store import MemoryStore
from cloudping.testing import ScriptedAgent, scripted_hub

NOW = 1_750_000_000.0
WAIT = 10.0  # seconds: the bound on every wait here


@dataclass
class McpWorld:
    """A hub with agents ``fra1`` (Frankfurt, AS1) and ``ams1`` (Amsterdam, AS2), the MCP
    server over it (calls act for ``alice``), and a client connected in memory."""

    hub: Hub
    store: MemoryStore
    server: MCPServer[Any]
    client: Client
    links: dict[str, ScriptedAgent]
    tokens: TokenService
    progress: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        """A progress callback (the SDK's ``ProgressFnT``) that records what it is told."""
        self.progress.append((progress, total, message))


def alice(settings: ApiSettings, *scopes: Scope) -> Caller:
    """The caller of in-process calls (scope ``measure`` unless told)."""
    return Caller("alice", frozenset(scopes or ("measure",)), settings.user_quota, channel="mcp")


@contextlib.asynccontextmanager
async def mcp_world(
    settings: ApiSettings | None = None,
    mcp: McpSettings | None = None,
    *,
    finishes: bool = True,
    caller: Caller | None = None,
    refuse_local: bool = False,
    routes: RouteStore | None = None,
    ipinfo: Ipinfo | None = None,
) -> AsyncIterator[McpWorld]:
    """The world of the in-process tests; every wait inside is bounded by :data:`WAIT`.

    In-process calls act for ``caller`` (``alice`` unless told), or for no one when
    ``refuse_local``; ``ipinfo``: the hub's IP info providers (none: special ranges only).
    """
    store = MemoryStore()
    chosen = settings or ApiSettings(clock=lambda: NOW)
    tokens = TokenService(KeyRing.of(SigningKey.generate()))
    links = {
        "fra1": ScriptedAgent("fra1", finishes=finishes, country="DE", city="Frankfurt", asn=1),
        "ams1": ScriptedAgent("ams1", country="NL", city="Amsterdam", asn=2),
    }
    async with scripted_hub(*links.values(), store=store, settings=HubSettings(max_jobs=20)) as hub:
        service = CommandService(hub, store, chosen, routes=routes, ipinfo=ipinfo)
        local = None if refuse_local else caller or alice(chosen)
        verifier = HubTokenVerifier(tokens, chosen)
        server = mcp_server(service, verifier, mcp, local_caller=local)
        async with asyncio.timeout(WAIT), Client(server) as client:
            yield McpWorld(hub, store, server, client, links, tokens)
