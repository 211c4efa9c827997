"""``GET /api/v1/agents``, ``GET /healthz``: what anyone may see without a token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.context import api_of


async def list_agents(request: Request) -> Response:
    """The live agents: name, place, network, tags and capabilities (coordinates only when
    the settings expose them)."""
    return JSONResponse({"agents": await api_of(request).service.agents()})


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})
