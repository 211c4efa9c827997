"""What a port probe (TCP connect, UDP datagram) reports, and how answers are classified.

Pure: no sockets, no clock. :mod:`tcp` and :mod:`udp` launch probes that end in a
:class:`PortAnswer`; :mod:`job` schedules them. Every answer has a port ``state``: for TCP a
SYN-ACK (``open``) or a RST (``closed``), for UDP a datagram back (``open``) or the target's
own ICMP port unreachable (``closed``): these prove the host is there and count as received.
An ICMP error from anyone else (a router's host unreachable, time exceeded) or a local one is
``unreachable``: the probe never reached the port, an error as ping counts them. Silence is
the prober's :attr:`PortProber.timeout_state`.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cloudping.events.model import PortState
from cloudping.probes.icmp.codec import IcmpError

# ip(7), icmp_err_convert in net/ipv4/icmp.c: what a socket error says when nothing is queued.
_ERRNO_ERRORS = {
    errno.EHOSTUNREACH: "host_unreachable",
    errno.ENETUNREACH: "net_unreachable",
    errno.EACCES: "admin_prohibited",
    errno.ECONNREFUSED: "port_unreachable",
}


@dataclass(frozen=True, slots=True)
class PortAnswer:
    """How one probe ended, short of a timeout.

    ``state`` is ``unreachable`` for an ICMP error about the probe from someone other than the
    target (``icmp_error`` names it, ``address`` is its sender); ``ttl`` and ``size`` describe
    a UDP answer (a TCP connect reveals neither).
    """

    seq: int
    rtt_ms: float
    address: str
    state: PortState
    icmp_error: str | None = None
    mtu: int | None = None
    ttl: int | None = None
    size: int = 0

    @property
    def answered(self) -> bool:
        """Whether the target itself answered (counted as received)."""
        return self.state in ("open", "closed")


Report = Callable[[PortAnswer], None]


def port_state(icmp_error: str, sender: str, target: str) -> PortState:
    """What an ICMP error about a probe says of the port: ``closed`` when the target itself
    answers port unreachable (the host is there: RFC 1122 section 3.2.2.1, RFC 4443 section
    3.1), else ``unreachable`` (the probe failed on the way, counted as an error)."""
    return "closed" if icmp_error == "port_unreachable" and sender == target else "unreachable"


def error_answer(
    seq: int, error: IcmpError, target: str, *, tx_ns: int, rx_ns: int | None, now_ns: int
) -> PortAnswer:
    """The answer an ICMP error makes, timed by its kernel receive stamp (``rx_ns``) when
    there is one."""
    sender = error.sender or target  # a local error has no sender: say the target
    rtt = elapsed_ms(tx_ns, rx_ns or now_ns)
    state = port_state(error.name, sender, target)
    return PortAnswer(seq, rtt, sender, state, error.name, error.mtu)


def errno_answer(seq: int, code: int, target: str, rtt_ms: float) -> PortAnswer:
    """The answer a socket error makes when the error queue says nothing more (ip(7): the
    errno an ICMP error maps to; ``ECONNREFUSED`` is a port unreachable for UDP)."""
    name = _ERRNO_ERRORS.get(code, "unreachable")
    return PortAnswer(seq, rtt_ms, target, port_state(name, target, target), name)


def elapsed_ms(tx_ns: int, rx_ns: int) -> float:
    """Milliseconds from ``tx_ns`` to ``rx_ns`` (never negative: the clocks may disagree)."""
    return max(0.0, (rx_ns - tx_ns) / 1e6)


class Flight(Protocol):
    """A probe in flight; ``close`` gives up on it (its timeout) and frees its socket."""

    def close(self) -> None: ...


class PortProber(Protocol):
    """Launches probes of one protocol to one address family."""

    @property
    def method(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def timeout_state(self) -> PortState:
        """What silence says of the port."""
        ...

    def launch(self, seq: int, sockaddr: tuple[object, ...], report: Report) -> Flight:
        """Send probe ``seq`` to ``sockaddr``; ``report`` is called once, when it ends.

        Raises:
            OSError: the probe could not leave (no route, out of descriptors).
        """
        ...
