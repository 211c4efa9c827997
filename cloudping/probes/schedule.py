"""When a ping sends and when each probe times out: a pure state machine.

Time is an argument: the caller passes ``now`` (monotonic seconds) and sleeps until
:meth:`PingSchedule.next_deadline`. The first probe is due at ``start`` and each next one
``interval`` after the previous one was due, so the rate holds; a late send never makes the next
one follow it closer than half an interval (no bursts). Each probe times out ``timeout``
seconds after it was sent. An answer is classified against the
probe's state, so every sequence number ends as exactly one of replied, errored or timed out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Outcome(enum.Enum):
    """What an answer to a probe counts as."""

    REPLY = "reply"
    DUPLICATE = "duplicate"
    LATE = "late"
    ERROR = "error"
    UNKNOWN = "unknown"


class _State(enum.Enum):
    WAITING = enum.auto()
    REPLIED = enum.auto()
    ERRORED = enum.auto()
    TIMED_OUT = enum.auto()


# (state, answer) -> (outcome, next state): the rules as a table.
_RULES: dict[tuple[_State, bool], tuple[Outcome, _State]] = {
    (_State.WAITING, True): (Outcome.REPLY, _State.REPLIED),
    (_State.WAITING, False): (Outcome.ERROR, _State.ERRORED),
    (_State.REPLIED, True): (Outcome.DUPLICATE, _State.REPLIED),
    (_State.REPLIED, False): (Outcome.ERROR, _State.REPLIED),
    (_State.ERRORED, True): (Outcome.REPLY, _State.REPLIED),
    (_State.ERRORED, False): (Outcome.ERROR, _State.ERRORED),
    (_State.TIMED_OUT, True): (Outcome.LATE, _State.TIMED_OUT),
    (_State.TIMED_OUT, False): (Outcome.LATE, _State.TIMED_OUT),
}


@dataclass(slots=True)
class PingSchedule:
    """Send times, deadlines and the fate of every probe of one ping job."""

    count: int
    interval: float
    timeout: float
    start: float
    sent: int = 0
    _states: dict[int, _State] = field(default_factory=dict)
    _deadlines: dict[int, float] = field(default_factory=dict)
    _next_send: float = field(init=False)

    def __post_init__(self) -> None:
        self._next_send = self.start

    def due_send(self, now: float) -> int | None:
        """The sequence number due to be sent by ``now``, if any (send it, then
        :meth:`mark_sent`)."""
        if self.sent < self.count and self._next_send <= now:
            return self.sent + 1
        return None

    def mark_sent(self, seq: int, now: float) -> None:
        """Probe ``seq`` left at ``now``; its timeout starts."""
        self.sent = seq
        self._next_send = max(self._next_send + self.interval, now + self.interval / 2)
        self._states[seq] = _State.WAITING
        self._deadlines[seq] = now + self.timeout

    def expire(self, now: float) -> list[int]:
        """Probes whose timeout passed by ``now`` without any answer."""
        expired = [seq for seq, deadline in self._deadlines.items() if deadline <= now]
        for seq in expired:
            del self._deadlines[seq]
            self._states[seq] = _State.TIMED_OUT
        return expired

    def answer(self, seq: int, *, is_reply: bool) -> Outcome:
        """Classify an answer (an echo reply, or an ICMP error when ``is_reply`` is False)."""
        state = self._states.get(seq)
        if state is None:
            return Outcome.UNKNOWN
        outcome, self._states[seq] = _RULES[(state, is_reply)]
        if outcome in (Outcome.REPLY, Outcome.ERROR):
            self._deadlines.pop(seq, None)
        return outcome

    def next_deadline(self) -> float | None:
        """The next time something happens (a send or a timeout); ``None`` when done."""
        times = list(self._deadlines.values())
        if self.sent < self.count:
            times.append(self._next_send)
        return min(times) if times else None

    @property
    def done(self) -> bool:
        return self.next_deadline() is None
