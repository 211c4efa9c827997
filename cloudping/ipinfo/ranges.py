"""Which special range an address is in: the IANA table (:mod:`cloudping.special`) and the
community networks inside private space that no public provider knows (DN42, NeoNetwork)."""

from __future__ import annotations

import ipaddress

from cloudping.special import Address, Network, special_range

# dn42.dev "Address Space" and NeoNetwork's README: the ranges their registries assign.
COMMUNITY: tuple[tuple[Network, str], ...] = (
    (ipaddress.ip_network("172.20.0.0/14"), "DN42"),
    (ipaddress.ip_network("fd00::/8"), "DN42"),
    (ipaddress.ip_network("10.127.0.0/16"), "NeoNetwork"),
    (ipaddress.ip_network("fd10:127::/32"), "NeoNetwork"),
)
_MOST_SPECIFIC_FIRST = sorted(COMMUNITY, key=lambda row: -row[0].prefixlen)


def community_network(ip: Address) -> str | None:
    """``DN42`` or ``NeoNetwork`` when ``ip`` is in their space; ``None`` otherwise."""
    return next(
        (name for net, name in _MOST_SPECIFIC_FIRST if net.version == ip.version and ip in net),
        None,
    )


def special_name(ip: Address) -> str | None:
    """The name of the most specific special range holding ``ip`` (a community network
    before the IANA row it sits in); ``None`` for an ordinary address."""
    row = special_range(ip)
    return community_network(ip) or (row.name if row is not None else None)
