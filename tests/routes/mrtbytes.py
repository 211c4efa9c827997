"""A tiny TABLE_DUMP_V2 writer for tests (RFC 6396, RFC 8050): golden records with the cases
BIRD does not write (AS_SET, 2-byte peer ASNs, ADD-PATH), which bgpdump can read as well."""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

RIB_SUBTYPE = {(4, False): 2, (6, False): 4, (4, True): 8, (6, True): 10}


def record(subtype: int, body: bytes, stamp: int = 1_700_000_000) -> bytes:
    return struct.pack("!IHHI", stamp, 13, subtype, len(body)) + body


def peer_index(peers: Sequence[tuple[str, int]], collector: str = "192.0.2.255") -> bytes:
    """PEER_INDEX_TABLE: (address, ASN) peers; an ASN over 65535 is written in 4 bytes."""
    body = ipaddress.IPv4Address(collector).packed + struct.pack("!H", 4) + b"view"
    body += struct.pack("!H", len(peers))
    for address, asn in peers:
        ip = ipaddress.ip_address(address)
        wide = asn > 0xFFFF
        kind = (0x01 if ip.version == 6 else 0) | (0x02 if wide else 0)
        body += bytes([kind]) + ipaddress.IPv4Address("10.0.0.1").packed + ip.packed
        body += struct.pack("!I" if wide else "!H", asn)
    return record(1, body)


def attribute(kind: int, value: bytes, flags: int = 0x40) -> bytes:
    if len(value) > 255:
        return struct.pack("!BBH", flags | 0x10, kind, len(value)) + value
    return struct.pack("!BBB", flags, kind, len(value)) + value


@dataclass
class Entry:
    peer: int
    sequence: tuple[int, ...] = ()
    as_set: tuple[int, ...] = ()
    communities: tuple[tuple[int, int], ...] = ()
    large: tuple[tuple[int, int, int], ...] = ()
    next_hop: str = "192.0.2.1"
    path_id: int = 0
    extra: bytes = field(default=b"")

    def attributes(self) -> bytes:
        segments = b""
        if self.sequence:
            segments += struct.pack(
                f"!BB{len(self.sequence)}I", 2, len(self.sequence), *self.sequence
            )
        if self.as_set:
            segments += struct.pack(f"!BB{len(self.as_set)}I", 1, len(self.as_set), *self.as_set)
        out = attribute(1, b"\x00", 0x40) + attribute(2, segments, 0x40)
        hop = ipaddress.ip_address(self.next_hop)
        if hop.version == 4:
            out += attribute(3, hop.packed)
        else:  # RFC 6396 4.3.4: the MP_REACH_NLRI keeps only the next hop's length and address
            out += attribute(14, bytes([16]) + hop.packed, 0x80)
        if self.communities:
            words = [w for pair in self.communities for w in pair]
            out += attribute(8, struct.pack(f"!{len(words)}H", *words), 0xC0)
        if self.large:
            words = [w for triple in self.large for w in triple]
            out += attribute(32, struct.pack(f"!{len(words)}I", *words), 0xC0)
        return out + self.extra


def rib(prefix: str, entries: Sequence[Entry], *, addpath: bool = False, seq: int = 0) -> bytes:
    network = ipaddress.ip_network(prefix)
    size = (network.prefixlen + 7) // 8
    body = struct.pack("!IB", seq, network.prefixlen) + network.network_address.packed[:size]
    body += struct.pack("!H", len(entries))
    for entry in entries:
        attrs = entry.attributes()
        if addpath:
            body += struct.pack("!HIIH", entry.peer, 1_699_999_000, entry.path_id, len(attrs))
        else:
            body += struct.pack("!HIH", entry.peer, 1_699_999_000, len(attrs))
        body += attrs
    return record(RIB_SUBTYPE[(network.version, addpath)], body)


TEST_PEERS = [("192.0.2.1", 64500), ("2001:db8::1", 4200000001)]


def small_table(origin: int, extra: int = 0) -> bytes:
    """A small table whose 203.0.113.0/24 two peers see originated by ``origin``, with
    ``extra`` more /24s and one IPv6 prefix."""
    data = peer_index(TEST_PEERS)
    data += rib("203.0.113.0/24", [Entry(0, (64500, origin)), Entry(1, (4200000001, origin))])
    for index in range(extra):
        data += rib(f"10.{index // 256}.{index % 256}.0/24", [Entry(0, (64500, 64999))])
    return data + rib("2001:db8:40::/48", [Entry(1, (4200000001,), next_hop="2001:db8::1")])


VOTERS = [("192.0.2.1", 64500), ("192.0.2.2", 64501), ("2001:db8::3", 64502)]


def origins_table(prefixes: Mapping[str, Sequence[int]]) -> bytes:
    """A table where peer ``i`` of :data:`VOTERS` sees each prefix originated by the ``i``-th
    origin given for it (fewer origins: fewer peers see the prefix)."""
    data = peer_index(VOTERS)
    for prefix, origins in prefixes.items():
        hop = "2001:db8::3" if ":" in prefix else "192.0.2.1"
        entries = [
            Entry(i, (VOTERS[i][1], origin), next_hop=hop) for i, origin in enumerate(origins)
        ]
        data += rib(prefix, entries)
    return data
