"""Special-purpose addresses: the IANA IPv4 and IPv6 registries (RFC 6890) as one table.

Each row is the registry's: prefix, name, RFC and "Globally Reachable" (None where the registry
says N/A). Rows the registries
leave out but no probe for others may reach are added with their RFC: multicast, IPv6
site-local (deprecated), the rest of ``::/8`` and the IPv4-translated form. A row with
``embeds`` carries IPv4 addresses inside an IPv6 one (NAT64, 6to4, Teredo, the IPv4-mapped,
-compatible and -translated forms): such an address is as reachable as the IPv4 addresses it
carries, since the packets go to them. The most specific row containing an address decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Embedded = Callable[[ipaddress.IPv6Address], tuple[ipaddress.IPv4Address, ...]]


def _last32(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    # RFC 6052 (NAT64 /96), RFC 4291 (mapped, compatible), RFC 2765 (translated): bits 96-127.
    return (ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF),)


def _nat64_48(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    # RFC 6052 section 2.2, a /48 prefix: bits 48-63 and 72-87 (bits 64-71, "u", are zero).
    value = int(ip)
    high, low = (value >> 64) & 0xFFFF, (value >> 40) & 0xFFFF
    return (ipaddress.IPv4Address(high << 16 | low),)


def _sixtofour(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    # RFC 3056 section 2: 2002:V4ADDR::/48, the IPv4 address in bits 16-47.
    assert ip.sixtofour is not None
    return (ip.sixtofour,)


def _teredo(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, ...]:
    # RFC 4380 section 4: the server in bits 32-63, the client's address inverted in 96-127.
    assert ip.teredo is not None
    return ip.teredo


@dataclass(frozen=True, slots=True)
class SpecialRange:
    """One row: the prefix, its registry name and RFC, and whether it is globally reachable.

    Attributes:
        embeds: the IPv4 addresses an address of this prefix carries, when it carries some.
    """

    network: Network
    name: str
    rfc: str
    reachable: bool | None
    embeds: Embedded | None = None


def _row(prefix: str, name: str, rfc: str, reachable: bool | None = False) -> SpecialRange:
    return SpecialRange(ipaddress.ip_network(prefix), name, rfc, reachable)


def _embedding(
    prefix: str, name: str, rfc: str, embeds: Embedded, reachable: bool | None = False
) -> SpecialRange:
    return SpecialRange(ipaddress.ip_network(prefix), name, rfc, reachable, embeds)


SPECIAL_RANGES: tuple[SpecialRange, ...] = (
    # IANA IPv4 Special-Purpose Address Registry
    _row("0.0.0.0/8", '"This network"', "RFC 791"),
    _row("0.0.0.0/32", '"This host on this network"', "RFC 1122"),
    _row("10.0.0.0/8", "Private-Use", "RFC 1918"),
    _row("100.64.0.0/10", "Shared Address Space", "RFC 6598"),
    _row("127.0.0.0/8", "Loopback", "RFC 1122"),
    _row("169.254.0.0/16", "Link Local", "RFC 3927"),
    _row("172.16.0.0/12", "Private-Use", "RFC 1918"),
    _row("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890"),
    _row("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335"),
    _row("192.0.0.8/32", "IPv4 dummy address", "RFC 7600"),
    _row("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", reachable=True),
    _row("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", True),
    _row("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880"),
    _row("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880"),
    _row("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737"),
    _row("192.31.196.0/24", "AS112-v4", "RFC 7535", reachable=True),
    _row("192.52.193.0/24", "AMT", "RFC 7450", reachable=True),
    _row("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", None),
    _row("192.168.0.0/16", "Private-Use", "RFC 1918"),
    _row("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", reachable=True),
    _row("198.18.0.0/15", "Benchmarking", "RFC 2544"),
    _row("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737"),
    _row("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737"),
    _row("240.0.0.0/4", "Reserved", "RFC 1112"),
    _row("255.255.255.255/32", "Limited Broadcast", "RFC 919"),
    _row("224.0.0.0/4", "Multicast", "RFC 5771"),  # the multicast registry
    # IANA IPv6 Special-Purpose Address Registry
    _row("::1/128", "Loopback Address", "RFC 4291"),
    _row("::/128", "Unspecified Address", "RFC 4291"),
    _embedding("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", _last32),
    _embedding("64:ff9b::/96", "IPv4-IPv6 Translat.", "RFC 6052", _last32, True),
    _embedding("64:ff9b:1::/48", "IPv4-IPv6 Translat.", "RFC 8215", _nat64_48),
    _row("100::/64", "Discard-Only Address Block", "RFC 6666"),
    _row("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780"),
    _row("2001::/23", "IETF Protocol Assignments", "RFC 2928"),
    _embedding("2001::/32", "TEREDO", "RFC 4380", _teredo, None),
    _row("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", reachable=True),
    _row("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", True),
    _row("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", True),
    _row("2001:2::/48", "Benchmarking", "RFC 5180"),
    _row("2001:3::/32", "AMT", "RFC 7450", reachable=True),
    _row("2001:4:112::/48", "AS112-v6", "RFC 7535", reachable=True),
    _row("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843"),
    _row("2001:20::/28", "ORCHIDv2", "RFC 7343", reachable=True),
    _row("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", True),
    _row("2001:db8::/32", "Documentation", "RFC 3849"),
    _embedding("2002::/16", "6to4", "RFC 3056", _sixtofour, None),
    _row("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", reachable=True),
    _row("3fff::/20", "Documentation", "RFC 9637"),
    _row("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602"),
    _row("fc00::/7", "Unique-Local", "RFC 4193"),
    _row("fe80::/10", "Link-Local Unicast", "RFC 4291"),
    # Beyond the registry: reserved or deprecated, never a target for somebody else
    _row("::/8", "Reserved by IETF", "RFC 4291"),
    _embedding("::/96", "IPv4-compatible Address (deprecated)", "RFC 4291", _last32),
    _embedding("::ffff:0:0:0/96", "IPv4-translated Address", "RFC 2765", _last32),
    _row("fec0::/10", "Site-Local (deprecated)", "RFC 3879"),
    _row("ff00::/8", "Multicast", "RFC 4291"),
)

# Most specific first, so that the first row containing an address is the one that decides.
_BY_SPECIFICITY = sorted(SPECIAL_RANGES, key=lambda row: -row.network.prefixlen)


def special_range(ip: Address) -> SpecialRange | None:
    """The most specific row that contains ``ip``; None for an ordinary address."""
    return next(
        (row for row in _BY_SPECIFICITY if row.network.version == ip.version and ip in row.network),
        None,
    )


def blocking_range(network: Network) -> SpecialRange | None:
    """A row that makes part of ``network`` unreachable or IPv4 in disguise; None when none.

    A range inside a reachable row more specific than an unreachable one that contains it
    (``2001:1::1/128`` inside ``2001::/23``) is reachable.
    """
    for row in SPECIAL_RANGES:
        if row.network.version != network.version or not network.overlaps(row.network):
            continue
        if row.reachable and row.embeds is None:
            continue
        if not _inside_reachable(network, row):
            return row
    return None


def _inside_reachable(network: Network, blocking: SpecialRange) -> bool:
    return any(
        row.reachable
        and row.embeds is None
        and row.network.prefixlen > blocking.network.prefixlen
        and row.network.version == network.version
        and network.subnet_of(row.network)  # type: ignore[arg-type]
        for row in SPECIAL_RANGES
    )
