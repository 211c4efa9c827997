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

from collections.abc import Mapping

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


def overdue_jobs(due: Mapping[str, float], open_jobs: frozenset[str], now: float) -> list[str]:
    """The open jobs whose overdue time ``now`` has reached, in ``due``'s order."""
    return [job_id for job_id, at in due.items() if job_id in open_jobs and at <= now]


def next_due(due: Mapping[str, float], open_jobs: frozenset[str]) -> float | None:
    """The earliest overdue time of an open job (``None``: none has one)."""
    return min((at for job_id, at in due.items() if job_id in open_jobs), default=None)
