"""A measurement's events as blackbox_exporter's ``/probe`` answer, one series per agent.

blackbox_exporter answers one probe from one place; here every metric carries an ``agent``
label, one value per agent that ran the probe. The names, types and ``phase`` labels are
blackbox's (``probe_success``, ``probe_duration_seconds``, ``probe_icmp_duration_seconds``,
``probe_http_duration_seconds``, ``probe_dns_lookup_time_seconds``, ...), so dashboards and
alerts keep working; multi-packet ICMP adds loss, jitter and packet counts. A value cloudping
did not measure is left out rather than made up (blackbox's ``setup`` phase of ICMP, a DNS
lookup time for a name the agent resolved itself).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from cloudping.channels.probe.modules import ProbeModule
from cloudping.commands import split_host_port
from cloudping.events import (
    DnsEvent,
    ErrorEvent,
    Event,
    HttpEvent,
    MeasurementEvent,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
)

Labels = tuple[tuple[str, str], ...]

# Every metric /probe may write: name -> help (blackbox_exporter's own words where it has one).
HELP: dict[str, str] = {
    "probe_success": "Displays whether or not the probe was a success",
    "probe_duration_seconds": "Returns how long the probe took to complete in seconds",
    "probe_dns_lookup_time_seconds": "Returns the time taken for probe dns lookup in seconds",
    "probe_ip_protocol": "Specifies whether probe ip protocol is IP4 or IP6",
    "probe_ip_addr_hash": "Specifies the hash of IP address. It's useful to detect if the IP "
    "address changes.",
    "probe_failed_due_to_regex": "Indicates if probe failed due to regex",
    "probe_icmp_duration_seconds": "Duration of icmp request by phase",
    "probe_icmp_reply_hop_limit": "Replied packet hop-limit (TTL for ipv4)",
    "probe_icmp_packets_sent": "ICMP echo requests sent (cloudping: multi-packet probes)",
    "probe_icmp_packets_received": "ICMP echo replies received (cloudping: multi-packet probes)",
    "probe_icmp_packet_loss_ratio": "Share of ICMP echo requests without a reply, 0 to 1",
    "probe_icmp_jitter_seconds": "Mean difference between consecutive round-trip times",
    "probe_http_status_code": "Response HTTP status code",
    "probe_http_version": "Returns the version of HTTP of the probe response",
    "probe_http_ssl": "Indicates if SSL was used for the final redirect",
    "probe_http_redirects": "The number of redirects",
    "probe_http_content_length": "Length of http content response",
    "probe_http_uncompressed_body_length": "Length of uncompressed response body",
    "probe_http_duration_seconds": "Duration of http request by phase, summed over all redirects",
    "probe_ssl_earliest_cert_expiry": "Returns last SSL chain expiry in unixtime",
    "probe_tls_version_info": "Returns the TLS version used or NaN when unknown",
    "probe_dns_query_succeeded": "Displays whether or not the query was executed successfully",
    "probe_dns_answer_rrs": "Returns number of entries in the answer resource record list",
    "probe_dns_authority_rrs": "Returns number of entries in the authority resource record list",
    "probe_dns_additional_rrs": "Returns number of entries in the additional resource record list",
    "probe_dns_duration_seconds": "Duration of DNS request by phase",
}


@dataclass
class Reading:
    """What one agent's probe gave: values by (metric, extra labels)."""

    agent: str
    values: dict[tuple[str, Labels], float] = field(default_factory=dict)

    def set(self, name: str, value: float | None, **labels: str) -> None:
        """Record a value (None: not measured, left out)."""
        if value is not None:
            self.values[name, tuple(sorted(labels.items()))] = value


def readings(
    module: ProbeModule, target: str, events: Iterable[Event], elapsed_s: float
) -> list[Reading]:
    """Each agent's reading of ``module`` from the stream's events, in the stream's order of
    agents (every chosen agent has one: ``probe_success 0`` when it measured nothing).

    ``elapsed_s``: how long the whole measurement took, the ``probe_duration_seconds`` of an
    agent whose events do not say (a refused target, a job cut short).
    """
    by_agent: dict[str, Reading] = {}
    fold = _FOLD[module.prober]
    for event in events:
        if isinstance(event, MeasurementEvent):
            for agent in event.agents:
                by_agent[agent] = _failed(agent)
        elif event.agent is not None:
            reading = by_agent.setdefault(event.agent, _failed(event.agent))
            if isinstance(event, ErrorEvent):
                reading.set("probe_success", 0)
            else:
                fold(module, target, reading, event)
    for reading in by_agent.values():
        reading.values.setdefault(("probe_duration_seconds", ()), elapsed_s)
    return list(by_agent.values())


def exposition(found: Iterable[Reading]) -> bytes:
    """The readings in Prometheus' text format, every series labelled with its agent."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Readings(tuple(found)))
    return generate_latest(registry)


class _Readings(Collector):
    def __init__(self, found: tuple[Reading, ...]) -> None:
        self._found = found

    def collect(self) -> Iterator[Metric]:
        for name, help_text in sorted(HELP.items()):
            rows = [
                (reading.agent, labels, value)
                for reading in self._found
                for (metric, labels), value in reading.values.items()
                if metric == name
            ]
            if not rows:
                continue
            extra = [key for key, _ in rows[0][1]]
            family = GaugeMetricFamily(name, help_text, labels=["agent", *extra])
            for agent, labels, value in rows:
                family.add_metric([agent, *(v for _, v in labels)], value)
            yield family


def _failed(agent: str) -> Reading:
    reading = Reading(agent)
    reading.set("probe_success", 0)
    return reading


def _address(reading: Reading, address: str | None) -> None:
    """blackbox's ``probe_ip_protocol`` and ``probe_ip_addr_hash`` (FNV-1a of the address's
    bytes, as its ``ipHash``) of the address probed."""
    if address is None:
        return
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return
    reading.set("probe_ip_protocol", ip.version)
    digest = 0x811C9DC5
    for byte in ip.packed:
        digest = ((digest ^ byte) * 0x01000193) & 0xFFFFFFFF
    reading.set("probe_ip_addr_hash", digest)


def _lookup(reading: Reading, host: str) -> None:
    """``probe_dns_lookup_time_seconds``: 0 for an address (nothing to look up); a name the
    agent resolved is left out (the probes do not time their resolver yet)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    reading.set("probe_dns_lookup_time_seconds", 0.0)


def _fold_icmp(module: ProbeModule, target: str, reading: Reading, event: Event) -> None:
    if isinstance(event, StartEvent):
        _address(reading, event.address)
        _lookup(reading, target)
    elif isinstance(event, ReplyEvent) and event.ttl is not None:
        reading.set("probe_icmp_reply_hop_limit", event.ttl)
    elif isinstance(event, PingSummaryEvent):
        reading.set("probe_success", 1 if event.received else 0)
        reading.set("probe_duration_seconds", event.duration_ms / 1000)
        reading.set("probe_icmp_duration_seconds", _s(event.avg_ms), phase="rtt")
        reading.set("probe_icmp_packets_sent", event.sent)
        reading.set("probe_icmp_packets_received", event.received)
        reading.set("probe_icmp_packet_loss_ratio", event.loss / 100)
        if module.packets > 1:
            reading.set("probe_icmp_jitter_seconds", _s(event.jitter_ms))


def _fold_tcp(module: ProbeModule, target: str, reading: Reading, event: Event) -> None:
    if isinstance(event, StartEvent):
        _address(reading, event.address)
        _lookup(reading, split_host_port(target, default_port=0)[0])
        reading.set("probe_failed_due_to_regex", 0)
    elif isinstance(event, PingSummaryEvent):
        # A refused connect is an answer (received) but not an open port: blackbox fails it.
        reading.set("probe_success", 1 if event.open else 0)
        reading.set("probe_duration_seconds", event.duration_ms / 1000)


def _fold_http(module: ProbeModule, target: str, reading: Reading, event: Event) -> None:
    if not isinstance(event, HttpEvent):
        return
    timings = event.timings
    ok = event.error is None and event.status is not None and module.success(event.status)
    reading.set("probe_success", 1 if ok else 0)
    reading.set("probe_duration_seconds", _s(timings.total_ms))
    reading.set("probe_failed_due_to_regex", 0)
    _address(reading, event.address)
    if timings.dns_ms is None:
        _lookup(reading, urlsplit(target).hostname or "")
    reading.set("probe_dns_lookup_time_seconds", _s(timings.dns_ms))
    if event.status is None:
        return
    reading.set("probe_http_status_code", event.status)
    reading.set("probe_http_version", _version(event.http_version))
    reading.set("probe_http_ssl", 1 if event.url.lower().startswith("https:") else 0)
    reading.set("probe_http_redirects", len(event.redirects))
    reading.set("probe_http_content_length", _content_length(event.headers))
    if not event.truncated:
        reading.set("probe_http_uncompressed_body_length", event.body_bytes)
    for phase, seconds in _http_phases(event).items():
        reading.set("probe_http_duration_seconds", seconds, phase=phase)
    if event.tls is not None:
        reading.set("probe_ssl_earliest_cert_expiry", _expiry(event.tls.not_after))
        if event.tls.version:
            reading.set("probe_tls_version_info", 1, version=event.tls.version)


def _http_phases(event: HttpEvent) -> dict[str, float]:
    """blackbox's phases from cloudping's timings: ``ttfb`` and ``total`` count from the start
    of the request, the others are durations."""
    t = event.timings
    before = sum(x or 0.0 for x in (t.dns_ms, t.connect_ms, t.tls_ms))
    phases = {"resolve": t.dns_ms or 0.0, "connect": t.connect_ms or 0.0, "tls": t.tls_ms or 0.0}
    if t.ttfb_ms is not None:
        phases["processing"] = max(0.0, t.ttfb_ms - before)
        if t.total_ms is not None:
            phases["transfer"] = max(0.0, t.total_ms - t.ttfb_ms)
    return {phase: ms / 1000 for phase, ms in phases.items()}


def _fold_dns(module: ProbeModule, target: str, reading: Reading, event: Event) -> None:
    if not isinstance(event, DnsEvent):
        return
    succeeded = event.error is None and event.rcode is not None
    reading.set("probe_dns_query_succeeded", 1 if succeeded else 0)
    # blackbox's default valid_rcodes is NOERROR alone.
    reading.set("probe_success", 1 if succeeded and event.rcode == "NOERROR" else 0)
    _address(reading, event.address)
    _lookup(reading, split_host_port(target, default_port=0)[0])
    connect, query = event.connect_ms or 0.0, event.query_ms
    reading.set("probe_dns_duration_seconds", connect / 1000, phase="connect")
    reading.set("probe_dns_duration_seconds", _s(query), phase="request")
    reading.set("probe_duration_seconds", (connect + (query or 0.0)) / 1000)
    if succeeded:
        reading.set("probe_dns_answer_rrs", len(event.answers))
        reading.set("probe_dns_authority_rrs", len(event.authority))
        reading.set("probe_dns_additional_rrs", len(event.additional))


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def _version(text: str | None) -> float | None:
    """``HTTP/1.1``, ``1.1``, ``2``, ``h3`` as blackbox's number (1.1, 2, 3)."""
    digits = (text or "").upper().removeprefix("HTTP/").removeprefix("H")
    try:
        return float(digits)
    except ValueError:
        return None


def _content_length(headers: Iterable[tuple[str, str]]) -> float:
    """The ``Content-Length`` header, or -1 as blackbox says when there is none."""
    for name, value in headers:
        if name.lower() == "content-length" and value.strip().isdigit():
            return float(value)
    return -1.0


def _expiry(not_after: str | None) -> float | None:
    if not not_after:
        return None
    try:
        return datetime.fromisoformat(not_after).timestamp()
    except ValueError:
        return None


_FOLD = {"icmp": _fold_icmp, "tcp": _fold_tcp, "http": _fold_http, "dns": _fold_dns}
