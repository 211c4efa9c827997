"""ping as text, as iputils ping prints it: header, reply lines, errors, statistics.

``no answer yet for icmp_seq=N`` for a timeout is iputils' ``-O`` wording; ``From ADDR
icmp_seq=N ...`` an ICMP error with iputils' words (``icmp_words``).
"""

from __future__ import annotations

from cloudping.events import ErrorEvent, PingSummaryEvent, ReplyEvent, StartEvent, TimeoutEvent
from cloudping.render.numbers import format_rtt
from cloudping.render.terminal.icmp_words import ICMP_ERRORS


def timeout(event: TimeoutEvent) -> str:
    return f"no answer yet for icmp_seq={event.seq}"


def error(event: ErrorEvent) -> str:
    return f"cloudping: {event.message}"  # messages name their target, as ping's do


def start(event: StartEvent) -> str:
    if event.family == 4:
        return (
            f"PING {event.target} ({event.address}) {event.size}({event.size + 28}) bytes of data."
        )
    return f"PING {event.target} ({event.address}) {event.size} data bytes"


def reply(event: ReplyEvent) -> str:
    if event.icmp_error is not None:
        text = ICMP_ERRORS.get(event.icmp_error, event.icmp_error.replace("_", " "))
        return f"From {event.address} icmp_seq={event.seq} {text.format(mtu=event.mtu)}"
    ttl = f" ttl={event.ttl}" if event.ttl is not None else ""
    time = format_rtt(event.rtt_ms)
    line = f"{event.size} bytes from {event.address}: icmp_seq={event.seq}{ttl} time={time} ms"
    if event.duplicate:
        line += " (DUP!)"
    if event.late:
        line += " (late)"
    return line


def summary(event: PingSummaryEvent) -> str:
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
