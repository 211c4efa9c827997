"""The public view of the agents: what anyone may see of them, on any channel."""

from __future__ import annotations

from typing import Any

from cloudping.hub import AgentEntry, AgentRegistry


def public_agent(entry: AgentEntry, coordinates: bool) -> dict[str, Any]:
    """The public JSON of one agent (no coordinates unless the settings expose them: an
    agent's exact place can be someone's home)."""
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


async def public_agents(registry: AgentRegistry, coordinates: bool) -> list[dict[str, Any]]:
    """Every live agent's public JSON, sorted by name."""
    return [public_agent(entry, coordinates) for entry in await registry.list()]
