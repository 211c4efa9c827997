"""A measurement's :class:`~cloudping.render.snapshot.Snapshot` as one compact MCP
:class:`ToolResult`, at a level of detail.

Pure: a snapshot in, a model out. The fold and the levels of detail are shared with every
channel (``cloudping.render``); what is MCP's own is this mapping onto the pydantic models
that are the tools' published output schema. Of each job (agent x target) it keeps the
address, the result events (a summary, DNS answers or the HTTP response) and the first error;
:class:`Detail` says how much of each list and which optional fields make it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from cloudping.channels.mcp import resultmodel as rm
from cloudping.events import (
    DnsEvent,
    ErrorEvent,
    HttpEvent,
    PathSummaryEvent,
    PingSummaryEvent,
    ScanSummaryEvent,
    TlsInfo,
)
from cloudping.events.verdict import answered
from cloudping.render.aspath import side_by_side
from cloudping.render.budget import Detail, cut
from cloudping.render.networks import network_label, place_label
from cloudping.render.snapshot import JobKey, JobView, Outcome, Snapshot

_T = TypeVar("_T")


def tool_result(snapshot: Snapshot, command: str, detail: Detail) -> rm.ToolResult:
    """The result of a measurement at ``detail``."""
    jobs = list(snapshot.jobs.items())
    shown = jobs[: detail.jobs]
    end = snapshot.end
    return rm.ToolResult(
        measurement_id=snapshot.measurement.id if snapshot.measurement else "",
        command=cut(command, detail.text * 4),
        status=end.status if end else "running",
        duration_ms=end.duration_ms if end else None,
        results=[_job_result(job, events, detail) for job, events in shown],
        jobs_omitted=len(jobs) - len(shown),
        errors=[_problem(error, detail) for error in _head(snapshot.errors, detail.items)],
        detail=detail.level,
        events=snapshot.count,
    )


def _job_result(job: JobKey, events: JobView, detail: Detail) -> rm.JobResult:
    agent, target = job
    result = rm.JobResult(
        agent=agent,
        target=cut(target, detail.text),
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


def _verdict(events: JobView) -> rm.Verdict:
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
        asn=event.asn,
        as_name=event.as_name,
        country=event.country,
        city=event.city,
    )


def _known(labels: list[str | None]) -> list[str | None] | None:
    """``labels`` when one of them says something (a hub without IP data: left out)."""
    return labels if any(labels) else None


def _path(event: PathSummaryEvent, detail: Detail) -> rm.PathResult:
    # The last hop is where the path ends (the target, or where it stopped): always kept.
    hops = list(event.hops)
    kept = hops if len(hops) <= detail.items else [*hops[: detail.items - 1], hops[-1]]
    rows = [
        rm.Hop(
            ttl=hop.ttl,
            addresses=list(hop.addresses),
            names=list(hop.names) if detail.extras and any(hop.names) else None,
            networks=_known([network_label(r.asn, r.as_name) for r in hop.responders]),
            places=_known([place_label(r.city, r.country) for r in hop.responders])
            if detail.extras
            else None,
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
        as_path=side_by_side(event),
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
    records = [f"{r.name} {r.ttl} {r.type} {cut(r.data, detail.text)}" for r in event.answers]
    kept = _head(records, detail.items)
    return rm.DnsAnswer(
        server=cut(event.server, detail.text),
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
        url=cut(event.url, detail.text),
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
            rm.Redirect(url=cut(hop.url, detail.text), status=hop.status)
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
        message=cut(error.message, detail.text),
        agent=error.agent,
        target=_maybe(error.target, detail.text),
        rule=error.rule,
    )


def _head(items: Sequence[_T], count: int) -> list[_T]:
    return list(items[:count])


def _maybe(text: str | None, limit: int) -> str | None:
    return None if text is None else cut(text, limit)
