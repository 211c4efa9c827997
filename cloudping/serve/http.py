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
import dataclasses
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from cloudping.channels.api import app
from cloudping.channels.mcp import MCP_PATH, McpSettings, mcp_endpoint
from cloudping.channels.plug import Channel
from cloudping.edge import HttpGuard, HttpSettings, RoutePolicies, host_rules
from cloudping.hub.server import HubServer
from cloudping.metrics import Scrape, metrics_route
from cloudping.routes.lookup import RouteStore
from cloudping.serve.protocol import bounded_protocol
from cloudping.serve.quiet import SHUTDOWN_TIMEOUT_S, QuietServer
from cloudping.serve.tcp import bind_tcp
from cloudping.service import ApiSettings, CommandService


@dataclass(frozen=True, slots=True)
class ApiListen:
    """Where the API listens, how it treats callers, how it serves MCP, how the HTTP server
    faces the network, and the URL people reach it by."""

    host: str
    port: int
    settings: ApiSettings
    mcp: McpSettings = field(default_factory=McpSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    policies: RoutePolicies = field(default_factory=RoutePolicies)
    public_url: str | None = None
    """Where people reach the hub (``--public-url``), for links channels write."""


def hub_app(
    server: HubServer,
    listen: ApiListen,
    service: CommandService | None = None,
    channels: Sequence[Channel] = (),
    *,
    scrape: Scrape | None = None,
) -> Starlette:
    """The API, with ``/mcp`` beside it unless MCP is switched off, and the routes of the
    channels running in the hub process in front, behind the guard; the app's lifespan runs
    MCP's session manager (a mounted app's own lifespan never runs).

    Args:
        service: the command service the hub's other channels share (default: a new one,
            answering ``route`` from the data directory's route store).
        scrape: the hub's metrics, served at ``/metrics`` to admin tokens.
    """
    service = service or CommandService(
        server.hub,
        server.store,
        listen.settings,
        routes=RouteStore(server.settings.data_dir),
        ipinfo=server.ipinfo,
    )
    api = app(service, server.tokens, mcp_path=MCP_PATH if listen.mcp.enabled else None)
    rules = host_rules(
        listen.host,
        listen.http.allowed_hosts,
        listen.http.allowed_origins,
        guests=listen.settings.anonymous == "guest",
    )
    declared = tuple(p for channel in channels for p in channel.policies())
    policies = dataclasses.replace(listen.policies, routes=declared + listen.policies.routes)
    guard = [Middleware(HttpGuard, rules=rules, policies=policies)]
    routes: list[BaseRoute] = [route for channel in channels for route in channel.routes()]
    if scrape is not None:
        routes.append(metrics_route(scrape, server.tokens, listen.settings.clock))
    routes.append(Mount("/", api))
    if not listen.mcp.enabled:
        return Starlette(routes=routes, middleware=guard)
    mcp = mcp_endpoint(service, server.tokens, listen.mcp, listen.host)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with mcp.lifespan():
            yield

    routes.insert(len(routes) - 1, Route(MCP_PATH, mcp.app))
    return Starlette(routes=routes, middleware=guard, lifespan=lifespan)


@asynccontextmanager
async def serve_api(
    server: HubServer,
    listen: ApiListen,
    sock: socket.socket | None = None,
    service: CommandService | None = None,
    channels: Sequence[Channel] = (),
    *,
    scrape: Scrape | None = None,
) -> AsyncIterator[int]:
    """Serve the API of ``server`` on ``listen`` until the block ends; yields the bound port.

    Args:
        sock: the socket of ``listen``, when bound already (see :func:`bind_tcp`).
        service, channels, scrape: see :func:`hub_app`.
    """
    application = hub_app(server, listen, service, channels, scrape=scrape)
    config = uvicorn.Config(
        application,
        log_level="warning",
        log_config=None,  # its lines go through the process's own log format (text, JSON)
        lifespan="on",
        timeout_graceful_shutdown=SHUTDOWN_TIMEOUT_S,
        http=bounded_protocol(listen.http.header_timeout_s),
        # uvicorn counts the connection asking among the open ones (`>=`), so one more lets
        # exactly max_connections be served.
        limit_concurrency=listen.http.max_connections + 1,
    )
    web = QuietServer(config)
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
