"""scan as text, as fping prints a sweep: a header, a line per host alive as it answers, and
the summary block with the rest as ranges (``-v``: a line per address as it comes).

```
SCAN 198.18.0.0/20: 4096 addresses, ICMP echo (raw socket)
198.18.3.10 alive 0.120 ms

--- 198.18.0.0/20 scan ---
4096 addresses, 4096 probed, 1 alive, 3839 unreachable, 1 not probed, 0.8 s, 980 pps
alive: 198.18.3.10
unreachable (net_unreachable from 198.18.1.1): 198.18.0.0-198.18.0.255, 198.18.4.0-...
not probed (sendto: Permission denied (a broadcast address)): 198.18.1.255
```
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from cloudping.events.model import ScanEvent, ScanSummaryEvent, StartEvent
from cloudping.events.ranges import compress
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
    """One address that answered, that a router said it cannot reach, or that this host
    could not send to."""
    rtt = f" {format_rtt(event.rtt_ms)} ms" if event.rtt_ms is not None else ""
    if event.state == "alive":
        return f"{event.address} alive{rtt}"
    if event.state == "failed":
        return f"{event.address} not probed: {event.reason}"
    return f"{event.address} {_why(event)}{rtt}"


def held(event: ScanEvent) -> bool:
    """True for an address said only in the summary's ranges (without ``-v``): fping prints
    the hosts alive as they answer; thousands of unreachable ones would bury them."""
    return event.state != "alive"


def summary(event: ScanSummaryEvent) -> str:
    """The summary block: counts, time and rate, and the live addresses as ranges."""
    failed = f"{event.failed} not probed, " if event.failed else ""
    counts = (
        f"{event.total} addresses, {event.probed} probed, {event.alive} alive, "
        f"{event.unreachable} unreachable, {failed}{event.duration_ms / 1000:.1f} s, "
        f"{event.rate_pps:.0f} pps"
    )
    alive = ", ".join(event.alive_ranges) or "none"
    return "\n".join(["", f"--- {event.target} scan ---", counts, f"alive: {alive}"])


def held_ranges(target: str, found: Sequence[ScanEvent]) -> list[str]:
    """The held addresses of one sweep as ranges, one line per reason (the router that said
    so, or why no probe left), in the order each reason first came."""
    network = ipaddress.ip_network(target)
    start = int(network.network_address)
    groups: dict[str, list[int]] = {}
    for event in found:
        if held(event):
            offset = int(ipaddress.ip_address(event.address)) - start
            groups.setdefault(_group(event), []).append(offset)
    return [
        f"{group}: {', '.join(compress(network, offsets))}" for group, offsets in groups.items()
    ]


def _group(event: ScanEvent) -> str:
    if event.state == "failed":
        return f"not probed ({event.reason})"
    return f"unreachable ({_cause(event)})"


def _why(event: ScanEvent) -> str:
    return f"unreachable: {_cause(event)}"


def _cause(event: ScanEvent) -> str:
    responder = f" from {event.responder}" if event.responder else ""
    return f"{event.icmp_error or 'no route'}{responder}"
