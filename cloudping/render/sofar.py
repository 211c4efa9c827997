"""The statistics of a stream cut short: what its ping-like jobs showed before it stopped.

A hub that stops (or a connection that breaks) ends a stream before its probes sent their
``summary`` events. The replies and timeouts that did arrive still say what iputils ping
would have printed on Ctrl-C: every sequence number up to the last one seen was sent, each
counted reply was received. Pure: the duration is an argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudping.events import PingSummaryEvent, ReplyEvent
from cloudping.events.rtt import RttStats
from cloudping.render.snapshot import JobView, Snapshot

# The probes whose rows are numbered packets, folded as ping folds them (probes/job.py).
PING_LIKE = frozenset({"ping", "tcping"})


@dataclass(frozen=True, slots=True)
class Missing:
    """A job that ended without a result and whose rows say nothing countable."""

    agent: str
    target: str


def results_so_far(snapshot: Snapshot, duration_ms: float) -> list[PingSummaryEvent | Missing]:
    """For every job of ``snapshot`` that has neither a result nor an error (which said why
    it has none): its statistics from the rows seen (a ping-like job), or :class:`Missing`."""
    jobs = snapshot.jobs.values()
    return [_result(job, duration_ms) for job in jobs if not (job.outcomes or job.errors)]


def _result(job: JobView, duration_ms: float) -> PingSummaryEvent | Missing:
    start = job.start
    if start is None or start.probe not in PING_LIKE or not job.rows:
        return Missing(job.agent, job.target)
    sent = max(row.seq for row in job.rows)
    replies = [row for row in job.rows if isinstance(row, ReplyEvent)]
    stats = RttStats()
    for reply in replies:
        if _counted(reply):
            stats.add(reply.rtt_ms)
    return PingSummaryEvent(
        agent=job.agent,
        target=job.target,
        address=start.address,
        sent=sent,
        received=stats.count,
        loss=round(100.0 * (sent - stats.count) / sent, 4),
        duplicates=sum(reply.duplicate for reply in replies),
        late=sum(reply.late for reply in replies),
        errors=sum(reply.icmp_error is not None for reply in replies),
        min_ms=_ms(stats.minimum),
        avg_ms=_ms(stats.avg),
        max_ms=_ms(stats.maximum),
        stddev_ms=_ms(stats.mdev),
        jitter_ms=_ms(stats.jitter),
        duration_ms=round(duration_ms, 3),
        port=start.port,
        probe="tcping" if start.probe == "tcping" else "ping",
    )


def _counted(reply: ReplyEvent) -> bool:
    """A reply ping counts as received: not a duplicate, not late, not an ICMP error."""
    return not (reply.duplicate or reply.late or reply.icmp_error is not None)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
