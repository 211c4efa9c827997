"""Plain text, as the Unix tools print it: pure functions of events.

Ping reads like iputils ping: a header per target, a line per reply (``(DUP!)`` for duplicates),
``no answer yet for icmp_seq=N`` for a timeout (iputils' ``-O``), ``From ADDR icmp_seq=N ...``
for an ICMP error, and the statistics block. When a measurement has several jobs (targets or
agents), each line starts with ``[agent target]`` so interleaved streams stay readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudping.events import (
    ErrorEvent,
    Event,
    HopEvent,
    PathSummaryEvent,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    TimeoutEvent,
)
from cloudping.events.model import DnsEvent, HttpEvent, ScanEvent, ScanSummaryEvent
from cloudping.render import dns_text, http_text, path_text, scan_text, tcping_text
from cloudping.render.icmp_words import ICMP_ERRORS as _ICMP_ERRORS
from cloudping.render.numbers import format_rtt


@dataclass(frozen=True, slots=True)
class TextStyle:
    """How to lay out lines: prefix each with its job when a measurement has several."""

    prefix_jobs: bool = False


def render(event: Event, style: TextStyle = TextStyle()) -> str | None:
    """The text of one event (possibly several lines), or ``None`` when it prints nothing."""
    text = _render(event)
    if text is None or not style.prefix_jobs or event.agent is None:
        return text
    prefix = f"[{event.agent} {event.target}] " if event.target else f"[{event.agent}] "
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _render(event: Event) -> str | None:
    kind = type(event)
    draw = _DRAW.get((kind, _probe_kind(event))) or _DRAW.get((kind, None))
    return None if draw is None else draw(event)


def _probe_kind(event: Event) -> str | None:
    """The probe whose drawers an event takes: its ``probe``; the events of a port probe
    (tcping, ``ping --proto tcp|udp``) name their ``port`` and take tcping's."""
    probe = getattr(event, "probe", None)
    if probe in (None, "ping") and getattr(event, "port", None) is not None:
        return "tcping"
    return probe


def _timeout(event: TimeoutEvent) -> str:
    return f"no answer yet for icmp_seq={event.seq}"


def _error(event: ErrorEvent) -> str:
    return f"cloudping: {event.message}"  # messages name their target, as ping's do


def _start(event: StartEvent) -> str:
    if event.family == 4:
        return (
            f"PING {event.target} ({event.address}) {event.size}({event.size + 28}) bytes of data."
        )
    return f"PING {event.target} ({event.address}) {event.size} data bytes"


def _reply(event: ReplyEvent) -> str:
    if event.icmp_error is not None:
        text = _ICMP_ERRORS.get(event.icmp_error, event.icmp_error.replace("_", " "))
        return f"From {event.address} icmp_seq={event.seq} {text.format(mtu=event.mtu)}"
    ttl = f" ttl={event.ttl}" if event.ttl is not None else ""
    time = format_rtt(event.rtt_ms)
    line = f"{event.size} bytes from {event.address}: icmp_seq={event.seq}{ttl} time={time} ms"
    if event.duplicate:
        line += " (DUP!)"
    if event.late:
        line += " (late)"
    return line


def _ping_summary(event: PingSummaryEvent) -> str:
    counts = [f"{event.sent} packets transmitted", f"{event.received} received"]
    if event.duplicates:
        counts.append(f"+{event.duplicates} duplicates")
    if event.late:
        counts.append(f"+{event.late} late")
    if event.errors:
        counts.append(f"+{event.errors} errors")
    counts += [f"{event.loss:g}% packet loss", f"time {event.duration_ms:.0f}ms"]
    lines = ["", f"--- {event.target} ping statistics ---", ", ".join(counts)]
    if event.received and None not in (event.min_ms, event.avg_ms, event.max_ms, event.stddev_ms):
        lines.append(
            f"rtt min/avg/max/mdev = {event.min_ms:.3f}/{event.avg_ms:.3f}/"
            f"{event.max_ms:.3f}/{event.stddev_ms:.3f} ms"
        )
    return "\n".join(lines)


# What draws each kind of event, by (class, probe kind); (class, None) serves any probe kind.
# A kind not listed prints nothing (measurement, end, ...).
_DRAW: dict[tuple[type, str | None], Callable[[Any], str | None]] = {
    (StartEvent, None): _start,
    (ReplyEvent, None): _reply,
    (TimeoutEvent, None): _timeout,
    (PingSummaryEvent, None): _ping_summary,
    (StartEvent, "tcping"): tcping_text.start,
    (ReplyEvent, "tcping"): tcping_text.reply,
    (TimeoutEvent, "tcping"): tcping_text.timeout,
    (PingSummaryEvent, "tcping"): tcping_text.summary,
    (ErrorEvent, None): _error,
    (StartEvent, "traceroute"): path_text.start,
    (StartEvent, "mtr"): path_text.start,
    (HopEvent, "traceroute"): path_text.hop,
    (HopEvent, "mtr"): path_text.mtr_hop,
    (PathSummaryEvent, None): path_text.summary,
    (StartEvent, "scan"): scan_text.start,
    (ScanEvent, None): scan_text.line,
    (ScanSummaryEvent, None): scan_text.summary,
    (DnsEvent, None): dns_text.dns_event,
    (HttpEvent, None): http_text.http,
}
