"""scan as text: a header, a line per address that answered, and the summary block.

```
SCAN 198.18.3.0/24: 256 addresses, ICMP echo (raw socket)
198.18.3.10 alive 0.120 ms
198.18.3.77 unreachable: host_unreachable from 198.18.3.1

--- 198.18.3.0/24 scan ---
256 addresses, 256 probed, 12 alive, 1 unreachable, 0.8 s, 980 pps
alive: 198.18.3.10-198.18.3.19, 198.18.3.100
```
"""

from __future__ import annotations

import ipaddress

from cloudping.events.model import ScanEvent, ScanSummaryEvent, StartEvent
from cloudping.render.numbers import format_rtt

# How each transport method reads in the header.
_METHODS: dict[str, str] = {
    "raw": "ICMP echo (raw socket)",
    "datagram": "ICMP echo (datagram socket)",
    "udp": "UDP to port {port} (port unreachable = up)",
    "connect": "TCP connect to port {port} (open or reset = up)",
}


def start(event: StartEvent) -> str:
    """The header: the prefix, how many addresses, and how they are probed."""
    total = ipaddress.ip_network(event.address).num_addresses
    how = _METHODS.get(event.method, event.method).format(port=event.port)
    return f"SCAN {event.target}: {total} addresses, {how}"


def line(event: ScanEvent) -> str:
    """One address that answered, or that a router said it cannot reach."""
    rtt = f" {format_rtt(event.rtt_ms)} ms" if event.rtt_ms is not None else ""
    if event.state == "alive":
        return f"{event.address} alive{rtt}"
    responder = f" from {event.responder}" if event.responder else ""
    return f"{event.address} unreachable: {event.icmp_error or 'no route'}{responder}{rtt}"


def summary(event: ScanSummaryEvent) -> str:
    """The summary block: counts, time and rate, and the live addresses as ranges."""
    counts = (
        f"{event.total} addresses, {event.probed} probed, {event.alive} alive, "
        f"{event.unreachable} unreachable, {event.duration_ms / 1000:.1f} s, "
        f"{event.rate_pps:.0f} pps"
    )
    alive = ", ".join(event.alive_ranges) or "none"
    return "\n".join(["", f"--- {event.target} scan ---", counts, f"alive: {alive}"])
