"""traceroute and mtr as a hop table per job: hop, responders, loss, last/avg/best/worst, and
the ASN and place of the responder when the events carry them (design.md's enrichment keys
``asn``, ``as_name``, ``country``, ``city``), blank otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import fmean

from cloudping.events import ExpectedPath, HopEvent, HopStats, PathSummaryEvent, Responder
from cloudping.render.aspath import path_text, seen_text
from cloudping.render.networks import network_label, place_label
from cloudping.render.reports.common import heading, jobs_of, ms, notes
from cloudping.render.reports.model import Cell, Report, Table
from cloudping.render.snapshot import JobView, Snapshot

HEADER = ("hop", "responders", "loss", "last", "avg", "best", "worst", "ASN", "place")


AS_PATH_HEADER = ("", "AS path", "peers")


def path_report(command: str, snapshot: Snapshot, when: datetime | None) -> Report:
    """One hop table per job, in the order the jobs started, each followed by the expected AS
    path beside the one seen when the hub has routes to the job's address."""
    tables = tuple(table for job in jobs_of(snapshot) for table in _tables(job))
    return Report(heading(command, snapshot, when), tables, notes(snapshot))


def _tables(job: JobView) -> tuple[Table, ...]:
    summary = job.outcome(PathSummaryEvent)
    if not isinstance(summary, PathSummaryEvent) or not summary.expected_paths:
        return (_table(job),)
    rows = [
        (Cell("BGP"), Cell(path_text(path)), Cell(_peers(path))) for path in summary.expected_paths
    ]
    rows.append((Cell("seen"), Cell(seen_text(summary)), Cell("")))
    title = f"{job.agent} -> {job.target}: AS path ({summary.expected_paths[0].prefix})"
    return _table(job), Table(title, AS_PATH_HEADER, tuple(rows))


def _peers(path: ExpectedPath) -> str:
    return f"{path.visibility}/{path.peers}"


def _table(job: JobView) -> Table:
    summary = job.outcome(PathSummaryEvent)
    if isinstance(summary, PathSummaryEvent):
        hops = summary.hops
        how = "reached" if summary.reached else "not reached"
    else:
        hops = hops_so_far(job.hops)
        how = job.state
    return Table(f"{job.agent} -> {job.target} ({how})", HEADER, tuple(map(_row, hops)))


def _row(hop: HopStats) -> tuple[Cell, ...]:
    who = [f"{name} ({address})" if name else address for address, name in _named(hop)]
    asn, place = _enrichment(hop)
    answered = hop.avg_ms if hop.received else None
    return (
        Cell(str(hop.ttl)),
        Cell(" ".join(who) or "*"),
        Cell(f"{hop.loss:g}%"),
        Cell(ms(hop.last_ms)),
        Cell(ms(hop.avg_ms), rtt=True, rtt_ms=answered),
        Cell(ms(hop.best_ms)),
        Cell(ms(hop.worst_ms)),
        Cell(asn),
        Cell(place),
    )


def _named(hop: HopStats) -> list[tuple[str, str | None]]:
    names = [*hop.names, *([None] * len(hop.addresses))]
    return list(zip(hop.addresses, names, strict=False))


def _enrichment(hop: HopStats) -> tuple[str, str]:
    """``AS64500 Name`` and ``City, CC`` of the hop's responders (the hub's annotation),
    each different one once; blank where none is known (no enrichment configured)."""
    networks = dict.fromkeys(network_label(r.asn, r.as_name) for r in hop.responders)
    places = dict.fromkeys(place_label(r.city, r.country) for r in hop.responders)
    return (
        " / ".join(label for label in networks if label),
        " / ".join(label for label in places if label),
    )


def hops_so_far(events: Sequence[HopEvent]) -> tuple[HopStats, ...]:
    """The hop table of a job still running, from the hop events so far (every round)."""
    by_ttl: dict[int, list[HopEvent]] = {}
    for event in events:
        by_ttl.setdefault(event.ttl, []).append(event)
    return tuple(_stats(ttl, by_ttl[ttl]) for ttl in sorted(by_ttl))


def _stats(ttl: int, events: Sequence[HopEvent]) -> HopStats:
    probes = [probe for event in events for probe in event.probes]
    rtts = [p.rtt_ms for p in probes if p.rtt_ms is not None]
    seen = {p.address: p for p in probes if p.address is not None}
    sent = len(probes)
    return HopStats(
        ttl=ttl,
        addresses=tuple(seen),
        names=tuple(p.name for p in seen.values()),
        responders=tuple(
            Responder(
                address=address,
                name=p.name,
                asn=p.asn,
                as_name=p.as_name,
                country=p.country,
                city=p.city,
            )
            for address, p in seen.items()
        ),
        sent=sent,
        received=len(rtts),
        loss=round(100.0 * (sent - len(rtts)) / sent, 1) if sent else 0.0,
        last_ms=rtts[-1] if rtts else None,
        avg_ms=fmean(rtts) if rtts else None,
        best_ms=min(rtts, default=None),
        worst_ms=max(rtts, default=None),
    )
