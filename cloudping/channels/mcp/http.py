"""``/mcp`` over StreamableHTTP: the SDK's app with the hub's auth, ready to mount.

The SDK builds the Starlette app (its transport, its Bearer middleware answering 401/403);
its own Host/Origin checks stay off, as the hub's :class:`~cloudping.edge.HttpGuard`
applies one rule to every route in front of it. :func:`mcp_endpoint` swaps the SDK's
authentication backend for :class:`~cloudping.channels.mcp.auth.GuestOrBearer`, so the hub's
guest rule holds here as on the HTTP API. Mounted in another app, the SDK app's own lifespan
does not run: the parent's must enter :meth:`McpEndpoint.lifespan` (the session manager's
task group).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, cast

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware

from cloudping.auth import TokenService
from cloudping.channels.mcp.auth import GuestOrBearer, HubTokenVerifier
from cloudping.channels.mcp.autherrors import ApiShapedAuthErrors
from cloudping.channels.mcp.rpcid import RequestIdCheck
from cloudping.channels.mcp.server import mcp_server
from cloudping.channels.mcp.settings import MCP_PATH, McpSettings
from cloudping.service import CommandService


@dataclass(frozen=True, slots=True)
class McpEndpoint:
    """The ASGI app serving :data:`MCP_PATH`, and the server behind it."""

    app: Starlette
    server: MCPServer[Any]

    def lifespan(self) -> AbstractAsyncContextManager[None]:
        """Run the StreamableHTTP session manager (enter it in the parent app's lifespan)."""
        return self.server.session_manager.run()


def mcp_endpoint(
    service: CommandService,
    tokens: TokenService,
    settings: McpSettings,
    listen_host: str,
) -> McpEndpoint:
    """The MCP endpoint of a hub whose HTTP server listens on ``listen_host`` (mount it behind
    :class:`~cloudping.edge.HttpGuard`: it checks no ``Host`` itself)."""
    verifier = HubTokenVerifier(tokens, service.settings)
    server = mcp_server(service, verifier, settings)
    app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=settings.stateless,
        max_sessions=settings.max_sessions,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        host=listen_host,
    )
    _use_backend(app, GuestOrBearer(verifier, service.settings))
    app.user_middleware.append(Middleware(RequestIdCheck))  # innermost: after authentication
    # Outermost: the refusals of the SDK's Bearer middleware, in the API's error shape.
    clock = service.settings.clock
    app.user_middleware.insert(0, Middleware(ApiShapedAuthErrors, tokens=tokens, clock=clock))
    return McpEndpoint(app, server)


def _use_backend(app: Starlette, backend: GuestOrBearer) -> None:
    """Replace the authentication backend of the SDK's middleware (before the first request:
    Starlette builds its middleware stack then)."""
    for index, middleware in enumerate(app.user_middleware):
        if cast(object, middleware.cls) is AuthenticationMiddleware:
            app.user_middleware[index] = Middleware(AuthenticationMiddleware, backend=backend)
            return
    raise RuntimeError("the mcp SDK's app has no AuthenticationMiddleware to configure")
