"""Sockets for TCP and UDP port probes: options, the error queue and kernel receive times.

Each probe has a socket of its own, so the kernel matches every answer (a SYN-ACK, a RST, a
UDP datagram, an ICMP error) to its probe by the connection's addresses and ports: no payload
cookie, no table. With ``IP_RECVERR``/``IPV6_RECVERR`` an ICMP error about the socket's
packets is queued with its type, code and sender (ip(7), ipv6(7)), and ``SO_TIMESTAMPNS``
stamps it, like a received datagram, with the kernel's receive time (socket(7)).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from dataclasses import dataclass
from typing import ClassVar

from cloudping.probes.env import Family
from cloudping.probes.icmp import codec
from cloudping.probes.icmp.codec import IcmpError
from cloudping.probes.icmp.transport import (
    IP_MTU_DISCOVER,
    IP_PMTUDISC_DO,
    IP_RECVERR,
    IP_RECVTTL,
    IPV6_MTU_DISCOVER,
    IPV6_RECVERR,
    SO_TIMESTAMPNS,
    parse_ancillary,
)
from cloudping.probes.port.outcome import Report

_ANCILLARY = 512
_BUFFER = 65536
_RECVERR = {4: (socket.IPPROTO_IP, IP_RECVERR), 6: (socket.IPPROTO_IPV6, IPV6_RECVERR)}
_RECVTTL = {4: (socket.IPPROTO_IP, IP_RECVTTL), 6: (socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT)}
_TTL = {4: (socket.IPPROTO_IP, socket.IP_TTL), 6: (socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS)}
_DF = {4: (socket.IPPROTO_IP, IP_MTU_DISCOVER), 6: (socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER)}
# The control messages that carry a TTL or hop limit (ip(7) IP_TTL, RFC 3542 IPV6_HOPLIMIT).
_TTL_CMSGS = {(socket.IPPROTO_IP, socket.IP_TTL), (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)}
# struct tcp_info (linux/tcp.h): tcpi_rtt (us) at offset 68, tcpi_total_retrans at 100.
_TCP_INFO = struct.Struct("=68xI28xI")


@dataclass(frozen=True, slots=True)
class Received:
    """A datagram read from a probe socket; ``rx_ns`` is the kernel's receive time (ns since
    the epoch) when it gave one, ``ttl`` the TTL or hop limit it arrived with."""

    data: bytes
    rx_ns: int | None
    ttl: int | None = None


@dataclass(frozen=True, slots=True)
class QueuedError:
    """An ICMP error about a probe socket's packets, from its error queue."""

    error: IcmpError
    rx_ns: int | None


def open_probe_socket(
    family: Family, kind: socket.SocketKind, *, ttl: int | None = None, df: bool = False
) -> socket.socket:
    """A non-blocking TCP or UDP socket that reports ICMP errors and kernel receive times.

    Args:
        family: 4 or 6.
        kind: ``SOCK_STREAM`` or ``SOCK_DGRAM``.
        ttl: the unicast TTL / hop limit of its packets (``None``: the system default).
        df: set Don't Fragment (``IP_PMTUDISC_DO``): an oversized send fails locally.

    Raises:
        OSError: the socket cannot be made (out of descriptors, no IPv6 on this host).
    """
    sock = socket.socket(socket.AF_INET if family == 4 else socket.AF_INET6, kind)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(*_RECVERR[family], 1)
        sock.setsockopt(*_RECVTTL[family], 1)
        if ttl is not None:
            sock.setsockopt(*_TTL[family], ttl)
        if df:
            sock.setsockopt(*_DF[family], IP_PMTUDISC_DO)
    except OSError:
        sock.close()
        raise
    return sock


def syn_rtt_us(sock: socket.socket) -> int | None:
    """The kernel's SYN to SYN-ACK time of a just-connected TCP socket, in µs (``tcpi_rtt`` of
    ``TCP_INFO``, tcp(7): the first RTT sample, RFC 6298 section 2.2), or ``None`` when the
    SYN went out more than once or the kernel does not say (not Linux)."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO.size)
        rtt_us, retransmits = _TCP_INFO.unpack_from(info)
    except (OSError, struct.error):
        return None
    return int(rtt_us) if rtt_us and not retransmits else None


def read_queued_error(sock: socket.socket, family: Family) -> QueuedError | None:
    """The next ICMP error queued on ``sock`` (``MSG_ERRQUEUE``), or ``None`` if none is.

    The queued payload is what the error quoted of our packet after its transport header (for
    UDP possibly nothing: RFC 792 guarantees only 8 bytes), so only the control data is decoded.
    """
    try:
        _, ancdata, _, _ = sock.recvmsg(_BUFFER, _ANCILLARY, socket.MSG_ERRQUEUE)
    except (BlockingIOError, InterruptedError):
        return None
    rx_ns, _, ee_data = parse_ancillary(ancdata)
    error = codec.parse_extended_err(ee_data) if ee_data else None
    return QueuedError(error, rx_ns) if error is not None else None


def read_datagram(sock: socket.socket, family: Family) -> Received | None:
    """The next datagram waiting on ``sock``, or ``None`` if none is.

    Raises:
        OSError: a pending socket error (e.g. ``ECONNREFUSED`` once an ICMP error arrived).
    """
    try:
        data, ancdata, _, _ = sock.recvmsg(_BUFFER, _ANCILLARY)
    except (BlockingIOError, InterruptedError):
        return None
    rx_ns, ttl, _ = parse_ancillary(ancdata)
    return Received(data, rx_ns, ttl)


class WatchedSocket:
    """One probe's own socket, watched by the event loop until the probe ends or is closed:
    until it is writable (``writable``: a TCP connect ended) or readable (a UDP answer)."""

    writable: ClassVar[bool] = False

    def __init__(
        self, sock: socket.socket, family: Family, seq: int, address: str, report: Report
    ) -> None:
        self.sock, self.family, self.seq = sock, family, seq
        self.address, self.report = address, report
        self.loop = asyncio.get_running_loop()
        self.tx_ns = 0
        self.watching = False

    def watch(self) -> None:
        """Call :meth:`on_ready` when the socket is ready."""
        add = self.loop.add_writer if self.writable else self.loop.add_reader
        add(self.sock.fileno(), self.on_ready)
        self.watching = True

    def on_ready(self) -> None:
        """The socket is ready: the subclass reads how its probe ended."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop watching and close the socket (idempotent)."""
        if self.watching:
            remove = self.loop.remove_writer if self.writable else self.loop.remove_reader
            remove(self.sock.fileno())
            self.watching = False
        self.sock.close()
