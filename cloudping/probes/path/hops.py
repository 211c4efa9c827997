"""The path a traceroute or mtr finds, hop by hop: pure bookkeeping, no sockets, no clock.

A :class:`PathTrace` collects the answers to probes sent with increasing TTLs, learns where the
path ends (the target answered, or a router said it cannot go further), and releases hops in
TTL order once every probe of a hop is settled, so hop lines stream in order although many
TTLs are in flight at once (as traceroute's default of 16 simultaneous probes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudping.events import HopProbe, HopStats
from cloudping.events.rtt import RttStats


@dataclass(frozen=True, slots=True)
class HopAnswer:
    """What came back for one probe.

    Attributes:
        address: who answered (a router, or the target).
        rtt_ms: from sending to the answer.
        icmp_error: the ICMP error a router sent (``time_exceeded`` on the way), ``None`` for
            the target's own answer (echo reply, SYN-ACK/RST, UDP port unreachable).
        final: the path ends here (the target answered, or an unreachable error).
        mtu: the next-hop MTU of a ``frag_needed``/``packet_too_big`` error.
    """

    address: str
    rtt_ms: float
    icmp_error: str | None = None
    final: bool = False
    mtu: int | None = None

    def as_probe(self, name: str | None = None) -> HopProbe:
        return HopProbe(
            address=self.address,
            rtt_ms=round(self.rtt_ms, 4),
            name=name,
            icmp_error=self.icmp_error,
            mtu=self.mtu,
        )


Answers = list[HopAnswer | None]  # None: no answer within the timeout


@dataclass
class PathTrace:
    """Answers per TTL for one trace, released in TTL order.

    Args:
        first: the first TTL probed (``-f``).
        last: the last TTL probed unless the path ends sooner (``-m``).
        queries: probes per TTL (``-q``).
    """

    first: int
    last: int
    queries: int
    end: int | None = None
    _answers: dict[int, dict[int, HopAnswer | None]] = field(default_factory=dict)
    _next: int = 0

    def __post_init__(self) -> None:
        self._next = self.first

    def record(self, ttl: int, query: int, answer: HopAnswer | None) -> None:
        """Settle probe ``query`` of hop ``ttl``."""
        self._answers.setdefault(ttl, {})[query] = answer
        if answer is not None and answer.final and (self.end is None or ttl < self.end):
            self.end = ttl

    def beyond_end(self, ttl: int) -> bool:
        """True when the path is known to end before ``ttl``: no need to probe it."""
        return self.end is not None and ttl > self.end

    @property
    def last_hop(self) -> int:
        return self.end if self.end is not None else self.last

    def pop_ready(self) -> list[tuple[int, Answers]]:
        """Hops whose probes are all settled and whose lower hops were released, in order."""
        ready = []
        while self._next <= self.last_hop:
            got = self._answers.get(self._next, {})
            if len(got) < self.queries:
                break
            ready.append((self._next, [got[q] for q in range(self.queries)]))
            self._next += 1
        return ready

    @property
    def done(self) -> bool:
        return self._next > self.last_hop

    @property
    def reached(self) -> bool:
        """The target itself answered (not merely an unreachable error at the end)."""
        answers = self._answers.get(self.end, {}) if self.end is not None else {}
        return any(a is not None and a.final and a.icmp_error is None for a in answers.values())


def hop_stats(
    ttl: int, answers: Sequence[HopAnswer | None], names: dict[str, str | None]
) -> HopStats:
    """A hop's row in the report: every responder (ECMP shows several) and RTT statistics."""
    stats = RttStats()
    addresses: list[str] = []
    for answer in answers:
        if answer is None:
            continue
        stats.add(answer.rtt_ms)
        if answer.address not in addresses:
            addresses.append(answer.address)
    sent, received = len(answers), stats.count
    return HopStats(
        ttl=ttl,
        addresses=tuple(addresses),
        names=tuple(names.get(a) for a in addresses),
        sent=sent,
        received=received,
        loss=round(100.0 * (sent - received) / sent, 4) if sent else 0.0,
        last_ms=_ms(stats.last),
        avg_ms=_ms(stats.avg),
        best_ms=_ms(stats.minimum),
        worst_ms=_ms(stats.maximum),
        stddev_ms=_ms(stats.mdev),
        jitter_ms=_ms(stats.jitter),
    )


def path_mtu(answers: Sequence[HopAnswer | None]) -> int | None:
    """The smallest MTU any router reported (``frag_needed``/``packet_too_big``)."""
    mtus = [a.mtu for a in answers if a is not None and a.mtu is not None]
    return min(mtus) if mtus else None


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
