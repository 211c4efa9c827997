"""ICMP and ICMPv6 echo codec, sans-IO: bytes in, typed messages out.

No sockets and no clock here; the asyncio binding lives in ``transport.py``. What arrives:

* IPv4 raw sockets deliver the IP header, then ICMP (RFC 791, RFC 792).
* IPv4 and IPv6 datagram ("ping") sockets and IPv6 raw sockets deliver ICMP only; the TTL or
  hop limit comes as ancillary data (RFC 3542 for IPv6).
* An ICMP error quotes the offending packet's IP header and at least its first 8 bytes
  (RFC 792), as much as fits in 1280 bytes for IPv6 (RFC 4443 section 2.4). Those 8 bytes are
  our echo request's header, so an error is matched to its probe by identifier and sequence
  and by the quoted destination, never by timing.
* Datagram sockets with ``IP_RECVERR`` report errors on the error queue instead: the payload is
  our own request, the ancillary data a ``struct sock_extended_err`` (linux/errqueue.h).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, replace

ICMP_ECHO_REPLY = 0
ICMP_ECHO_REQUEST = 8
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129

# (family, type, code) -> error name; code None matches any code of that type.
_ERRORS: dict[tuple[int, int, int | None], str] = {
    (4, 3, 0): "net_unreachable",
    (4, 3, 1): "host_unreachable",
    (4, 3, 2): "protocol_unreachable",
    (4, 3, 3): "port_unreachable",
    (4, 3, 4): "frag_needed",
    (4, 3, 5): "source_route_failed",
    (4, 3, 6): "net_unknown",
    (4, 3, 7): "host_unknown",
    (4, 3, 9): "net_prohibited",
    (4, 3, 10): "host_prohibited",
    (4, 3, 11): "net_unreachable_tos",
    (4, 3, 12): "host_unreachable_tos",
    (4, 3, 13): "admin_prohibited",
    (4, 3, None): "unreachable",
    (4, 4, None): "source_quench",
    (4, 5, None): "redirect",
    (4, 11, 0): "time_exceeded",
    (4, 11, 1): "reassembly_timeout",
    (4, 12, None): "parameter_problem",
    (6, 1, 0): "net_unreachable",
    (6, 1, 1): "admin_prohibited",
    (6, 1, 2): "beyond_scope",
    (6, 1, 3): "host_unreachable",
    (6, 1, 4): "port_unreachable",
    (6, 1, 5): "source_policy_failed",
    (6, 1, 6): "reject_route",
    (6, 1, None): "unreachable",
    (6, 2, None): "packet_too_big",
    (6, 3, 0): "time_exceeded",
    (6, 3, 1): "reassembly_timeout",
    (6, 4, None): "parameter_problem",
}

_ERROR_TYPES = frozenset((family, icmp_type) for family, icmp_type, _ in _ERRORS)
_ICMP_HEADER = struct.Struct("!BBHHH")  # type, code, checksum, identifier, sequence
_IPV4_FIXED = struct.Struct("!BBHHHBBH4s4s")
_IPV6_FIXED = struct.Struct("!IHBB16s16s")
_EXTENDED_ERR = struct.Struct("=IBBBxII")  # struct sock_extended_err
_SO_EE_ORIGIN_LOCAL = 1
_SO_EE_ORIGIN_ICMP = 2
_SO_EE_ORIGIN_ICMP6 = 3
IPPROTO_ICMP = 1
IPPROTO_TCP = 6
IPPROTO_UDP = 17
IPPROTO_ICMPV6 = 58
COOKIE_SIZE = 8


@dataclass(frozen=True, slots=True)
class EchoReply:
    """An echo reply; ``ttl`` is known from the IPv4 header when the socket gave it."""

    ident: int
    seq: int
    payload: bytes
    size: int
    ttl: int | None = None


@dataclass(frozen=True, slots=True)
class IcmpError:
    """An ICMP error about one of our echo requests (or a local send error).

    ``sender`` is the router or host that sent the error (``None`` when local), ``dst`` the
    destination our quoted request was going to (``None`` when the quote does not say).
    ``proto`` is the protocol of the quoted packet: for an echo request ``ident``/``seq`` are
    its identifier and sequence; for UDP and TCP ``sport``/``dport`` its ports and ``check``
    the quoted UDP length or TCP sequence number (what tells apart probes of one flow).
    """

    name: str
    icmp_type: int
    code: int
    ident: int
    seq: int
    dst: str | None
    sender: str | None = None
    mtu: int | None = None
    ttl: int | None = None
    proto: int = 0
    sport: int = 0
    dport: int = 0
    check: int = 0


Message = EchoReply | IcmpError


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def error_name(family: int, icmp_type: int, code: int) -> str:
    """The stable name of an ICMP error type/code (``"icmp_<type>_<code>"`` when unknown)."""
    return (
        _ERRORS.get((family, icmp_type, code))
        or _ERRORS.get((family, icmp_type, None))
        or f"icmp_{icmp_type}_{code}"
    )


def make_payload(size: int, cookie: bytes) -> bytes:
    """Echo data of ``size`` bytes: our cookie first (to reject others' replies), then a pattern.

    After the cookie, byte ``i`` is ``i & 0xff``, as iputils fills after its timestamp.
    """
    pattern = bytes((i + len(cookie)) & 0xFF for i in range(max(0, size - len(cookie))))
    return (cookie + pattern)[:size]


def encode_echo_request(family: int, ident: int, seq: int, payload: bytes) -> bytes:
    """An echo request. IPv6 leaves the checksum 0: the kernel fills it (RFC 3542 section 3.1)."""
    if family == 6:
        return _ICMP_HEADER.pack(ICMP6_ECHO_REQUEST, 0, 0, ident, seq) + payload
    header = _ICMP_HEADER.pack(ICMP_ECHO_REQUEST, 0, 0, ident, seq)
    return _ICMP_HEADER.pack(ICMP_ECHO_REQUEST, 0, checksum(header + payload), ident, seq) + payload


def parse_packet(family: int, data: bytes, *, ip_header: bool) -> Message | None:
    """Decode what an ICMP socket read; ``None`` for anything that is not about an echo.

    Args:
        family: 4 or 6.
        data: the bytes read.
        ip_header: True for IPv4 raw sockets, which deliver the IP header first.
    """
    ttl = None
    if ip_header:
        if len(data) < 20 or data[0] >> 4 != 4:
            return None
        ttl = data[8]
        data = data[(data[0] & 0x0F) * 4 :]
    if len(data) < 8:
        return None
    icmp_type, code, _, ident, seq = _ICMP_HEADER.unpack_from(data)
    if icmp_type == (ICMP6_ECHO_REPLY if family == 6 else ICMP_ECHO_REPLY):
        return EchoReply(ident, seq, data[8:], len(data), ttl)
    if (family, icmp_type) not in _ERROR_TYPES:
        return None
    return _parse_error(family, icmp_type, code, data, ttl)


def _parse_error(
    family: int, icmp_type: int, code: int, data: bytes, ttl: int | None
) -> Message | None:
    quote = _quoted(family, data[8:])
    if quote is None:
        return None
    mtu = None
    if family == 4 and icmp_type == 3 and code == 4:
        mtu = struct.unpack_from("!H", data, 6)[0] or None  # RFC 1191: next-hop MTU
    elif family == 6 and icmp_type == 2:
        mtu = struct.unpack_from("!I", data, 4)[0]  # RFC 4443 section 3.2
    name = error_name(family, icmp_type, code)
    return IcmpError(
        name,
        icmp_type,
        code,
        quote.ident,
        quote.seq,
        quote.dst,
        mtu=mtu,
        ttl=ttl,
        proto=quote.proto,
        sport=quote.sport,
        dport=quote.dport,
        check=quote.check,
    )


@dataclass(frozen=True, slots=True)
class _Quote:
    proto: int
    dst: str
    ident: int = 0
    seq: int = 0
    sport: int = 0
    dport: int = 0
    check: int = 0


def _quoted(family: int, quote: bytes) -> _Quote | None:
    """What an ICMP error quotes of our packet.

    The quote is the offending packet's IP header and at least 8 bytes after it (RFC 792): an
    echo request's identifier and sequence, or the UDP/TCP ports and UDP checksum / TCP
    sequence number.
    """
    header = _quoted_ip(family, quote)
    if header is None:
        return None
    proto, dst, inner = header
    if len(inner) < 8:
        return None
    if proto in (IPPROTO_ICMP, IPPROTO_ICMPV6):
        kind, _, _, ident, seq = _ICMP_HEADER.unpack_from(inner)
        if kind != (ICMP6_ECHO_REQUEST if family == 6 else ICMP_ECHO_REQUEST):
            return None
        return _Quote(proto, dst, ident=ident, seq=seq)
    if proto == IPPROTO_UDP:
        sport, dport, check, _ = struct.unpack_from("!HHHH", inner)  # check: the UDP length
    elif proto == IPPROTO_TCP:
        sport, dport, check = struct.unpack_from("!HHI", inner)
    else:
        return None
    return _Quote(proto, dst, sport=sport, dport=dport, check=check)


def _quoted_ip(family: int, quote: bytes) -> tuple[int, str, bytes] | None:
    """(protocol, destination, what follows the header) of a quoted IP packet."""
    if family == 4:
        if len(quote) < 28 or quote[0] >> 4 != 4:
            return None
        dst = socket.inet_ntop(socket.AF_INET, quote[16:20])
        return quote[9], dst, quote[(quote[0] & 0x0F) * 4 :]
    # A plain IPv6 header: with an extension header first, it is not one of our probes.
    if len(quote) < 48 or quote[0] >> 4 != 6:
        return None
    return quote[6], socket.inet_ntop(socket.AF_INET6, quote[24:40]), quote[40:]


def parse_queued_error(family: int, request: bytes, ee_data: bytes) -> IcmpError | None:
    """Decode one message of a datagram socket's error queue (``MSG_ERRQUEUE``).

    Args:
        family: 4 or 6.
        request: the payload read: our own echo request as it was sent.
        ee_data: the ``IP_RECVERR``/``IPV6_RECVERR`` control data: ``struct sock_extended_err``
            followed by the offender's ``sockaddr`` (``SO_EE_OFFENDER``).
    """
    error = parse_extended_err(ee_data) if len(request) >= 8 else None
    if error is None:
        return None
    _, _, _, ident, seq = _ICMP_HEADER.unpack_from(request)
    proto = 0 if error.name == "local_error" else IPPROTO_ICMPV6 if family == 6 else IPPROTO_ICMP
    return replace(error, ident=ident, seq=seq, proto=proto)


def parse_extended_err(ee_data: bytes) -> IcmpError | None:
    """Decode the ``IP_RECVERR``/``IPV6_RECVERR`` control data of one error-queue message.

    Every socket with the option queues these (ICMP datagram, UDP and TCP sockets: ip(7),
    ipv6(7)). The kernel has already matched the error to the socket, so only the error is
    decoded here: ``ident``, ``seq`` and ``proto`` stay 0 for the caller to fill in.

    Args:
        ee_data: ``struct sock_extended_err`` followed by the offender's ``sockaddr``
            (``SO_EE_OFFENDER``), as linux/errqueue.h lays them out; its origin tells ICMP
            from ICMPv6.
    """
    if len(ee_data) < _EXTENDED_ERR.size:
        return None
    errno_, origin, ee_type, ee_code, info, _ = _EXTENDED_ERR.unpack_from(ee_data)
    if origin == _SO_EE_ORIGIN_LOCAL:
        return IcmpError("local_error", 0, errno_, 0, 0, None, None, mtu=info or None)
    if origin not in (_SO_EE_ORIGIN_ICMP, _SO_EE_ORIGIN_ICMP6):
        return None
    name = error_name(6 if origin == _SO_EE_ORIGIN_ICMP6 else 4, ee_type, ee_code)
    mtu = info or None if name in ("frag_needed", "packet_too_big") else None
    sender = _sockaddr_address(ee_data[_EXTENDED_ERR.size :])
    return IcmpError(name, ee_type, ee_code, 0, 0, None, sender, mtu=mtu)


def _sockaddr_address(raw: bytes) -> str | None:
    """The address in a ``struct sockaddr_in``/``sockaddr_in6`` (native byte order family)."""
    if len(raw) < 8:
        return None
    family = struct.unpack_from("=H", raw)[0]
    if family == socket.AF_INET:
        return socket.inet_ntop(socket.AF_INET, raw[4:8])
    if family == socket.AF_INET6 and len(raw) >= 24:
        return socket.inet_ntop(socket.AF_INET6, raw[8:24])
    return None


def parse_timespec(data: bytes) -> int | None:
    """Nanoseconds since the epoch from an ``SCM_TIMESTAMPNS`` control message."""
    if len(data) < 16:
        return None
    sec, nsec = struct.unpack_from("=qq", data)
    return int(sec) * 1_000_000_000 + int(nsec)
