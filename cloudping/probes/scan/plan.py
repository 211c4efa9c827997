"""What a sweep sends next, what timed out, what is done: a pure state machine.

Addresses are offsets into the prefix. The first pass goes in address order (so a picture of a
scan in progress fills row by row, and "probed so far" is a prefix of the offsets); an address
that stays silent for ``timeout`` seconds goes to a retry queue, served once the first pass has
sent everything, until it has had ``retries`` extra probes. Timeouts are all equal, so the
deadlines come in send order: a deque is the whole timer wheel, with O(1) work per probe and
no timer (nor task) per address.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field


class Cell(enum.IntEnum):
    """The state of one address; also its byte in :attr:`SweepPlan.states`."""

    UNSENT = 0
    WAITING = 1
    SILENT = 2
    ALIVE = 3
    UNREACHABLE = 4
    FAILED = 5  # the local send failed: nothing left the host


FINAL = frozenset({Cell.ALIVE, Cell.UNREACHABLE, Cell.FAILED})


@dataclass(slots=True)
class SweepPlan:
    """Send order, in-flight bound, timeouts and retries of one sweep of ``total`` addresses."""

    total: int
    timeout: float
    retries: int = 1
    max_in_flight: int = 32768
    sent: int = 0
    in_flight: int = 0
    states: bytearray = field(init=False)
    _tries: bytearray = field(init=False)
    _cursor: int = 0
    _retry: deque[int] = field(default_factory=deque)
    _wheel: deque[tuple[float, int]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        if self.total < 1 or self.timeout <= 0 or not 0 <= self.retries <= 255:
            raise ValueError("SweepPlan: total >= 1, timeout > 0 and 0 <= retries <= 255")
        self.states = bytearray(self.total)
        self._tries = bytearray(self.total)

    @property
    def probed(self) -> int:
        """How many addresses have had at least one probe (offsets ``0 .. probed-1``)."""
        return self._cursor

    @property
    def done(self) -> bool:
        """Nothing left to send and nothing in flight."""
        return self._cursor >= self.total and not self._retry and not self.in_flight

    def peek(self) -> int | None:
        """The offset to probe next, or ``None`` (all sent, or the in-flight bound reached)."""
        if self.in_flight >= self.max_in_flight:
            return None
        if self._cursor < self.total:
            return self._cursor
        return self._retry[0] if self._retry else None

    def mark_sent(self, offset: int, now: float) -> None:
        """The probe of :meth:`peek`'s ``offset`` left at ``now``; its timeout starts."""
        self._take(offset, Cell.WAITING)
        self.sent += 1
        self.in_flight += 1
        self._wheel.append((now + self.timeout, offset))

    def mark_failed(self, offset: int) -> None:
        """The probe of :meth:`peek`'s ``offset`` could not be sent; it is not tried again."""
        self._take(offset, Cell.FAILED)

    def _take(self, offset: int, state: Cell) -> None:
        if offset == self._cursor < self.total:
            self._cursor += 1
        elif self._retry and self._retry[0] == offset:
            self._retry.popleft()
        else:
            raise ValueError(f"offset {offset} is not the one due (see peek)")
        self.states[offset] = state
        self._tries[offset] += 1

    def answer(self, offset: int, state: Cell) -> bool:
        """Record the answer (a final state) of a waiting probe; False if it is not news."""
        if state not in FINAL:
            raise ValueError(f"{state!r} is not an answer")
        if not 0 <= offset < self.total or self.states[offset] != Cell.WAITING:
            return False
        self.states[offset] = state
        self.in_flight -= 1
        return True

    def expire(self, now: float) -> list[int]:
        """Offsets whose probe went unanswered until ``now``; they are retried if they may."""
        expired = []
        wheel = self._wheel
        while wheel and wheel[0][0] <= now:
            _, offset = wheel.popleft()
            if self.states[offset] != Cell.WAITING:
                continue  # answered meanwhile: the entry is stale
            self.states[offset] = Cell.SILENT
            self.in_flight -= 1
            expired.append(offset)
            if self._tries[offset] <= self.retries:
                self._retry.append(offset)
        return expired

    def next_deadline(self) -> float | None:
        """The earliest pending timeout (possibly of a probe answered since), or ``None``."""
        return self._wheel[0][0] if self._wheel else None

    def waiting(self) -> list[int]:
        """Offsets with a probe in flight (for releasing them when the sweep stops)."""
        return [offset for _, offset in self._wheel if self.states[offset] == Cell.WAITING]

    def offsets(self, state: Cell) -> list[int]:
        """Every offset now in ``state``, in address order."""
        return [offset for offset, value in enumerate(self.states) if value == state]
