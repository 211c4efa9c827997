"""A lean TABLE_DUMP_V2 reader (RFC 6396, ADD-PATH variants from RFC 8050): sans-IO, bytes in,
RIB rows out. No file, no socket, no clock: :mod:`cloudping.routes.dumpfile` feeds it.

Speed comes from three habits: records are cut from one growing buffer by offset, never
copied before they are parsed (``memoryview``); integers are read with precompiled
``struct`` formats; and the path attributes of an entry, which many prefixes share byte for
byte in a real RIB, are decoded once per distinct byte string (:class:`AttributeCache`).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import NamedTuple

from cloudping.errors import CloudpingError

# RFC 6396 section 4: the MRT common header; type 13 is TABLE_DUMP_V2.
_HEADER = struct.Struct("!IHHI")
HEADER_SIZE = _HEADER.size
TABLE_DUMP_V2 = 13
PEER_INDEX_TABLE = 1
# subtype -> (address family, ADD-PATH); RFC 6396 4.3 and RFC 8050 section 4.
RIB_SUBTYPES: dict[int, tuple[int, bool]] = {
    2: (4, False),  # RIB_IPV4_UNICAST
    3: (4, False),  # RIB_IPV4_MULTICAST
    4: (6, False),  # RIB_IPV6_UNICAST
    5: (6, False),  # RIB_IPV6_MULTICAST
    8: (4, True),  # RIB_IPV4_UNICAST_ADDPATH
    9: (4, True),  # RIB_IPV4_MULTICAST_ADDPATH
    10: (6, True),  # RIB_IPV6_UNICAST_ADDPATH
    11: (6, True),  # RIB_IPV6_MULTICAST_ADDPATH
}
_U16 = struct.Struct("!H")
_U32 = struct.Struct("!I")
_ENTRY = struct.Struct("!HIH")  # peer index, originated time, attribute length
_ENTRY_ADDPATH = struct.Struct("!HIIH")  # ... with the path identifier before the length
_RIB_HEAD = struct.Struct("!IB")  # sequence number, prefix length

# RFC 4271 / 1997 / 4360 / 8092 attribute type codes.
_AS_PATH, _NEXT_HOP, _COMMUNITIES, _MP_REACH, _EXTENDED, _LARGE = 2, 3, 8, 14, 16, 32
_AS_SET, _AS_SEQUENCE = 1, 2
_EXTENDED_LENGTH = 0x10


class MrtError(CloudpingError):
    """An MRT file that cannot be read: ``mrt_truncated`` (it ends inside a record) or
    ``mrt_corrupt`` (a length or field that does not fit), with the record's byte offset."""


@dataclass(frozen=True, slots=True)
class Peer:
    """A BGP peer of the collector (PEER_INDEX_TABLE, RFC 6396 4.3.1)."""

    address: str
    asn: int
    bgp_id: str


@dataclass(frozen=True, slots=True)
class Attributes:
    """The path attributes of a RIB entry, decoded once per distinct byte string.

    ``as_path`` holds an ``int`` per AS_SEQUENCE hop and a sorted ``tuple`` per AS_SET
    (RFC 4271 5.1.2); ``origin_as`` is the last hop when it is a single ASN.
    """

    as_path: tuple[int | tuple[int, ...], ...]
    next_hop: str | None
    communities: tuple[str, ...]
    large_communities: tuple[str, ...]
    extended_communities: tuple[str, ...]

    @property
    def origin_as(self) -> int | None:
        last = self.as_path[-1] if self.as_path else None
        return last if isinstance(last, int) else None

    @property
    def neighbor_as(self) -> int | None:
        first = self.as_path[0] if self.as_path else None
        return first if isinstance(first, int) else None


class RibRow(NamedTuple):
    """One route of the dump: a prefix as one peer has it.

    ``network`` is the prefix's first address as bytes (4 or 16), ``length`` its length;
    ``key`` numbers its distinct attribute set (the same bytes, the same key: a store keeps
    each set once), ``attributes`` is that set decoded.
    """

    family: int
    network: bytes
    length: int
    peer: int
    path_id: int | None
    originated: int
    key: int
    attributes: Attributes


class AttributeCache:
    """Decoded attributes by their bytes, each with a serial key; emptied when full so that
    memory stays bounded (a set seen again after that gets a new key)."""

    def __init__(self, limit: int = 200_000) -> None:
        self._limit = limit
        self._by_bytes: dict[bytes, tuple[int, Attributes]] = {}
        self._serial = 0

    def get(self, raw: bytes) -> tuple[int, Attributes]:
        found = self._by_bytes.get(raw)
        if found is None:
            if len(self._by_bytes) >= self._limit:
                self._by_bytes.clear()
            self._serial += 1
            found = self._by_bytes[raw] = (self._serial, decode_attributes(memoryview(raw)))
        return found


class TableDumpReader:
    """Cuts MRT records from fed bytes and turns TABLE_DUMP_V2 ones into :class:`RibRow`.

    Feed with :meth:`feed`, take rows with :meth:`rows`, call :meth:`close` at the end of the
    input. Records of other types (BGP4MP updates, TABLE_DUMP v1) are counted and skipped.
    """

    def __init__(self, cache: AttributeCache | None = None) -> None:
        self.peers: tuple[Peer, ...] = ()
        self.dump_time: int | None = None
        self.skipped = 0
        self.prefixes = 0  # RIB records read: one per prefix (and family) in a table dump
        self._cache = cache or AttributeCache()
        self._buffer = bytearray()
        self._offset = 0  # of the buffer's first byte in the whole input

    def feed(self, data: bytes) -> list[RibRow]:
        """Add ``data``; the rows of every record it completes.

        Raises:
            MrtError: ``mrt_corrupt``.
        """
        # One copy per fed chunk, not per record: records are parsed through views of it.
        whole = bytes(self._buffer) + data if self._buffer else data
        view = memoryview(whole)
        found: list[RibRow] = []
        start = 0
        try:
            while len(view) - start >= HEADER_SIZE:
                header = _HEADER.unpack_from(view, start)
                end = start + HEADER_SIZE + header[3]
                if end > len(view):
                    break
                body = view[start + HEADER_SIZE : end]
                self._record(header, body, self._offset + start, found)
                start = end
        finally:
            self._buffer = bytearray(whole[start:])
            self._offset += start
        return found

    def close(self) -> None:
        """Say the input has ended.

        Raises:
            MrtError: ``mrt_truncated`` when it ended inside a record.
        """
        if self._buffer:
            message = f"the MRT input ends inside a record at byte {self._offset}"
            raise MrtError(message, code="mrt_truncated", offset=self._offset)

    def _record(
        self, header: tuple[int, int, int, int], body: memoryview, offset: int,
        found: list[RibRow],
    ) -> None:  # fmt: skip
        stamp, kind, subtype, _ = header
        if kind != TABLE_DUMP_V2:
            self.skipped += 1
            return
        try:
            if subtype == PEER_INDEX_TABLE:
                self.peers = peer_index(body)
                self.dump_time = stamp
            elif subtype in RIB_SUBTYPES:
                family, addpath = RIB_SUBTYPES[subtype]
                self._rib(body, family, addpath, found)
            else:  # RIB_GENERIC (other AFI/SAFI): not a unicast route
                self.skipped += 1
        except (struct.error, IndexError, ValueError) as exc:
            message = f"a TABLE_DUMP_V2 record at byte {offset} does not decode: {exc}"
            raise MrtError(message, code="mrt_corrupt", offset=offset) from exc

    def _rib(self, body: memoryview, family: int, addpath: bool, found: list[RibRow]) -> None:
        # The hot loop of the reader: one pass per entry, locals only, no call but the
        # struct unpack and the cache's dict look-up.
        _, length = _RIB_HEAD.unpack_from(body, 0)
        if length > (32 if family == 4 else 128):
            raise ValueError(f"prefix length {length}")
        size = (length + 7) // 8
        network = bytes(body[5 : 5 + size]).ljust(4 if family == 4 else 16, b"\0")
        self.prefixes += 1
        (count,) = _U16.unpack_from(body, 5 + size)
        at = 7 + size
        unpack = (_ENTRY_ADDPATH if addpath else _ENTRY).unpack_from
        head = _ENTRY_ADDPATH.size if addpath else _ENTRY.size
        get = self._cache.get
        npeers, end = len(self.peers), len(body)
        append = found.append
        path_id = None
        for _ in range(count):
            if addpath:
                peer, originated, path_id, alen = unpack(body, at)
            else:
                peer, originated, alen = unpack(body, at)
            at += head
            if at + alen > end or peer >= npeers:
                raise ValueError("an entry past its record or an unknown peer")
            key, attributes = get(bytes(body[at : at + alen]))
            at += alen
            append(RibRow(family, network, length, peer, path_id, originated, key, attributes))
        if at != end:
            raise ValueError("bytes after the last entry")


def peer_index(body: memoryview) -> tuple[Peer, ...]:
    """The peers of a PEER_INDEX_TABLE record (RFC 6396 4.3.1)."""
    (name_length,) = _U16.unpack_from(body, 4)
    at = 6 + name_length
    (count,) = _U16.unpack_from(body, at)
    at += 2
    peers = []
    for _ in range(count):
        kind = body[at]
        bgp_id = _text(bytes(body[at + 1 : at + 5]))
        size = 16 if kind & 0x01 else 4
        address = _text(bytes(body[at + 5 : at + 5 + size]))
        at += 5 + size
        asn_format = _U32 if kind & 0x02 else _U16
        (asn,) = asn_format.unpack_from(body, at)
        at += asn_format.size
        peers.append(Peer(address, asn, bgp_id))
    return tuple(peers)


def decode_attributes(raw: memoryview) -> Attributes:
    """The attributes this reader keeps, from a RIB entry's attribute bytes.

    In TABLE_DUMP_V2 the AS_PATH always carries 4-byte ASNs (RFC 6396 4.3.4).
    """
    as_path: tuple[int | tuple[int, ...], ...] = ()
    next_hop: str | None = None
    communities: tuple[str, ...] = ()
    large: tuple[str, ...] = ()
    extended: tuple[str, ...] = ()
    at, end = 0, len(raw)
    while at < end:
        flags, kind = raw[at], raw[at + 1]
        if flags & _EXTENDED_LENGTH:
            (length,) = _U16.unpack_from(raw, at + 2)
            at += 4
        else:
            length = raw[at + 2]
            at += 3
        value = raw[at : at + length]
        if len(value) != length:
            raise ValueError(f"attribute {kind} runs past the entry")
        at += length
        if kind == _AS_PATH:
            as_path = _as_path(value)
        elif kind == _NEXT_HOP and length == 4:
            next_hop = _text(bytes(value))
        elif kind == _MP_REACH:
            next_hop = _mp_next_hop(value)
        elif kind == _COMMUNITIES:
            words = struct.unpack(f"!{length // 2}H", value)
            communities = tuple(f"{a}:{b}" for a, b in zip(words[::2], words[1::2], strict=True))
        elif kind == _LARGE:
            words = struct.unpack(f"!{length // 4}I", value)
            large = tuple(f"{a}:{b}:{c}" for a, b, c in zip(*[iter(words)] * 3, strict=True))
        elif kind == _EXTENDED:
            extended = tuple(bytes(value[i : i + 8]).hex() for i in range(0, length, 8))
    return Attributes(as_path, next_hop, communities, large, extended)


def _as_path(value: memoryview) -> tuple[int | tuple[int, ...], ...]:
    hops: list[int | tuple[int, ...]] = []
    at = 0
    while at < len(value):
        kind, count = value[at], value[at + 1]
        asns = struct.unpack_from(f"!{count}I", value, at + 2)
        at += 2 + 4 * count
        if kind == _AS_SET:
            hops.append(tuple(sorted(asns)))
        else:  # AS_SEQUENCE, and the confederation segments (RFC 5065) read as one
            hops.extend(asns)
    if at != len(value):
        raise ValueError("an AS_PATH segment runs past the attribute")
    return tuple(hops)


def _mp_next_hop(value: memoryview) -> str | None:
    """The next hop of an MP_REACH_NLRI. RFC 6396 4.3.4 keeps only its length and address;
    some writers keep the AFI and SAFI in front too, which the length byte tells apart."""
    length = value[0]
    at = 1
    if length + 1 != len(value) and len(value) >= 4:
        length, at = value[3], 4
    address = bytes(value[at : at + min(length, 16)])
    return _text(address) if len(address) in (4, 16) else None


def _text(packed: bytes) -> str:
    """An address as text; ``inet_ntop`` writes what ``ipaddress`` does (RFC 5952), faster."""
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)
