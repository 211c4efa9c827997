"""Did a result get an answer? One rule per result kind, for exit statuses and verdicts.

As the Unix tools decide: ping (any reply), tcping (an open port: a refused connect proves the
host is there, not that the service is reachable), traceroute/mtr (the target reached), scan (a host
alive), dig (an answer, NXDOMAIN included), curl (any response, a 503 included).
"""

from __future__ import annotations

from cloudping.events.model import (
    DnsEvent,
    Event,
    HttpEvent,
    PathSummaryEvent,
    PingSummaryEvent,
    ScanSummaryEvent,
)


def answered(event: Event) -> bool | None:
    """True or False for an event that is a job's result; ``None`` for any other event."""
    match event:
        case PingSummaryEvent():  # ``open`` is None for ping and tcping stored before it
            return (event.received if event.open is None else event.open) > 0
        case PathSummaryEvent():
            return event.reached
        case ScanSummaryEvent():
            return event.alive > 0
        case DnsEvent():
            return event.error is None
        case HttpEvent():
            return event.status is not None
    return None
