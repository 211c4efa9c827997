"""tcping and ``ping --proto tcp|udp`` as text: a line per probe naming host:port and its state.

Port probes read like the tcping tools, with iputils ping's statistics block::

    TCPING 198.18.3.2:443 (198.18.3.2): TCP connect
    Connected to 198.18.3.2:443: seq=1 time=0.241 ms (open)
    Connection refused by 198.18.3.2:443: seq=2 time=0.190 ms (closed)
    No answer from 198.18.3.2:443: seq=3 (filtered)
    From 198.18.2.2 seq=4 Destination Host Unreachable

    --- 198.18.3.2:443 tcping statistics ---
    4 probes transmitted, 2 received, +1 errors, 50% loss, time 3004ms
    rtt min/avg/max/mdev = 0.190/0.216/0.241/0.026 ms

A UDP probe's answers read ``Port unreachable from 198.18.3.2:33434: seq=1 time=0.105 ms
(closed)`` (the target's ICMP port unreachable), ``12 bytes from 198.18.3.2:53: seq=1 ttl=62
time=0.3 ms (open)`` (a datagram back) and ``No answer from 198.18.3.2:53: seq=2
(open|filtered)``. A TCP connect never learns the TTL of the SYN-ACK; a
received datagram always has one: that is how an ``open`` reply tells which it is.
"""

from __future__ import annotations

from cloudping.commands.names import split_host_port
from cloudping.events import PingSummaryEvent, ReplyEvent, StartEvent, TimeoutEvent
from cloudping.render.numbers import format_rtt
from cloudping.render.terminal.icmp_words import icmp_error_text

_METHODS = {"tcp-connect": "TCP connect", "udp": "UDP, {size} data bytes"}


def endpoint(host: str, port: int | None) -> str:
    """``host:port``, with an IPv6 address in brackets (RFC 3986 section 3.2.2)."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _target_endpoint(target: str, port: int | None) -> str:
    """The target as typed, as ``host:port`` whether or not it named the port."""
    try:
        host, _ = split_host_port(target, port or 0)
    except ValueError:
        return target
    return endpoint(host, port)


def start(event: StartEvent) -> str:
    """``TCPING host:port (address): TCP connect``; ``PING`` for ``ping --proto``."""
    method = _METHODS.get(event.method, event.method).format(size=event.size)
    shown = _target_endpoint(event.target, event.port)
    return f"{event.probe.upper()} {shown} ({event.address}): {method}"


def reply(event: ReplyEvent) -> str:
    """A probe's answer: open, closed, or an ICMP error from whoever sent it."""
    if event.state in (None, "unreachable"):
        error = icmp_error_text(event.icmp_error or "unreachable", event.mtu)
        return f"From {event.address} seq={event.seq} {error}"
    where = endpoint(event.address, event.port)
    ttl = f" ttl={event.ttl}" if event.ttl is not None else ""
    tail = f"seq={event.seq}{ttl} time={format_rtt(event.rtt_ms)} ms ({event.state})"
    if event.state == "closed":
        said = "Port unreachable from" if event.icmp_error else "Connection refused by"
        return f"{said} {where}: {tail}"
    if event.ttl is None:
        return f"Connected to {where}: {tail}"
    return f"{event.size} bytes from {where}: {tail}"


def timeout(event: TimeoutEvent) -> str:
    """Nothing came back within the timeout: the port is filtered (TCP) or, for UDP, open or
    filtered, written ``open|filtered`` as nmap does."""
    state = (event.state or "filtered").replace("_or_", "|")
    return f"No answer from {endpoint(event.address, event.port)}: seq={event.seq} ({state})"


def summary(event: PingSummaryEvent) -> str:
    """The statistics block: open and closed both count as received (the host answered); a
    port that refused every answered attempt says so on a line of its own."""
    counts = [f"{event.sent} probes transmitted", f"{event.received} received"]
    if event.errors:
        counts.append(f"+{event.errors} errors")
    counts += [f"{event.loss:g}% loss", f"time {event.duration_ms:.0f}ms"]
    title = f"--- {_target_endpoint(event.target, event.port)} {event.probe} statistics ---"
    lines = ["", title, ", ".join(counts)]
    if event.open == 0 and event.received:
        # The host answered with RSTs: reachable, but the service is not (exit status 1).
        lines.append(f"port closed: {event.received} of {event.sent} attempts refused")
    if event.received and None not in (event.min_ms, event.avg_ms, event.max_ms, event.stddev_ms):
        lines.append(
            f"rtt min/avg/max/mdev = {event.min_ms:.3f}/{event.avg_ms:.3f}/"
            f"{event.max_ms:.3f}/{event.stddev_ms:.3f} ms"
        )
    return "\n".join(lines)
