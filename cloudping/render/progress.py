"""Progress of a running measurement, from its events: done of total, and a one-line message.

Pure: :meth:`Progress.observe` takes each event, the caller reads :attr:`Progress.done`,
:attr:`Progress.total` and :attr:`Progress.message` after each batch. The unit is a probe
round of one job: a packet of ping or tcping, a round of mtr, a hop of traceroute, the whole
job for dns, http and scan. A job's result (its summary, DNS answer or HTTP response) or
error fills its share, so done reaches total when every job has ended.
"""

from __future__ import annotations

from cloudping.commands import Command, targets_of
from cloudping.events import (
    DnsEvent,
    ErrorEvent,
    Event,
    HopEvent,
    HttpEvent,
    MeasurementEvent,
    PathSummaryEvent,
    PingSummaryEvent,
    ReplyEvent,
    ScanSummaryEvent,
    TimeoutEvent,
)
from cloudping.render.terminal.text import TextStyle, render

MESSAGE_CHARS = 200
_ENDS_JOB = (PingSummaryEvent, PathSummaryEvent, ScanSummaryEvent, DnsEvent, HttpEvent, ErrorEvent)


def units_per_job(command: Command) -> int:
    """How many progress units one job of ``command`` counts."""
    name = command.command
    if name in ("ping", "tcping", "mtr"):
        count: int = getattr(command, "count", 1)
        return count
    if name == "traceroute":
        first: int = getattr(command, "first_hop", 1)
        last: int = getattr(command, "max_hops", first)
        return max(1, last - first + 1)
    return 1


class Progress:
    """Done and total units of one measurement, and what happened last."""

    def __init__(self, command: Command) -> None:
        self._per_job = units_per_job(command)
        self._targets = len(targets_of(command))
        self._done: dict[tuple[str, str], int] = {}
        self.total: int | None = None
        self.message: str | None = None
        self.ended = False

    @property
    def done(self) -> int:
        """Units done so far (all of them once the stream has ended)."""
        if self.ended and self.total is not None:
            return self.total
        return sum(self._done.values())

    def observe(self, event: Event) -> None:
        """Count one event of the stream."""
        if isinstance(event, MeasurementEvent):
            self.total = len(event.agents) * self._targets * self._per_job
            self.message = f"measurement {event.id} started on {', '.join(event.agents)}"
            return
        if event.type == "end":
            self.ended = True
            return
        self._advance(event)
        text = render(event, TextStyle(prefix_jobs=True))
        if text:
            self.message = text.strip().split("\n")[-1][:MESSAGE_CHARS]

    def _advance(self, event: Event) -> None:
        if event.agent is None or event.target is None:
            return
        job = (event.agent, event.target)
        now = self._done.get(job, 0)
        if isinstance(event, _ENDS_JOB):
            now = self._per_job
        elif isinstance(event, TimeoutEvent) or _first_reply(event):
            now += 1
        elif isinstance(event, HopEvent):
            now = max(now, event.round - 1 if event.probe == "mtr" else now + 1)
        self._done[job] = min(now, self._per_job)


def _first_reply(event: Event) -> bool:
    """A reply that answers its probe (a duplicate, or a late one after its timeout, does not)."""
    return isinstance(event, ReplyEvent) and not (event.duplicate or event.late)
