"""Which agents run a command: selectors matched against attributes, capabilities, spreading.

Pure functions of the agents and the command (design.md "Commands", FROM/SELECTOR): a term
names an agent, a country code, a city, an ASN (``AS13335``), a network (ISP) name, a tag, or
``dn42``; ``+`` joins terms that must all hold for one agent, ``,`` separates alternatives.
Matching ignores case, and spaces in a city or network name match ``-`` or ``_`` (a term
cannot hold a space: ``-s New-York``).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from cloudping.commands import Command, HttpCommand, Selection
from cloudping.errors import CloudpingError
from cloudping.wire.messages import AgentAttributes, Capability

_ASN = re.compile(r"as(\d{1,10})", re.IGNORECASE)
_PROTO_COMMANDS = frozenset({"ping", "traceroute", "mtr", "scan"})
_FIXED_NEEDS: dict[str, tuple[Capability, ...]] = {
    "tcping": ("tcp",),
    "dns": ("dns",),
    "http": ("http",),
}


class Candidate(Protocol):
    """What selection reads of an agent (a registry entry is one)."""

    @property
    def name(self) -> str: ...

    @property
    def attributes(self) -> AgentAttributes: ...


_C = TypeVar("_C", bound=Candidate)
_T = TypeVar("_T")


def _fold(text: str) -> str:
    """Case- and separator-insensitive form: ``New York`` and ``new-york`` compare equal."""
    return re.sub(r"[\s_-]+", "-", text.strip().lower())


def term_matches(term: str, agent: Candidate) -> bool:
    """Whether one selector term names ``agent`` by any of its attributes."""
    attrs = agent.attributes
    folded = _fold(term)
    asn = _ASN.fullmatch(term)
    if asn is not None and int(asn.group(1)) in (attrs.asn, attrs.dn42_asn):
        return True
    if folded == "dn42" and attrs.dn42_asn is not None:
        return True
    words = (agent.name, attrs.country, attrs.city, attrs.isp, attrs.dn42_isp, *attrs.tags)
    return any(word is not None and _fold(word) == folded for word in words)


def selection_matches(selectors: tuple[tuple[str, ...], ...], agent: Candidate) -> bool:
    """Any alternative whose terms all match; no selectors match every agent."""
    if not selectors:
        return True
    return any(all(term_matches(term, agent) for term in terms) for terms in selectors)


def needed_capabilities(command: Command) -> tuple[Capability, ...]:
    """The capabilities an agent must announce to run ``command``.

    A DNS command never goes to an agent without ``dns``; ``--http 3`` needs ``http3``;
    ping/traceroute/mtr/scan need the socket kind of their ``--proto``.
    """
    needs: list[Capability] = list(_FIXED_NEEDS.get(command.command, ()))
    if isinstance(command, HttpCommand) and command.http == "3":
        needs.append("http3")
    if command.command == "scan":
        needs.append("scan")
    proto = getattr(command, "proto", None)
    if proto in ("icmp", "udp", "tcp") and command.command in _PROTO_COMMANDS:
        needs.append(proto)
    return tuple(needs)


def capable(agent: Candidate, needs: Iterable[Capability]) -> bool:
    """Whether the agent announced every needed capability."""
    return set(needs) <= set(agent.attributes.capabilities)


def known_selectors(agents: Iterable[Candidate]) -> tuple[str, ...]:
    """Every term that would match some agent, for the ``no_agent_matched`` message."""
    terms: set[str] = set()
    for agent in agents:
        attrs = agent.attributes
        words = (agent.name, attrs.country, attrs.city, attrs.isp, attrs.dn42_isp, *attrs.tags)
        terms.update(word.replace(" ", "-") for word in words if word)
        terms.update(f"AS{asn}" for asn in (attrs.asn, attrs.dn42_asn) if asn is not None)
        terms.update(("dn42",) if attrs.dn42_asn is not None else ())
    return tuple(sorted(terms, key=str.lower))


def _round_robin(groups: Iterable[Sequence[_T]]) -> list[_T]:
    """First of each group, then second of each, ...: the spreading order."""
    lists = [list(group) for group in groups]
    longest = max((len(group) for group in lists), default=0)
    return [group[i] for i in range(longest) for group in lists if i < len(group)]


def _grouped(items: Iterable[_T], key: Callable[[_T], object]) -> list[list[_T]]:
    groups: dict[object, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return list(groups.values())


def spread(agents: Sequence[_C], limit: int, rng: random.Random) -> tuple[_C, ...]:
    """Pick ``limit`` agents, as many ASNs as possible, then as many cities within each.

    The order is shuffled by ``rng`` (from the name order), so repeated measurements do not
    always land on the same agents while a seeded ``rng`` keeps tests exact.
    """
    ordered = sorted(agents, key=lambda agent: agent.name)
    rng.shuffle(ordered)
    per_asn = _grouped(ordered, lambda agent: agent.attributes.asn)
    cities = (_round_robin(_grouped(group, _city)) for group in per_asn)
    return tuple(_round_robin(cities)[:limit])


def _city(agent: Candidate) -> str | None:
    city = agent.attributes.city
    return None if city is None else _fold(city)


def choose_agents(
    agents: Sequence[_C],
    command: Command,
    rng: random.Random,
    *,
    preferred: str | None = None,
) -> tuple[_C, ...]:
    """The agents that run ``command``, in the order they are listed to the caller.

    Args:
        agents: the live agents.
        command: a measurement command; its ``from_`` is the selection (``None``: one agent
            the hub chooses, ``preferred`` when it can run the command).
        rng: the source of the shuffle (seed it for exact results).
        preferred: the agent a default selection goes to first (``local`` under ``cloudping up``).

    Raises:
        CloudpingError: ``no_agent_matched``, naming the selector and the selectors that exist.
    """
    selection: Selection | None = getattr(command, "from_", None)
    selectors = () if selection is None else selection.selectors
    matched = [agent for agent in agents if selection_matches(selectors, agent)]
    needs = needed_capabilities(command)
    able = [agent for agent in matched if capable(agent, needs)]
    if not able:
        raise _no_match(selection, command.command, needs, bool(matched), agents)
    if selection is None:
        first = [agent for agent in able if agent.name == preferred]
        return tuple(first) if first else spread(able, 1, rng)
    return spread(able, selection.limit or len(able), rng)


def _no_match(
    selection: Selection | None,
    command: str,
    needs: tuple[Capability, ...],
    matched: bool,
    agents: Sequence[Candidate],
) -> CloudpingError:
    text = "the default selection" if selection is None else selection.text
    known = known_selectors(agents)
    if matched:
        why = f"no agent matching {text} can run {command} (it needs {', '.join(needs)})"
    else:
        why = f"no agent matches {text}"
    listing = ", ".join(known) if known else "none: no agent is connected"
    return CloudpingError(
        f"{why}; selectors that exist: {listing}",
        code="no_agent_matched",
        selector=None if selection is None else selection.text,
        needs=list(needs),
        available=list(known),
    )
