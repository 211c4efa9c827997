"""UDP probes: one datagram per probe, timed to the answer it draws.

A datagram to a port where nothing listens (by default 33434, traceroute(8)'s base port) makes
the target answer ICMP port unreachable (RFC 1122 section 3.2.2.1, RFC 4443 section 3.1): a
reply from the target, ``closed``: the port is closed, the host is there. A datagram back from
a listening service is a reply too, ``open``. Silence is a timeout: open or filtered, since a
service need not answer. An ICMP error from anyone else (a router's host unreachable, time
exceeded under ``--ttl``) is an error, as ping counts them. Hosts rate-limit their ICMP errors
(Linux: ``net.ipv4.icmp_ratelimit``, one per second per peer after a burst of six): probes
faster than that lose their answers to timeouts, which the statistics count as loss.

The socket is connected (udp(7)), so the kernel hands it only datagrams from the target's
port; with ``IP_RECVERR`` the ICMP errors arrive on its error queue with their sender, and
both are timed by the kernel's receive stamp (``SO_TIMESTAMPNS``).
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from cloudping.events.model import PortState
from cloudping.probes.env import Family
from cloudping.probes.port.outcome import (
    Flight,
    PortAnswer,
    Report,
    elapsed_ms,
    errno_answer,
    error_answer,
)
from cloudping.probes.port.sockets import (
    WatchedSocket,
    open_probe_socket,
    read_datagram,
    read_queued_error,
)

UDP_DEFAULT_PORT = 33434  # traceroute(8): the base port, where no service is expected


@dataclass(frozen=True, slots=True)
class UdpDatagramProber:
    """UDP probes of one family carrying ``size`` zero bytes; ``ttl`` and ``df`` as ping's."""

    family: Family
    size: int
    ttl: int | None = None
    df: bool = False
    method: str = "udp"
    timeout_state: PortState = "open_or_filtered"  # a listening service need not answer

    def launch(self, seq: int, sockaddr: tuple[object, ...], report: Report) -> Flight:
        """Send probe ``seq`` to ``sockaddr``; ``report`` hears the answer.

        Raises:
            OSError: the datagram could not leave (no route, too big for the MTU with DF).
        """
        sock = open_probe_socket(self.family, socket.SOCK_DGRAM, ttl=self.ttl, df=self.df)
        address = str(sockaddr[0]).partition("%")[0]
        flight = _Datagram(sock, self.family, seq, address, report)
        try:
            flight.start(sockaddr, bytes(self.size))
        except OSError:
            flight.close()
            raise
        return flight


class _Datagram(WatchedSocket):
    """One datagram in flight: its socket is read by the event loop until an answer comes."""

    def start(self, sockaddr: tuple[object, ...], payload: bytes) -> None:
        """Connect (no packet: it picks the route and source port) and send the datagram."""
        self.sock.connect(sockaddr)
        self.tx_ns = time.time_ns()
        self.sock.send(payload)
        self.watch()

    def on_ready(self) -> None:
        """Readable: an answer, an ICMP error, or nothing yet (then keep watching)."""
        answer = self._answer(time.time_ns())
        if answer is not None:
            self.close()
            self.report(answer)

    def _answer(self, now_ns: int) -> PortAnswer | None:
        queued = read_queued_error(self.sock, self.family)
        if queued is not None:
            return error_answer(
                self.seq,
                queued.error,
                self.address,
                tx_ns=self.tx_ns,
                rx_ns=queued.rx_ns,
                now_ns=now_ns,
            )
        try:
            received = read_datagram(self.sock, self.family)
        except OSError as exc:  # an error reported without a queued message
            return errno_answer(
                self.seq, exc.errno or 0, self.address, elapsed_ms(self.tx_ns, now_ns)
            )
        if received is None:
            return None
        rtt = elapsed_ms(self.tx_ns, received.rx_ns or now_ns)
        size = len(received.data)
        return PortAnswer(self.seq, rtt, self.address, "open", ttl=received.ttl, size=size)
