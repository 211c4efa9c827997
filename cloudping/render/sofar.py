"""The statistics of a stream cut short: what its ping-like jobs showed before it stopped.

A hub that stops (or a connection that breaks) ends a stream before its probes sent their
``summary`` events. The replies and timeouts that did arrive still say what iputils ping
would have printed on Ctrl-C: every sequence number up to the last one seen was sent, each
counted reply was received. Folded as the events pass, in memory per job (not per event: a
ping may run for days). Pure: the duration is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudping.events import EndEvent, ErrorEvent, Event, PingSummaryEvent, ReplyEvent, StartEvent
from cloudping.events.model import TimeoutEvent
from cloudping.events.rtt import RttStats
from cloudping.events.verdict import answered

# The probes whose rows are numbered packets, folded as ping folds them (probes/job.py).
PING_LIKE = frozenset({"ping", "tcping"})


@dataclass(frozen=True, slots=True)
class Missing:
    """A job that ended without a result and whose rows say nothing countable."""

    agent: str
    target: str


@dataclass(slots=True)
class _Job:
    """One job's rows so far, as counts."""

    start: StartEvent | None = None
    stats: RttStats = field(default_factory=RttStats)
    sent: int = 0  # the highest sequence number seen
    duplicates: int = 0
    late: int = 0
    errors: int = 0
    open: int = 0  # tcping: connects that found the port open (its verdict counts these)
    settled: bool = False  # a result or an error came: nothing to make up

    def take(self, event: Event) -> None:
        if isinstance(event, StartEvent):
            self.start = event
        elif isinstance(event, ReplyEvent | TimeoutEvent):
            self.sent = max(self.sent, event.seq)
            if isinstance(event, ReplyEvent):
                self._reply(event)
        elif isinstance(event, ErrorEvent) or answered(event) is not None:
            self.settled = True

    def _reply(self, reply: ReplyEvent) -> None:
        """Counted as ping counts: a duplicate, a late reply or an ICMP error is not received."""
        self.duplicates += reply.duplicate
        self.late += reply.late
        self.errors += reply.icmp_error is not None
        self.open += reply.state == "open"
        if not (reply.duplicate or reply.late or reply.icmp_error is not None):
            self.stats.add(reply.rtt_ms)


@dataclass
class SoFar:
    """The jobs of one stream, folded event by event."""

    jobs: dict[tuple[str, str], _Job] = field(default_factory=dict)
    end: EndEvent | None = None

    def add(self, event: Event) -> None:
        """Take the next event of the stream."""
        if isinstance(event, EndEvent):
            self.end = event
        elif event.agent is not None and event.target is not None:
            self.jobs.setdefault((event.agent, event.target), _Job()).take(event)

    def results(self, elapsed_ms: float) -> list[PingSummaryEvent | Missing]:
        """For every job with neither a result nor an error (which said why it has none):
        its statistics from the rows seen (a ping-like job), or :class:`Missing`. The
        duration is the stream's own when its ``end`` came, else ``elapsed_ms``."""
        duration_ms = self.end.duration_ms if self.end is not None else elapsed_ms
        return [
            _result(agent, target, job, duration_ms)
            for (agent, target), job in self.jobs.items()
            if not job.settled
        ]


def _result(agent: str, target: str, job: _Job, duration_ms: float) -> PingSummaryEvent | Missing:
    start, stats = job.start, job.stats
    if start is None or start.probe not in PING_LIKE or not job.sent:
        return Missing(agent, target)
    return PingSummaryEvent(
        agent=agent,
        target=target,
        address=start.address,
        sent=job.sent,
        received=stats.count,
        loss=round(100.0 * (job.sent - stats.count) / job.sent, 4),
        duplicates=job.duplicates,
        late=job.late,
        errors=job.errors,
        min_ms=_ms(stats.minimum),
        avg_ms=_ms(stats.avg),
        max_ms=_ms(stats.maximum),
        stddev_ms=_ms(stats.mdev),
        jitter_ms=_ms(stats.jitter),
        duration_ms=round(duration_ms, 3),
        port=start.port,
        probe="tcping" if start.probe == "tcping" else "ping",
        open=job.open if start.probe == "tcping" else None,
    )


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
