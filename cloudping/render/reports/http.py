"""http as a waterfall per request: dns, connect, tls, waiting for the first byte, and the
transfer, on one time axis; with the status, TLS version and days left on the certificate."""

from __future__ import annotations

from datetime import datetime

from cloudping.events import HttpEvent
from cloudping.render.reports.common import heading, jobs_of, ms, notes
from cloudping.render.reports.model import Phase, Report, Waterfall
from cloudping.render.snapshot import Snapshot


def http_report(command: str, snapshot: Snapshot, when: datetime | None) -> Report:
    """A waterfall per HTTP request, job after job."""
    falls = tuple(
        _waterfall(job.agent, event)
        for job in jobs_of(snapshot)
        for event in job.outcomes
        if isinstance(event, HttpEvent)
    )
    return Report(heading(command, snapshot, when), falls, notes(snapshot))


def _waterfall(agent: str, event: HttpEvent) -> Waterfall:
    facts = [_status(event)]
    if event.tls is not None:
        left = event.tls.days_left
        days = "?" if left is None else f"{left:.0f}"
        verified = "" if event.tls.verified else ", NOT verified"
        facts.append(f"TLS {event.tls.version or '?'}, certificate {days} days left{verified}")
    if event.error is not None:
        facts.append(f"error: {event.error}")
    total = event.timings.total_ms or 0.0
    return Waterfall(f"{agent}: {event.method} {event.url}", tuple(facts), phases(event), total)


def _status(event: HttpEvent) -> str:
    if event.status is None:
        return "no response"
    where = f" from {event.address}" if event.address else ""
    total = event.timings.total_ms
    return f"{event.http_version or 'HTTP'} {event.status}{where}, total {ms(total)} ms"


def phases(event: HttpEvent) -> tuple[Phase, ...]:
    """The phases that ran, each starting where the one before ended (RFC-free: curl's
    ``-w`` timing points): dns, connect and tls are durations, ttfb and total count from the
    start, so waiting is what ttfb adds to them and transfer what total adds to ttfb."""
    t = event.timings
    found: list[Phase] = []
    at = 0.0
    for name, length in (("dns", t.dns_ms), ("connect", t.connect_ms), ("tls", t.tls_ms)):
        if length is not None:
            found.append(Phase(name, at, length))
            at += length
    if t.ttfb_ms is not None:
        found.append(Phase("ttfb", at, max(0.0, t.ttfb_ms - at)))
        at = max(at, t.ttfb_ms)
    if t.total_ms is not None:
        found.append(Phase("transfer", at, max(0.0, t.total_ms - at)))
    return tuple(found)
