"""TCP connect probes: one non-blocking ``connect()`` per probe, classified by how it ends.

* **open**: the connect succeeded, so a SYN-ACK came back (RFC 9293 section 3.5); the socket
  is closed at once (an orderly FIN: a listening service sees a normal close).
* **closed**: ``ECONNREFUSED``: a RST answered the SYN.
* **unreachable**: an ICMP error aborted the connect (Linux aborts a SYN-SENT connection on
  one, tcp_v4_err/tcp_v6_err); its type, code and sender come from the error queue.
* **filtered**: nothing within the timeout; the job then closes the socket (no packet leaves).

Timing starts just before ``connect()``. For ``open`` the RTT is the kernel's own SYN to
SYN-ACK measurement (``tcpi_rtt`` of ``TCP_INFO``, tcp(7): the first RTT sample, RFC 6298
section 2.2) when the SYN went out once; after a retransmitted SYN it is the wall time, which
includes the retransmission wait, as tcping tools report. An ICMP error is timed by the
kernel's receive stamp; a RST by the wall clock when the event loop hears of it.
"""

from __future__ import annotations

import errno
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
    read_queued_error,
    syn_rtt_us,
)


@dataclass(frozen=True, slots=True)
class TcpConnectProber:
    """TCP connect probes of one family; ``ttl`` limits their hops (``None``: default).

    A SYN carries no data, so ``size`` is 0; Linux sets DF on TCP already (PMTU discovery).
    """

    family: Family
    ttl: int | None = None
    method: str = "tcp-connect"
    size: int = 0
    timeout_state: PortState = "filtered"  # nothing answered the SYN

    def launch(self, seq: int, sockaddr: tuple[object, ...], report: Report) -> Flight:
        """Start probe ``seq``: a connect to ``sockaddr``; ``report`` hears how it ended.

        Raises:
            OSError: the connect failed before any packet left (no route, no descriptors).
        """
        sock = open_probe_socket(self.family, socket.SOCK_STREAM, ttl=self.ttl)
        address = str(sockaddr[0]).partition("%")[0]
        flight = _Connect(sock, self.family, seq, address, report)
        try:
            flight.start(sockaddr)
        except OSError:
            flight.close()
            raise
        return flight


class _Connect(WatchedSocket):
    """One connect in flight, watched by the event loop until it ends or is closed."""

    writable = True

    def start(self, sockaddr: tuple[object, ...]) -> None:
        """Send the SYN. Raises OSError when the connect fails locally at once."""
        self.tx_ns = time.time_ns()
        code = self.sock.connect_ex(sockaddr)
        if code == errno.EINPROGRESS:
            self.watch()
        elif code in (0, errno.ECONNREFUSED):  # loopback can finish inside connect()
            self._end(code)
        else:
            raise OSError(code, errno.errorcode.get(code, str(code)))

    def on_ready(self) -> None:
        """Writable: connect(2) says SO_ERROR tells how a non-blocking connect ended."""
        self._end(self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))

    def _end(self, code: int) -> None:
        answer = self._answer(code, time.time_ns())
        self.close()
        if answer is not None:
            self.report(answer)

    def _answer(self, code: int, now_ns: int) -> PortAnswer | None:
        if code == 0:
            return PortAnswer(self.seq, self._open_rtt(now_ns), self.address, "open")
        queued = read_queued_error(self.sock, self.family)
        if queued is not None:  # an ICMP error aborted the connect, not a RST
            return error_answer(
                self.seq,
                queued.error,
                self.address,
                tx_ns=self.tx_ns,
                rx_ns=queued.rx_ns,
                now_ns=now_ns,
            )
        rtt = elapsed_ms(self.tx_ns, now_ns)
        if code == errno.ECONNREFUSED:
            return PortAnswer(self.seq, rtt, self.address, "closed")
        if code == errno.ETIMEDOUT:
            return None  # the kernel gave up first (a -W beyond its SYN retries): filtered
        return errno_answer(self.seq, code, self.address, rtt)

    def _open_rtt(self, now_ns: int) -> float:
        rtt_us = syn_rtt_us(self.sock)
        return float(rtt_us) / 1000 if rtt_us is not None else elapsed_ms(self.tx_ns, now_ns)
