"""``GET /api/v1/agents``, ``GET /healthz``: what anyone may see without a token."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cloudping.channels.api.context import api_of
from cloudping.hub import AgentEntry


async def list_agents(request: Request) -> Response:
    """The live agents: name, place, network, tags and capabilities (no coordinates unless
    the settings expose them: an agent's exact place can be someone's home)."""
    api = api_of(request)
    entries = await api.hub.registry.list()
    coordinates = api.settings.expose_coordinates
    return JSONResponse({"agents": [public_agent(entry, coordinates) for entry in entries]})


def public_agent(entry: AgentEntry, coordinates: bool) -> dict[str, Any]:
    """The public JSON of one agent."""
    attributes = entry.attributes
    agent: dict[str, Any] = {
        "name": entry.name,
        "country": attributes.country,
        "city": attributes.city,
        "asn": attributes.asn,
        "isp": attributes.isp,
        "tags": list(attributes.tags),
        "capabilities": list(attributes.capabilities),
    }
    if coordinates:
        agent |= {"lat": attributes.lat, "lon": attributes.lon}
    return agent


async def healthz(request: Request) -> Response:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})
