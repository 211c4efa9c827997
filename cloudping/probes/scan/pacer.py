"""A send pacer for sweeps, pure: time is an argument.

A token bucket written as GCRA (the ATM "virtual scheduling" form, ITU-T I.371): one number,
the theoretical arrival time of the next packet, instead of a token count refilled by a clock.
A packet may leave once ``now >= tat - (burst - 1) * interval``. The burst lets a caller that
wakes late send a handful of packets at once: the event loop wakes at best every millisecond,
so at 10 000 packets per second each wake-up must send about ten to hold the rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Pacer:
    """When the next packet of a sweep may leave, at ``rate`` packets per second.

    Attributes:
        rate: packets per second (> 0).
        burst: how many packets may leave back to back after an idle spell (>= 1).
    """

    rate: float
    burst: int = 1
    _tat: float | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(
                f"Pacer: rate must be > 0 and burst >= 1, not {self.rate}/{self.burst}"
            )

    @property
    def interval(self) -> float:
        """Seconds between packets at the steady rate."""
        return 1.0 / self.rate

    def next_send(self, now: float) -> float:
        """When the next packet may leave: ``now`` when it may leave at once, else later."""
        if self._tat is None:
            return now
        return max(now, self._tat - (self.burst - 1) * self.interval)

    def sent(self, now: float) -> float:
        """Record a packet that left at ``now``; returns when the next one may leave.

        The bucket starts empty (the first packet leaves a full burst's worth of credit
        unused), so a short sweep does not start with a burst above the rate.
        """
        if self._tat is None:
            self._tat = now + self.burst * self.interval
        else:
            self._tat = max(self._tat, now) + self.interval
        return self.next_send(now)


def burst_for(rate: float, *, tick: float = 0.01) -> int:
    """The burst that holds ``rate`` when the loop wakes only every ``tick`` seconds."""
    return max(1, int(rate * tick))
