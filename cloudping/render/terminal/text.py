"""Plain text, as the Unix tools print it: pure functions of events, one module per probe.

This module picks the drawer of each event by (event class, probe kind) and, when a
measurement has several jobs (targets or agents), starts each line with ``[agent target]`` so
interleaved streams stay readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
from cloudping.render.terminal import dns as dns_text
from cloudping.render.terminal import http as http_text
from cloudping.render.terminal import path as path_text
from cloudping.render.terminal import ping as ping_text
from cloudping.render.terminal import scan as scan_text
from cloudping.render.terminal import tcping as tcping_text


@dataclass(frozen=True, slots=True)
class TextStyle:
    """How to lay out lines: prefix each with its job when a measurement has several; with
    ``verbose``, a line per address of a scan, not only per host alive (fping's ``-v``)."""

    prefix_jobs: bool = False
    verbose: bool = False


def render(event: Event, style: TextStyle = TextStyle()) -> str | None:
    """The text of one event (possibly several lines), or ``None`` when it prints nothing."""
    if isinstance(event, ScanEvent) and not style.verbose and scan_text.held(event):
        return None  # said with the summary: render_held()
    return _prefixed(_render(event), event, style)


def render_held(
    summary: ScanSummaryEvent, found: Sequence[ScanEvent], style: TextStyle
) -> str | None:
    """The scan addresses :func:`render` held back, as ranges after the sweep's ``summary``;
    ``None`` with ``verbose`` (each had its line) or when there are none."""
    lines = [] if style.verbose else scan_text.held_ranges(summary.target, found)
    return _prefixed("\n".join(lines), summary, style) if lines else None


def _prefixed(text: str | None, event: Event, style: TextStyle) -> str | None:
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


# What draws each kind of event, by (class, probe kind); (class, None) serves any probe kind.
# A kind not listed prints nothing (measurement, end, ...).
_DRAW: dict[tuple[type, str | None], Callable[[Any], str | None]] = {
    (StartEvent, None): ping_text.start,
    (ReplyEvent, None): ping_text.reply,
    (TimeoutEvent, None): ping_text.timeout,
    (PingSummaryEvent, None): ping_text.summary,
    (StartEvent, "tcping"): tcping_text.start,
    (ReplyEvent, "tcping"): tcping_text.reply,
    (TimeoutEvent, "tcping"): tcping_text.timeout,
    (PingSummaryEvent, "tcping"): tcping_text.summary,
    (ErrorEvent, None): ping_text.error,
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
