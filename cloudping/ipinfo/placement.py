"""An agent placed by the address it connects from: what it does not declare (ASN, network
name, country, city) comes from the hub's local data; a declared value always wins."""

from __future__ import annotations

import dataclasses

from cloudping.ipinfo.annotate import FactsOf
from cloudping.wire.messages import AgentAttributes


def placed(attributes: AgentAttributes, peer: str | None, facts_of: FactsOf) -> AgentAttributes:
    """``attributes`` with the holes the peer address's facts fill.

    The network name goes with the ASN and the city with the country: a declared ASN is
    never paired with the name of another network, nor a declared country with a city
    somewhere else.
    """
    if peer is None or (attributes.asn is not None and attributes.country is not None):
        return attributes
    facts = facts_of(peer)
    changes: dict[str, object] = {}
    if attributes.asn is None and facts.asn is not None:
        changes["asn"] = facts.asn
        if attributes.isp is None and facts.as_name is not None:
            changes["isp"] = facts.as_name
    if attributes.country is None and facts.country is not None:
        changes["country"] = facts.country
        if attributes.city is None and facts.city is not None:
            changes["city"] = facts.city
    if not changes:
        return attributes
    try:
        return dataclasses.replace(attributes, **changes)  # type: ignore[arg-type]
    except ValueError:  # a name too long for an attribute: the agent stays as it said
        return attributes
