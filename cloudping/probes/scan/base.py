"""What the sweep loop needs of a transport, and the one rule that turns answers into verdicts.

A transport sends one probe per call and reports answers through a callback with the offset
of the address they concern; it keeps no timers (the plan does) and creates no task.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from cloudping.probes.scan.plan import Cell


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one answer says about an address: alive, or unreachable according to a router."""

    state: Cell
    rtt_ms: float
    icmp_error: str | None = None
    responder: str | None = None


# A send on a datagram socket (UDP, ICMP without raw sockets) can fail with the error of an
# earlier datagram (sk_err, set by IP_RECVERR's ICMP handling); that send did not happen and
# is tried once more.
EARLIER_ERRORS = frozenset({errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH})

Report = Callable[[int, Verdict], None]
"""Called by a transport with (offset, verdict) for each answer it matched."""


class SweepTransport(Protocol):
    """Sends a sweep's probes and reports their answers (see :data:`Report`)."""

    @property
    def method(self) -> str:
        """How it probes, for ``start``: ``raw``/``datagram`` (ICMP), ``udp``, ``connect``."""

    @property
    def size(self) -> int:
        """Payload bytes per probe."""

    @property
    def port(self) -> int | None:
        """The destination port (UDP, TCP)."""

    @property
    def max_in_flight(self) -> int:
        """How many probes may be in flight at once."""

    def send(self, offset: int, address: str) -> None:
        """Send one probe to ``address``; raises ``OSError`` when the kernel refuses it."""

    def forget(self, offset: int) -> None:
        """The probe of ``offset`` timed out: drop what is kept about it."""

    def close(self) -> None:
        """Stop: forget every probe in flight and free what was opened."""


def judge(address: str, error: str | None, sender: str | None, rtt_ms: float) -> Verdict:
    """The verdict of an answer about ``address``.

    An echo reply (``error`` None), a TCP answer or an ICMP error sent by the address itself
    (a UDP port unreachable, a protocol unreachable) prove that the host is up; an ICMP error
    from anyone else is a router saying it cannot deliver.
    """
    if error is None or sender == address:
        return Verdict(Cell.ALIVE, rtt_ms)
    return Verdict(Cell.UNREACHABLE, rtt_ms, icmp_error=error, responder=sender)
