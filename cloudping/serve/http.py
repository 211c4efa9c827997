"""The HTTP API and MCP (``/mcp``) served next to the hub with uvicorn, inside the
:class:`HubServer` block.

The TCP socket is bound before uvicorn starts, so a taken port fails at once and the address
is known (and already accepting into its backlog) when the welcome text is printed. uvicorn's
own signal handling is switched off: the caller owns SIGINT/SIGTERM and stops the server by
leaving the block, which lets open streams finish their shutdown path. The API and MCP
share one :class:`CommandService`, so a subject's quotas count both, and one
:class:`HttpGuard` in front of both (``Host``/``Origin``, media types, body limits). The
server bounds what a client may hold: ``max_connections`` and a deadline on request headers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from cloudping.channels.api import app
from cloudping.channels.mcp import MCP_PATH, McpSettings, mcp_endpoint
from cloudping.edge import HttpGuard, HttpSettings, RoutePolicies, host_rules
from cloudping.errors import ListenError
from cloudping.hub.server import HubServer
from cloudping.serve.protocol import bounded_protocol
from cloudping.service import ApiSettings, CommandService

SHUTDOWN_TIMEOUT_S = 5


@dataclass(frozen=True, slots=True)
class ApiListen:
    """Where the API listens, how it treats callers, how it serves MCP, and how the HTTP
    server faces the network."""

    host: str
    port: int
    settings: ApiSettings
    mcp: McpSettings = field(default_factory=McpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    policies: RoutePolicies = field(default_factory=RoutePolicies)


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers (the hub process installs its own)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_tcp(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``.

    Raises:
        ListenError: the address is taken, not this machine's, or a privileged port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: accepted sockets inherit the protocol number, and asyncio turns
    # Nagle off (TCP_NODELAY) only on sockets that say TCP. With Nagle on, each streamed
    # event line after the headers waited for the client's delayed ACK: ~40 ms per call.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ListenError.from_os(exc, "tcp", host, port) from exc
    return sock


def hub_app(server: HubServer, listen: ApiListen) -> Starlette:
    """The API, with ``/mcp`` beside it unless MCP is switched off, behind the guard; the
    app's lifespan runs MCP's session manager (a mounted app's own lifespan never runs)."""
    service = CommandService(server.hub, server.store, listen.settings, server.ipinfo)
    api = app(service, server.tokens, mcp_path=MCP_PATH if listen.mcp.enabled else None)
    rules = host_rules(
        listen.host,
        listen.http.allowed_hosts,
        listen.http.allowed_origins,
        guests=listen.settings.anonymous == "guest",
    )
    guard = [Middleware(HttpGuard, rules=rules, policies=listen.policies)]
    routes: list[BaseRoute] = [Mount("/", api)]
    if not listen.mcp.enabled:
        return Starlette(routes=routes, middleware=guard)
    mcp = mcp_endpoint(service, server.tokens, listen.mcp, listen.host)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with mcp.lifespan():
            yield

    routes.insert(0, Route(MCP_PATH, mcp.app))
    return Starlette(routes=routes, middleware=guard, lifespan=lifespan)


@asynccontextmanager
async def serve_api(
    server: HubServer, listen: ApiListen, sock: socket.socket | None = None
) -> AsyncIterator[int]:
    """Serve the API of ``server`` on ``listen`` until the block ends; yields the bound port.

    Args:
        sock: the socket of ``listen``, when bound already (see :func:`bind_tcp`).
    """
    application = hub_app(server, listen)
    config = uvicorn.Config(
        application,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
        http=bounded_protocol(listen.http.header_timeout_s),
        # uvicorn counts the connection asking among the open ones (`>=`), so one more lets
        # exactly max_connections be served.
        limit_concurrency=listen.http.max_connections + 1,
    )
    web = _Server(config)
    sock = sock or bind_tcp(listen.host, listen.port)
    task = asyncio.create_task(web.serve(sockets=[sock]))
    try:
        yield sock.getsockname()[1]
    finally:
        # Running streams end with their `end` first, so that uvicorn's graceful shutdown
        # (waiting for open connections) finds them finishing rather than cuts them off.
        server.hub.cancel_all("the hub is shutting down")
        web.should_exit = True
        await task
        sock.close()
