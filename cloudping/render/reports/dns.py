"""dns as tables: per job and query, the records of each section, as dig lists them."""

from __future__ import annotations

from datetime import datetime

from cloudping.events import DnsEvent
from cloudping.render.reports.common import heading, jobs_of, ms, notes
from cloudping.render.reports.model import Cell, Report, Table
from cloudping.render.snapshot import Snapshot
from cloudping.render.terminal.dns import server_text

HEADER = ("section", "name", "TTL", "type", "data")
_SECTIONS = (("answer", "answers"), ("authority", "authority"), ("additional", "additional"))


def dns_report(command: str, snapshot: Snapshot, when: datetime | None) -> Report:
    """A table per DNS answer (each step of a ``--trace``), job after job."""
    tables = tuple(
        _table(job.agent, event)
        for job in jobs_of(snapshot)
        for event in job.outcomes
        if isinstance(event, DnsEvent)
    )
    return Report(heading(command, snapshot, when), tables, notes(snapshot))


def _table(agent: str, event: DnsEvent) -> Table:
    asked = f"{event.qname or event.target} {event.qtype}"
    step = f"step {event.step}: " if event.step is not None else ""
    how = f"{server_text(event)} ({event.transport})"
    if event.error is not None:
        result = f"no answer: {event.error}"
    else:
        result = f"{event.rcode}, {ms(event.query_ms)} ms"
    rows = tuple(
        (Cell(title), Cell(r.name), Cell(str(r.ttl)), Cell(r.type), Cell(r.data))
        for title, name in _SECTIONS
        for r in getattr(event, name)
    )
    return Table(f"{agent}: {step}{asked} @ {how} - {result}", HEADER, rows)
