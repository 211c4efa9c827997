"""The Starlette app of the HTTP API, built from the command service and a token service."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from cloudping.auth import TokenService
from cloudping.channels.api import agents, commands, ipinfo, keys, measurements, seed
from cloudping.channels.api import routes as routes_api
from cloudping.channels.api import tokens as own_tokens
from cloudping.channels.api.context import Api
from cloudping.channels.api.errors import on_cloudping_error, on_http_error, on_unexpected
from cloudping.channels.api.index import index
from cloudping.channels.api.openapi import PREFIX, openapi
from cloudping.commands.table import build_validators
from cloudping.errors import CloudpingError
from cloudping.service import CommandService


def app(service: CommandService, tokens: TokenService, *, mcp_path: str | None = None) -> Starlette:
    """The API: ``/api/v1/...``, ``/healthz``, ``/auth/jwks.json``, the seed's ``/ping`` and
    the index at ``/``.

    ``service`` is the one source of the hub, the store and the settings; pass the one other
    channels use (MCP) so that quotas count every channel's measurements. The hub's lifetime
    is the caller's (``async with hub``); the app only uses it. ``mcp_path``: where MCP is
    served beside it, for the index's links.
    """
    routes = [
        Route("/", index(mcp_path), methods=["GET"]),
        Route(f"{PREFIX}/agents", agents.list_agents, methods=["GET"]),
        Route(f"{PREFIX}/measurements", measurements.create, methods=["POST"]),
        Route(f"{PREFIX}/measurements/{{id}}", measurements.read, methods=["GET"]),
        Route(f"{PREFIX}/measurements/{{id}}", measurements.cancel, methods=["DELETE"]),
        Route(f"{PREFIX}/measurements/{{id}}/events", measurements.events, methods=["GET"]),
        Route(f"{PREFIX}/tokens", own_tokens.list_tokens, methods=["GET"]),
        Route(f"{PREFIX}/tokens", own_tokens.issue_token, methods=["POST"]),
        Route(f"{PREFIX}/tokens/{{id}}", own_tokens.revoke_token, methods=["DELETE"]),
        Route(f"{PREFIX}/measurements/{{id}}/picture.png", measurements.png, methods=["GET"]),
        Route(f"{PREFIX}/commands", commands.answer, methods=["POST"]),
        Route(f"{PREFIX}/routes", routes_api.lookup, methods=["GET"]),
        Route(f"{PREFIX}/ipinfo/{{address}}", ipinfo.ipinfo, methods=["GET"]),
        Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", agents.healthz, methods=["GET"]),
        Route(keys.JWKS_PATH, keys.jwks, methods=["GET"]),
        Route("/ping", seed.seed_ping, methods=["GET"]),
    ]
    handlers = {
        CloudpingError: on_cloudping_error,
        HTTPException: on_http_error,
        Exception: on_unexpected,
    }
    build_validators()  # now, not on the event loop at the first command of each kind
    application = Starlette(routes=routes, exception_handlers=handlers)
    application.state.api = Api(service, tokens)
    return application
