"""scan as a table per job: counts, then the live addresses as ranges (the bitmap is the
picture; this is what text media show)."""

from __future__ import annotations

from datetime import datetime

from cloudping.events import ScanSummaryEvent
from cloudping.render.reports.common import heading, jobs_of, notes
from cloudping.render.reports.model import Cell, Report, Table
from cloudping.render.snapshot import JobView, Snapshot

HEADER = ("address", "state", "RTT (ms)")


def scan_report(command: str, snapshot: Snapshot, when: datetime | None) -> Report:
    """A table per swept prefix: each address found, coloured by its RTT."""
    tables = tuple(_table(job) for job in jobs_of(snapshot))
    return Report(heading(command, snapshot, when), tables, notes(snapshot))


def _table(job: JobView) -> Table:
    summary = job.outcome(ScanSummaryEvent)
    if isinstance(summary, ScanSummaryEvent):
        counts = f"{summary.alive} alive of {summary.total}, {summary.probed} probed"
    else:
        counts = f"{len(job.found)} found so far"
    rows = tuple(
        (
            Cell(found.address),
            Cell(found.state),
            Cell(
                "-" if found.rtt_ms is None else f"{found.rtt_ms:.3f}",
                rtt=found.state == "alive",
                rtt_ms=found.rtt_ms,
            ),
        )
        for found in job.found
    )
    return Table(f"{job.agent}: {job.target} - {counts}", HEADER, rows)
