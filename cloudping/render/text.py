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
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    TimeoutEvent,
)

# iputils ping's wording (ping4_common.c pr_icmph, ping6_common.c pr_icmph).
_ICMP_ERRORS: dict[str, str] = {
    "net_unreachable": "Destination Net Unreachable",
    "host_unreachable": "Destination Host Unreachable",
    "protocol_unreachable": "Destination Protocol Unreachable",
    "port_unreachable": "Destination Port Unreachable",
    "frag_needed": "Frag needed and DF set (mtu = {mtu})",
    "source_route_failed": "Source Route Failed",
    "net_unknown": "Destination Net Unknown",
    "host_unknown": "Destination Host Unknown",
    "net_prohibited": "Destination Net Prohibited",
    "host_prohibited": "Destination Host Prohibited",
    "admin_prohibited": "Packet filtered",
    "beyond_scope": "Destination unreachable: Beyond scope",
    "source_policy_failed": "Destination unreachable: Source address failed ingress/egress policy",
    "reject_route": "Destination unreachable: Reject route to destination",
    "packet_too_big": "Packet too big: mtu={mtu}",
    "time_exceeded": "Time to live exceeded",
    "reassembly_timeout": "Frag reassembly time exceeded",
    "parameter_problem": "Parameter problem",
    "source_quench": "Source Quench",
    "redirect": "Redirect",
    "local_error": "local error: message too long, mtu={mtu}",
}


@dataclass(frozen=True, slots=True)
class TextStyle:
    """How to lay out lines: prefix each with its job when a measurement has several."""

    prefix_jobs: bool = False


def format_rtt(ms: float) -> str:
    """An RTT with iputils' precision: 3 significant digits below 100 ms."""
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def render(event: Event, style: TextStyle = TextStyle()) -> str | None:
    """The text of one event (possibly several lines), or ``None`` when it prints nothing."""
    text = _render(event)
    if text is None or not style.prefix_jobs or event.agent is None:
        return text
    prefix = f"[{event.agent} {event.target}] " if event.target else f"[{event.agent}] "
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _render(event: Event) -> str | None:
    draw = _DRAW.get(type(event))
    return None if draw is None else draw(event)


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


# What draws each kind of event; a kind not listed prints nothing (measurement, end, ...).
_DRAW: dict[type, Callable[[Any], str]] = {
    StartEvent: _start,
    ReplyEvent: _reply,
    TimeoutEvent: _timeout,
    PingSummaryEvent: _ping_summary,
    ErrorEvent: _error,
}
