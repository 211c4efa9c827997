"""UDP sweeps: one unconnected UDP socket with ``IP_RECVERR``; a port unreachable is an answer.

A host with nothing on the port answers with ICMP port unreachable (RFC 1122 3.2.2.1), which
proves it is up; a router's host/net unreachable says the opposite; a UDP reply is an answer
too. With ``IP_RECVERR`` (``IPV6_RECVERR``) the kernel queues every ICMP error about this
socket's datagrams on its error queue, with the original destination as the message's address
and the sender of the error in ``struct sock_extended_err`` (linux/errqueue.h): the match is
by destination, so no raw socket is needed.
"""

from __future__ import annotations

import asyncio
import socket
import time

from cloudping.events.ranges import Network, offset_of
from cloudping.probes.icmp import codec
from cloudping.probes.icmp.transport import IP_RECVERR, IPV6_RECVERR, SO_TIMESTAMPNS
from cloudping.probes.scan.base import EARLIER_ERRORS, Report, judge

DEFAULT_PORT = 33434  # traceroute's first port: nobody listens there
PAYLOAD = b"cloudping scan\n"
MAX_IN_FLIGHT = 65536


def parse_recverr(ee_data: bytes) -> tuple[str, str | None] | None:
    """(error name, sender) of one ``IP_RECVERR`` control message; ``None`` unless from ICMP."""
    error = codec.parse_extended_err(ee_data)
    if error is None or error.name == "local_error":
        return None
    return error.name, error.sender


class UdpSweep:
    """UDP datagrams to one port of many addresses, from one socket."""

    method = "udp"
    size = len(PAYLOAD)
    max_in_flight = MAX_IN_FLIGHT

    def __init__(self, network: Network, port: int, report: Report) -> None:
        self.network, self.port, self.report = network, port, report
        v6 = network.version == 6
        self.sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        level = socket.IPPROTO_IPV6 if v6 else socket.IPPROTO_IP
        self.sock.setsockopt(level, IPV6_RECVERR if v6 else IP_RECVERR, 1)
        self._sent_ns: dict[int, int] = {}
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.sock.fileno(), self._on_readable)

    def send(self, offset: int, address: str) -> None:
        sockaddr = (address, self.port, 0, 0) if self.network.version == 6 else (address, self.port)
        self._sent_ns[offset] = time.time_ns()
        try:
            self.sock.sendto(PAYLOAD, sockaddr)
        except OSError as exc:
            if exc.errno not in EARLIER_ERRORS:
                raise
            self.sock.sendto(PAYLOAD, sockaddr)

    def forget(self, offset: int) -> None:
        self._sent_ns.pop(offset, None)

    def close(self) -> None:
        self._sent_ns.clear()
        if not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()

    def _on_readable(self) -> None:
        for flags in (socket.MSG_ERRQUEUE, 0):
            for _ in range(1024):  # bounded: give the loop back under a flood
                try:
                    _, ancdata, _, address = self.sock.recvmsg(2048, 512, flags)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    continue  # the pending error of an earlier datagram: read on
                self._dispatch(ancdata, address, queued=bool(flags))

    def _dispatch(
        self, ancdata: list[tuple[int, int, bytes]], address: object, *, queued: bool
    ) -> None:
        rx_ns, error = time.time_ns(), None
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                rx_ns = codec.parse_timespec(data) or rx_ns
            elif kind in (IP_RECVERR, IPV6_RECVERR):
                error = parse_recverr(data)
        if not isinstance(address, tuple) or (queued and error is None):
            return
        self._answer(str(address[0]), error or (None, str(address[0])), rx_ns)

    def _answer(self, dst: str, error: tuple[str | None, str | None], rx_ns: int) -> None:
        offset = offset_of(self.network, dst)
        sent_ns = self._sent_ns.pop(offset, None) if offset is not None else None
        if offset is None or sent_ns is None:
            return
        rtt_ms = max(0.0, (rx_ns - sent_ns) / 1e6)
        self.report(offset, judge(dst.partition("%")[0], error[0], error[1], rtt_ms))
