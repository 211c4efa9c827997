"""Reports: a measurement's snapshot as tables and waterfalls, one builder per command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cloudping.render.reports.dns import dns_report
from cloudping.render.reports.http import http_report
from cloudping.render.reports.model import Cell, Phase, Report, Section, Table, Waterfall
from cloudping.render.reports.path import path_report
from cloudping.render.reports.ping import ping_report
from cloudping.render.reports.scan import scan_report
from cloudping.render.snapshot import Snapshot

Builder = Callable[[str, Snapshot, datetime | None], Report]
BUILDERS: dict[str, Builder] = {
    "ping": ping_report,
    "tcping": ping_report,
    "traceroute": path_report,
    "mtr": path_report,
    "dns": dns_report,
    "http": http_report,
    "scan": scan_report,
}


def report(command: str, snapshot: Snapshot, when: datetime | None = None) -> Report:
    """The report of a measurement of ``command`` so far.

    Raises:
        KeyError: ``command`` is not a measurement (see :data:`BUILDERS`).
    """
    return BUILDERS[command](command, snapshot, when)


__all__ = [
    "BUILDERS",
    "Cell",
    "Phase",
    "Report",
    "Section",
    "Table",
    "Waterfall",
    "report",
]
