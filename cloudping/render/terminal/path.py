"""traceroute and mtr as text: traceroute(8)'s hop lines and mtr's report (``mtr -r``)."""

from __future__ import annotations

from cloudping.events import HopEvent, HopProbe, HopStats, PathSummaryEvent, StartEvent
from cloudping.render.aspath import as_path_line
from cloudping.render.networks import network_label
from cloudping.render.numbers import format_rtt

# traceroute(8)'s annotations of ICMP errors that end the path.
_MARKS: dict[str, str] = {
    "host_unreachable": "!H",
    "net_unreachable": "!N",
    "protocol_unreachable": "!P",
    "port_unreachable": "!P",
    "source_route_failed": "!S",
    "frag_needed": "!F",
    "packet_too_big": "!F",
    "admin_prohibited": "!X",
    "net_prohibited": "!X",
    "host_prohibited": "!X",
    "reject_route": "!X",
    "beyond_scope": "!S",
}
_REPORT_COLUMNS = (
    f"{'Loss%':>6} {'Snt':>5} {'Last':>7} {'Avg':>7} {'Best':>7} {'Wrst':>7} {'StDev':>7}"
)


def start(event: StartEvent) -> str:
    """traceroute's header, with the size of the packets it sends."""
    packet = event.size + (20 if event.family == 4 else 40) + (20 if event.method == "tcp" else 8)
    tool = "traceroute" if event.probe == "traceroute" else "mtr"
    where = f"{event.target} ({event.address})"
    return f"{tool} to {where}, {event.max_hops} hops max, {packet} byte packets"


def hop(event: HopEvent) -> str:
    """`` 2  name (address)  0.123 ms  0.101 ms *``: a new responder starts a new group (ECMP)."""
    parts: list[str] = []
    shown: str | None = None
    for probe in event.probes:
        if probe.address is None:
            parts.append("*")
            continue
        if probe.address != shown:
            parts.append(_who(probe))
            shown = probe.address
        parts.append(_time(probe))
    return f"{event.ttl:2d}  " + "  ".join(parts)


def _who(probe: HopProbe) -> str:
    who = f"{probe.name} ({probe.address})" if probe.name else str(probe.address)
    network = network_label(probe.asn, probe.as_name)
    return f"{who} [{network}]" if network else who


def _time(probe: HopProbe) -> str:
    text = f"{format_rtt(probe.rtt_ms or 0.0)} ms"
    mark = _MARKS.get(probe.icmp_error or "")
    if mark == "!F" and probe.mtu:
        mark = f"!F-{probe.mtu}"
    return f"{text} {mark}" if mark else text


def mtr_hop(event: HopEvent) -> None:
    """mtr prints its report at the end (``mtr -r``); rounds are in the JSON stream."""


def summary(event: PathSummaryEvent) -> str:
    """traceroute: a closing line; mtr: the report table, one row per hop and responder;
    then the expected AS path beside the one seen, when the hub has routes to the address."""
    if event.probe == "traceroute":
        verdict = "reached" if event.reached else "not reached"
        mtu = f", path MTU {event.path_mtu}" if event.path_mtu else ""
        hops = len(event.hops)
        lines = [f"--- {event.target} ({event.address}) {verdict} in {hops} hops{mtu} ---"]
    else:
        lines = [f"HOST: {event.agent:<30} {_REPORT_COLUMNS}"]
        for row in event.hops:
            lines.extend(_report_rows(row))
    as_path = as_path_line(event)
    return "\n".join([*lines, as_path] if as_path else lines)


def _report_rows(row: HopStats) -> list[str]:
    figures = (
        f"{row.loss:5.1f}% {row.sent:5d} {_ms(row.last_ms)} {_ms(row.avg_ms)} "
        f"{_ms(row.best_ms)} {_ms(row.worst_ms)} {_ms(row.stddev_ms)}"
    )
    networks = {r.address: network_label(r.asn, r.as_name) for r in row.responders}
    names = [
        f"{n or a} [{networks[a]}]" if networks.get(a) else n or a
        for a, n in zip(row.addresses, row.names, strict=True)
    ] or ["???"]
    first = f"{row.ttl:3d}.|-- {names[0]:<30} {figures}"
    return [first] + [f"    |   {name}" for name in names[1:]]


def _ms(value: float | None) -> str:
    return f"{value:7.1f}" if value is not None and value >= 10 else f"{value or 0.0:7.2f}"
