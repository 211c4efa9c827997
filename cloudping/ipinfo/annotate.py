"""Every responder of a path and the target of a ping, annotated with network and place.

The hub calls :func:`annotated` on each event an agent sends, so agents need no databases;
a local CLI run does the same with its own files. Only local data is read (no network
look-up per hop), through :meth:`Ipinfo.local` and its memo.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable

from cloudping.events import (
    Event,
    HopEvent,
    HopProbe,
    HopStats,
    PathSummaryEvent,
    PingSummaryEvent,
    Responder,
)
from cloudping.ipinfo.facts import NOTHING, Facts
from cloudping.special import Address

FactsOf = Callable[[Address], Facts]


def annotated(event: Event, facts_of: FactsOf) -> Event:
    """``event`` with ``asn``, ``as_name``, ``country``, ``city`` on every address it names
    (hop probes, a path summary's responders, a ping summary's target); other events as
    they are."""
    if isinstance(event, HopEvent):
        probes = tuple(_probe(probe, facts_of) for probe in event.probes)
        return dataclasses.replace(event, probes=probes)
    if isinstance(event, PathSummaryEvent):
        hops = tuple(_hop(hop, facts_of) for hop in event.hops)
        return dataclasses.replace(event, hops=hops)
    if isinstance(event, PingSummaryEvent):
        facts = _lookup(event.address, facts_of)
        return dataclasses.replace(
            event, asn=facts.asn, as_name=facts.as_name, country=facts.country, city=facts.city
        )
    return event


def _probe(probe: HopProbe, facts_of: FactsOf) -> HopProbe:
    if probe.address is None:
        return probe
    facts = _lookup(probe.address, facts_of)
    return dataclasses.replace(
        probe, asn=facts.asn, as_name=facts.as_name, country=facts.country, city=facts.city
    )


def _hop(hop: HopStats, facts_of: FactsOf) -> HopStats:
    responders = tuple(
        _responder(address, name, _lookup(address, facts_of))
        for address, name in zip(hop.addresses, hop.names, strict=False)
    )
    return dataclasses.replace(hop, responders=responders)


def _responder(address: str, name: str | None, facts: Facts) -> Responder:
    return Responder(
        address=address,
        name=name,
        asn=facts.asn,
        as_name=facts.as_name,
        country=facts.country,
        city=facts.city,
    )


def _lookup(address: str, facts_of: FactsOf) -> Facts:
    try:
        ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    except ValueError:  # not an address (an agent's odd word): nothing to say of it
        return NOTHING
    return facts_of(ip)
