"""TCP sweeps by ``connect()``: a SYN-ACK (open) or a RST (closed) both prove a host is up.

No raw sockets: each probe is a non-blocking socket whose connect the event loop watches
(``add_writer``, no task per address). ``SO_LINGER`` 0 closes with a RST, so a scan leaves no
half-open connections on the targets nor TIME_WAIT sockets here. An ICMP error that aborts
the connect is read from the socket's error queue (``IP_RECVERR``) to name the router that sent
it. Sockets in flight are bounded well below the process's file descriptor limit.
"""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import socket
import struct

from cloudping.probes.icmp.transport import IP_RECVERR, IPV6_RECVERR
from cloudping.probes.scan.base import Report, Verdict, judge
from cloudping.probes.scan.plan import Cell
from cloudping.probes.scan.udp import parse_recverr

DEFAULT_PORT = 443  # tcping's default: the port most hosts that answer at all have open
_ANSWERED = frozenset({0, errno.ECONNREFUSED})  # SYN-ACK or RST
_LINGER_RST = struct.pack("ii", 1, 0)


def max_sockets() -> int:
    """How many connects may be in flight: at most 1024, and half the free descriptors."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, min(1024, (soft - 64) // 2)) if soft != resource.RLIM_INFINITY else 1024


class TcpSweep:
    """TCP connects to one port of many addresses, a bounded number at a time."""

    method = "connect"
    size = 0

    def __init__(self, family: int, port: int, report: Report) -> None:
        self.family, self.port, self.report = family, port, report
        self.max_in_flight = max_sockets()
        self._loop = asyncio.get_running_loop()
        self._open: dict[int, tuple[socket.socket, str, float]] = {}

    def send(self, offset: int, address: str) -> None:
        sock = self._socket()
        sockaddr = (address, self.port, 0, 0) if self.family == 6 else (address, self.port)
        code = sock.connect_ex(sockaddr)
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            raise OSError(code, os.strerror(code))
        self._open[offset] = (sock, address, self._loop.time())
        self._loop.add_writer(sock.fileno(), self._connected, offset)

    def _socket(self) -> socket.socket:
        v6 = self.family == 6
        sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        level = socket.IPPROTO_IPV6 if v6 else socket.IPPROTO_IP
        sock.setsockopt(level, IPV6_RECVERR if v6 else IP_RECVERR, 1)
        return sock

    def forget(self, offset: int) -> None:
        entry = self._open.pop(offset, None)
        if entry is not None:
            self._loop.remove_writer(entry[0].fileno())
            entry[0].close()

    def close(self) -> None:
        for offset in list(self._open):
            self.forget(offset)

    def _connected(self, offset: int) -> None:
        sock, address, started = self._open[offset]
        rtt_ms = max(0.0, (self._loop.time() - started) * 1000)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        verdict = self._verdict(sock, address, code, rtt_ms)
        self.forget(offset)
        if verdict is not None:
            self.report(offset, verdict)

    def _verdict(
        self, sock: socket.socket, address: str, code: int, rtt_ms: float
    ) -> Verdict | None:
        error = _queued_error(sock)
        if error is not None:
            return judge(address, error[0], error[1], rtt_ms)
        if code in _ANSWERED:
            return Verdict(Cell.ALIVE, rtt_ms)
        if code in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return Verdict(Cell.UNREACHABLE, rtt_ms, icmp_error=errno.errorcode[code].lower())
        return None  # ETIMEDOUT and the like: as good as silence


def _queued_error(sock: socket.socket) -> tuple[str, str | None] | None:
    """The ICMP error that aborted the connect, from the socket's error queue, if any."""
    try:
        _, ancdata, _, _ = sock.recvmsg(512, 512, socket.MSG_ERRQUEUE)
    except OSError:
        return None
    for _, kind, data in ancdata:
        if kind in (IP_RECVERR, IPV6_RECVERR):
            return parse_recverr(data)
    return None
