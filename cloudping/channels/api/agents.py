"""``GET /api/v1/agents``, ``GET /healthz``: what anyone may see without a token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.context import api_of
from cloudping.service import public_agents


async def list_agents(request: Request) -> Response:
    """The live agents: name, place, network, tags and capabilities (coordinates only when
    the settings expose them)."""
    api = api_of(request)
    agents = await public_agents(api.hub.registry, api.settings.expose_coordinates)
    return JSONResponse({"agents": agents})


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})
