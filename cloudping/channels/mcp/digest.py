"""A measurement's events folded into one compact :class:`ToolResult`, at a level of detail.

Pure: events in, a model out. Each job (agent x target) keeps its address, its result event
(a summary, DNS answers or the HTTP response) and its errors; :class:`Detail` says how much of
each list and which optional fields make it into the result (see :mod:`.budget`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from cloudping.channels.mcp import resultmodel as rm
from cloudping.events import (
    DnsEvent,
    EndEvent,
    ErrorEvent,
    Event,
    HttpEvent,
    MeasurementEvent,
    PathSummaryEvent,
    PingSummaryEvent,
    ScanSummaryEvent,
    StartEvent,
    TlsInfo,
)
from cloudping.events.verdict import answered

_T = TypeVar("_T")
Job = tuple[str, str]
Outcome = PingSummaryEvent | PathSummaryEvent | ScanSummaryEvent | DnsEvent | HttpEvent
# The events that are a job's result (those events.verdict.answered() judges).
_OUTCOMES = (PingSummaryEvent, PathSummaryEvent, ScanSummaryEvent, DnsEvent, HttpEvent)


@dataclass(frozen=True, slots=True)
class Detail:
    """How much of a measurement a result carries.

    Attributes:
        level: its name in the result.
        items: the most items of any list (hops, answers, ranges, redirects).
        jobs: the most jobs listed.
        text: the longest string kept (targets, URLs, messages), in characters.
        extras: optional fields (rDNS names, stddev/jitter, DNS flags, TLS details).
    """

    level: rm.DetailLevel
    items: int
    jobs: int
    text: int
    extras: bool


@dataclass
class _JobEvents:
    start: StartEvent | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)


@dataclass
class Folded:
    """The events of a measurement, sorted by job."""

    measurement: MeasurementEvent | None = None
    end: EndEvent | None = None
    jobs: dict[Job, _JobEvents] = field(default_factory=dict)
    errors: list[ErrorEvent] = field(default_factory=list)
    count: int = 0

    @classmethod
    def of(cls, events: Iterable[Event]) -> Folded:
        """Fold ``events`` (in stream order)."""
        folded = cls()
        for event in events:
            folded.add(event)
        return folded

    def add(self, event: Event) -> None:
        """Take one more event."""
        self.count += 1
        if isinstance(event, MeasurementEvent):
            self.measurement = event
        elif isinstance(event, EndEvent):
            self.end = event
        elif event.agent is None or event.target is None:
            if isinstance(event, ErrorEvent):
                self.errors.append(event)
        else:
            self._job(event, self.jobs.setdefault((event.agent, event.target), _JobEvents()))

    @staticmethod
    def _job(event: Event, job: _JobEvents) -> None:
        if isinstance(event, StartEvent):
            job.start = event
        elif isinstance(event, ErrorEvent):
            job.errors.append(event)
        elif isinstance(event, _OUTCOMES):
            job.outcomes.append(event)


def tool_result(folded: Folded, command: str, detail: Detail) -> rm.ToolResult:
    """The result of a measurement at ``detail``."""
    jobs = list(folded.jobs.items())
    shown = jobs[: detail.jobs]
    end = folded.end
    return rm.ToolResult(
        measurement_id=folded.measurement.id if folded.measurement else "",
        command=_cut(command, detail.text * 4),
        status=end.status if end else "running",
        duration_ms=end.duration_ms if end else None,
        results=[_job_result(job, events, detail) for job, events in shown],
        jobs_omitted=len(jobs) - len(shown),
        errors=[_problem(error, detail) for error in _head(folded.errors, detail.items)],
        detail=detail.level,
        events=folded.count,
    )


def _job_result(job: Job, events: _JobEvents, detail: Detail) -> rm.JobResult:
    agent, target = job
    result = rm.JobResult(
        agent=agent,
        target=_cut(target, detail.text),
        verdict=_verdict(events),
        address=events.start.address if events.start else None,
        error=_problem(events.errors[0], detail) if events.errors else None,
    )
    dns = [event for event in events.outcomes if isinstance(event, DnsEvent)]
    if dns:
        result.dns = [_dns(event, detail) for event in _head(dns, detail.items)]
    for outcome in events.outcomes:
        _fill(result, outcome, detail)
    return result


def _verdict(events: _JobEvents) -> rm.Verdict:
    if events.outcomes:
        return "answered" if any(answered(event) for event in events.outcomes) else "no_answer"
    return "error" if events.errors else "incomplete"


def _fill(result: rm.JobResult, outcome: Outcome, detail: Detail) -> None:
    match outcome:
        case PingSummaryEvent():
            result.ping = _ping(outcome, detail)
            result.duration_ms = outcome.duration_ms
        case PathSummaryEvent():
            result.path = _path(outcome, detail)
            result.duration_ms = outcome.duration_ms
        case ScanSummaryEvent():
            result.scan = _scan(outcome, detail)
            result.duration_ms = outcome.duration_ms
        case HttpEvent():
            result.http = _http(outcome, detail)
            result.address = outcome.address or result.address


def _ping(event: PingSummaryEvent, detail: Detail) -> rm.PingResult:
    rtt = None
    if event.received:
        rtt = rm.Rtt(min_ms=event.min_ms, avg_ms=event.avg_ms, max_ms=event.max_ms)
        if detail.extras:
            rtt.stddev_ms, rtt.jitter_ms = event.stddev_ms, event.jitter_ms
    return rm.PingResult(
        sent=event.sent,
        received=event.received,
        loss=event.loss,
        rtt=rtt,
        port=event.port,
        duplicates=event.duplicates or None,
        errors=event.errors or None,
    )


def _path(event: PathSummaryEvent, detail: Detail) -> rm.PathResult:
    # The last hop is where the path ends (the target, or where it stopped): always kept.
    hops = list(event.hops)
    kept = hops if len(hops) <= detail.items else [*hops[: detail.items - 1], hops[-1]]
    rows = [
        rm.Hop(
            ttl=hop.ttl,
            addresses=list(hop.addresses),
            names=list(hop.names) if detail.extras and any(hop.names) else None,
            loss=hop.loss,
            avg_ms=hop.avg_ms,
            best_ms=hop.best_ms,
            worst_ms=hop.worst_ms,
            stddev_ms=hop.stddev_ms if detail.extras else None,
        )
        for hop in kept
    ]
    return rm.PathResult(
        reached=event.reached,
        hops=rows,
        hops_omitted=len(hops) - len(kept),
        path_mtu=event.path_mtu,
    )


def _scan(event: ScanSummaryEvent, detail: Detail) -> rm.ScanResult:
    ranges = _head(event.alive_ranges, detail.items)
    return rm.ScanResult(
        total=event.total,
        probed=event.probed,
        alive=event.alive,
        unreachable=event.unreachable,
        alive_ranges=ranges,
        ranges_omitted=len(event.alive_ranges) - len(ranges),
        rate_pps=event.rate_pps,
    )


def _dns(event: DnsEvent, detail: Detail) -> rm.DnsAnswer:
    records = [f"{r.name} {r.ttl} {r.type} {_cut(r.data, detail.text)}" for r in event.answers]
    kept = _head(records, detail.items)
    return rm.DnsAnswer(
        server=_cut(event.server, detail.text),
        transport=event.transport,
        qtype=event.qtype,
        qname=event.qname,
        rcode=event.rcode,
        answers=kept,
        answers_omitted=len(records) - len(kept),
        flags=list(event.flags) if detail.extras else None,
        step=event.step,
        truncated=event.truncated or None,
        query_ms=event.query_ms,
        connect_ms=event.connect_ms,
        error=_maybe(event.error, detail.text),
    )


def _http(event: HttpEvent, detail: Detail) -> rm.HttpResult:
    t, tls = event.timings, event.tls
    return rm.HttpResult(
        url=_cut(event.url, detail.text),
        status=event.status,
        http_version=event.http_version,
        address=event.address,
        timings=rm.HttpTimings(
            dns_ms=t.dns_ms,
            connect_ms=t.connect_ms,
            tls_ms=t.tls_ms,
            ttfb_ms=t.ttfb_ms,
            total_ms=t.total_ms,
        ),
        tls=_tls(tls, detail) if tls else None,
        redirects=[
            rm.Redirect(url=_cut(hop.url, detail.text), status=hop.status)
            for hop in _head(event.redirects, detail.items)
        ],
        body_bytes=event.body_bytes,
        error=_maybe(event.error, detail.text),
    )


def _tls(tls: TlsInfo, detail: Detail) -> rm.TlsSummary:
    if not detail.extras:
        return rm.TlsSummary(version=tls.version, days_left=tls.days_left, verified=tls.verified)
    return rm.TlsSummary(
        version=tls.version,
        alpn=tls.alpn,
        subject=_maybe(tls.subject, detail.text),
        issuer=_maybe(tls.issuer, detail.text),
        days_left=tls.days_left,
        verified=tls.verified,
    )


def _problem(error: ErrorEvent, detail: Detail) -> rm.Problem:
    return rm.Problem(
        code=error.code,
        message=_cut(error.message, detail.text),
        agent=error.agent,
        target=_maybe(error.target, detail.text),
    )


def _head(items: Sequence[_T], count: int) -> list[_T]:
    return list(items[:count])


def _cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _maybe(text: str | None, limit: int) -> str | None:
    return None if text is None else _cut(text, limit)
