"""The commands that are not measurements, answered the same on every channel: ``list``,
``version``, ``help``; ``route`` without a route store and ``token`` refused by code (a hub's
``route`` is answered from its route store, ``ipinfo`` from its providers, by
:meth:`CommandService.answer`).

An :class:`Answer` carries the text a person reads and the JSON a program reads; each channel
shows one or the other, and never decides by itself what a command means.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudping import __version__
from cloudping.columns import padded_table
from cloudping.commands import Command, HelpCommand, ListCommand
from cloudping.commands.answer import Answer, help_answer
from cloudping.errors import CloudpingError
from cloudping.hub import AgentEntry
from cloudping.hub.selection import known_selectors, matching_agents
from cloudping.service.caller import Caller
from cloudping.service.directory import public_agent

# What a command whose capability is not built yet says instead, and what to do meanwhile.
NOT_BUILT: dict[str, str] = {
    "route": (
        "BGP route lookup is not built into this hub yet: it has no route store. "
        "Meanwhile traceroute shows the path packets really take"
    ),
}
_ISSUED_BY_OPERATOR = (
    "the hub's operator issues them (cloudping token issue --aud api --scope measure)"
)
_COLUMNS = ("NAME", "COUNTRY", "CITY", "ASN", "NETWORK", "TAGS")


def answer(
    caller: Caller, command: Command, entries: Sequence[AgentEntry], coordinates: bool
) -> Answer:
    """The answer to ``command`` (not a measurement) for ``caller``, over the live agents.

    Raises:
        CloudpingError: ``not_implemented`` (``route``), ``token_not_issued``
            (no channel issues tokens yet), ``is_a_measurement`` (run those instead).
    """
    if isinstance(command, ListCommand):
        return agent_list(command, entries, coordinates)
    if isinstance(command, HelpCommand):
        return help_answer(command.topic)
    if command.command == "version":
        return versions(entries)
    if command.command in NOT_BUILT:
        message = f"{command.command}: {NOT_BUILT[command.command]}"
        raise CloudpingError(message, code="not_implemented", command=command.command)
    if command.command == "token":
        message = f"tokens are not issued over {caller.channel}: {_ISSUED_BY_OPERATOR}"
        raise CloudpingError(message, code="token_not_issued", channel=caller.channel)
    message = f"{command.command} is a measurement: run it as one, it has no answer of its own"
    raise CloudpingError(message, code="is_a_measurement", command=command.command)


def agent_list(command: ListCommand, entries: Sequence[AgentEntry], coordinates: bool) -> Answer:
    """The live agents the selector matches (all without one), and every selector word."""
    selectors = command.selector.selectors if command.selector else ()
    agents = [public_agent(entry, coordinates) for entry in matching_agents(entries, selectors)]
    data = {"agents": agents, "selectors": list(known_selectors(entries))}
    return Answer("list", agent_table(agents), data)


def agent_table(agents: Sequence[dict[str, Any]]) -> str:
    """The agents as a table with a header line, columns padded to their widest cell."""
    return padded_table(_COLUMNS, (_row(agent) for agent in agents))


def _row(agent: dict[str, Any]) -> tuple[str, ...]:
    asn = f"AS{agent['asn']}" if agent["asn"] is not None else "-"
    tags = ",".join(agent["tags"]) or "-"
    return (
        agent["name"],
        agent["country"] or "-",
        agent["city"] or "-",
        asn,
        agent["isp"] or "-",
        tags,
    )


def versions(entries: Sequence[AgentEntry]) -> Answer:
    """The hub's version and each agent's (as the agent announced it)."""
    agents = [{"name": e.name, "software": e.attributes.software} for e in entries]
    lines = [f"hub: cloudping {__version__}"]
    lines += [f"{agent['name']}: {agent['software'] or 'unknown'}" for agent in agents]
    data = {"version": __version__, "hub": __version__, "agents": agents}
    return Answer("version", "\n".join(lines), data)
