"""Round-trip statistics, as iputils ping and mtr compute them (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(slots=True)
class RttStats:
    """Running RTT statistics over the replies counted as received."""

    count: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    low: float = math.inf
    high: float = 0.0
    jitter_total: float = 0.0
    last: float | None = None

    def add(self, rtt_ms: float) -> None:
        """Count one reply's RTT (in arrival order, which jitter depends on)."""
        self.count += 1
        self.total += rtt_ms
        self.total_sq += rtt_ms * rtt_ms
        self.low = min(self.low, rtt_ms)
        self.high = max(self.high, rtt_ms)
        if self.last is not None:
            self.jitter_total += abs(rtt_ms - self.last)
        self.last = rtt_ms

    @property
    def avg(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def mdev(self) -> float | None:
        """iputils' mdev: sqrt(mean(rtt^2) - mean(rtt)^2), the population standard deviation."""
        if not self.count:
            return None
        mean = self.total / self.count
        return math.sqrt(max(0.0, self.total_sq / self.count - mean * mean))

    @property
    def jitter(self) -> float | None:
        """Mean absolute difference of consecutive RTTs (RFC 3550's D, unsmoothed)."""
        return self.jitter_total / (self.count - 1) if self.count > 1 else None

    @property
    def minimum(self) -> float | None:
        return self.low if self.count else None

    @property
    def maximum(self) -> float | None:
        return self.high if self.count else None
