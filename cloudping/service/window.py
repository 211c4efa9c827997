"""Measurements per hour per subject: a sliding window that takes ``now`` (no clock inside)."""

from __future__ import annotations

from collections import deque

HOUR = 3600.0


class SlidingWindow:
    """Counts each subject's events in the last ``window_s`` seconds.

    Pure: every call takes ``now`` (POSIX seconds), so tests pass literal times.
    """

    def __init__(self, window_s: float = HOUR) -> None:
        self.window_s = window_s
        self._times: dict[str, deque[float]] = {}

    def retry_after(self, subject: str, limit: int, now: float) -> float | None:
        """Seconds until ``subject`` may go again, or ``None`` when it may now."""
        times = self._pruned(subject, now)
        if len(times) < limit:
            return None
        # The oldest event inside the window is the first to leave it.
        return max(times[len(times) - limit] + self.window_s - now, 0.0)

    def record(self, subject: str, now: float) -> None:
        """Count one event of ``subject`` at ``now``."""
        times = self._pruned(subject, now)
        times.append(now)
        self._times[subject] = times

    def used(self, subject: str, now: float) -> int:
        """How many events of ``subject`` are inside the window at ``now``."""
        return len(self._pruned(subject, now))

    def _pruned(self, subject: str, now: float) -> deque[float]:
        times = self._times.get(subject, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            # Idle subjects are forgotten, so the table does not keep every subject ever seen.
            self._times.pop(subject, None)
        return times
