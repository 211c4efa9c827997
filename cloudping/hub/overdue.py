"""When a job is overdue: past the end its own command promises, plus a grace.

A ping of ``-c 20 -i 0.2 -W 2`` sends its last probe 19 x 0.2 s after its first and waits 2 s
for it, whatever happens on the way; an agent that has sent no end by then plus
:data:`OVERDUE_SLACK` (resolving the target, transit, its last words) is overdue, and its job ends
``agent_lost`` (``reason: "overdue"``) rather than at the measurement's deadline. Commands
whose length the hub cannot tell (a traceroute waits per hop, an HTTP fetch per redirect, mtr
looks names up) have no such end: only the measurement's deadline and the connection's
liveness bound them.

Pure: times are seconds of any monotonic clock, passed in.
"""

from __future__ import annotations

import heapq
from collections.abc import Container
from dataclasses import dataclass, field

from cloudping.commands import Command, PingCommand, TcpingCommand
from cloudping.probes.env import RESOLVE_TIMEOUT

OVERDUE_SLACK = RESOLVE_TIMEOUT + 3.0
"""Seconds past a job's probes' own end before the hub gives up on it: the agent's bound on
resolving the target, plus 3 s for transit, a busy agent and its last words."""


def promised_duration(command: Command) -> float | None:
    """Seconds the probes of a job of ``command`` take at most (``None``: unknown): the last
    leaves ``(count - 1) x interval`` after the first and is waited for ``timeout``."""
    if isinstance(command, PingCommand | TcpingCommand):
        return (command.count - 1) * command.interval + command.timeout
    return None


def overdue_at(command: Command, offered_at: float, slack: float) -> float | None:
    """When a job of ``command`` offered at ``offered_at`` is overdue (``None``: never)."""
    duration = promised_duration(command)
    return None if duration is None else offered_at + duration + slack


@dataclass
class Deadlines:
    """When each job of a measurement becomes overdue, earliest first.

    A heap: the next deadline costs O(log n) per job over the measurement's life, where a scan
    of every job for each message the agents sent made a fan-out to n agents cost O(n²).
    Jobs no longer open are dropped as they come to the top (a job that ended never reopens).
    """

    _heap: list[tuple[float, int, str]] = field(default_factory=list)
    _offered: int = 0

    def add(self, job_id: str, at: float) -> None:
        """Job ``job_id`` is overdue at ``at``."""
        self._offered += 1
        heapq.heappush(self._heap, (at, self._offered, job_id))

    def next_due(self, open_jobs: Container[str]) -> float | None:
        """The earliest overdue time of an open job (``None``: none has one)."""
        heap = self._heap
        while heap and heap[0][2] not in open_jobs:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def overdue(self, open_jobs: Container[str], now: float) -> list[str]:
        """The open jobs whose overdue time ``now`` has reached, in offer order; each once."""
        reached = []
        while self._heap and self._heap[0][0] <= now:
            entry = heapq.heappop(self._heap)
            if entry[2] in open_jobs:
                reached.append(entry)
        return [job_id for _, _, job_id in sorted(reached, key=lambda entry: entry[1])]
