"""The event model: what every probe emits and every channel renders.

A measurement is a stream of events, one JSON object per line, each with ``type``. The first is
``measurement``, the last ``end``. Every event names its ``agent`` and ``target`` (``None`` on
the two that speak for the whole measurement). Times are milliseconds as floats, addresses are
strings, field names snake_case. The published JSON Schema (``schema.json`` beside this file)
is generated from these classes; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal, TypeVar, cast, dataclass_transform

from pydantic import ConfigDict, Field

from cloudping.errors import CloudpingError
from cloudping.events.status import EndStatus

_T = TypeVar("_T", bound=type)
Percent = Annotated[float, Field(ge=0, le=100, description="percent of sent probes unanswered")]
PortState = Literal["open", "closed", "filtered", "unreachable", "open_or_filtered"]
"""What one port probe (tcping, ``ping --proto tcp|udp``) learnt of the port (nmap's words)."""
PolicyRule = Literal["scope", "not_served", "reserved"]
"""Which rule of the target policy refused (``policy_denied``): the asker lacks the ``private``
scope for a range the agent serves; the agent does not serve the range; no host answers there."""
_CONFIG = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


@dataclass_transform(frozen_default=True, kw_only_default=True)
def _event(cls: _T) -> _T:
    """Make an event class: frozen, slotted, keyword-only, with a strict published schema."""
    made = cast("_T", dataclass(frozen=True, slots=True, kw_only=True)(cls))
    setattr(made, "__pydantic_config__", _CONFIG)  # noqa: B010 (pydantic reads it from the class)
    return made


@_event
class MeasurementEvent:
    """First event: which measurement this is, what was asked and who runs it."""

    id: str
    command: str
    agents: tuple[str, ...]
    read_key: Annotated[
        str | None,
        Field(description="lets whoever holds it read this measurement (?key=); none locally"),
    ] = None
    agent: None = None
    target: None = None
    type: Literal["measurement"] = "measurement"


@_event
class StartEvent:
    """One job (agent x target) begins: the resolved address and how it is probed."""

    agent: str
    target: str
    address: str
    family: Literal[4, 6]
    probe: str
    method: str
    size: int
    port: int | None = None
    max_hops: int | None = None
    type: Literal["start"] = "start"


@_event
class ReplyEvent:
    """An answer to one probe packet: an echo reply, or an ICMP error about it.

    ``icmp_error`` is ``None`` for a real reply; otherwise it names the error
    (``time_exceeded``, ``host_unreachable``, ``frag_needed``, ...) sent by ``address``.
    ``duplicate`` and ``late`` (after its timeout was declared) replies are reported but not
    counted as received. A port probe's answer has ``state``: ``open`` (SYN-ACK, a UDP
    datagram back), ``closed`` (RST, the target's ICMP port unreachable) or ``unreachable``
    (an ICMP error from anyone else, or a local one: the probe never reached the port).
    """

    agent: str
    target: str
    seq: int
    address: str
    rtt_ms: float
    size: int
    ttl: int | None = None
    duplicate: bool = False
    late: bool = False
    icmp_error: str | None = None
    mtu: int | None = None
    port: int | None = None
    state: PortState | None = None
    type: Literal["reply"] = "reply"


@_event
class TimeoutEvent:
    """No answer to probe ``seq`` within its per-packet timeout.

    A port probe's timeout names its ``port`` and ``state``: ``filtered`` for TCP (nothing
    answered the SYN), ``open_or_filtered`` for UDP (a listening service need not answer).
    """

    agent: str
    target: str
    seq: int
    address: str
    timeout_ms: float
    port: int | None = None
    state: PortState | None = None
    type: Literal["timeout"] = "timeout"


@_event
class PingSummaryEvent:
    """Statistics of one ping job (agent x target), as iputils ping prints them."""

    agent: str
    target: str
    address: str
    sent: int
    received: int
    loss: Percent
    duplicates: int = 0
    late: int = 0
    errors: int = 0
    min_ms: float | None = None
    avg_ms: float | None = None
    max_ms: float | None = None
    stddev_ms: float | None = None
    jitter_ms: float | None = None
    duration_ms: float = 0.0
    port: int | None = None
    open: Annotated[
        int | None,
        Field(
            description="tcping: the connects that found the port open (received counts "
            "refused ones too: the host answered, the service did not)"
        ),
    ] = None
    probe: Literal["ping", "tcping"] = "ping"
    # The target's network and place, added by the hub from its local data (issue 17).
    asn: int | None = None
    as_name: str | None = None
    country: str | None = None
    city: str | None = None
    type: Literal["summary"] = "summary"


@_event
class HopProbe:
    """One probe's answer at a hop: who answered, how fast, and with what (``None``: nobody)."""

    address: str | None = None
    rtt_ms: float | None = None
    name: str | None = None
    icmp_error: str | None = None
    mtu: int | None = None
    # The responder's network and place, added by the hub from its local data (issue 17).
    asn: int | None = None
    as_name: str | None = None
    country: str | None = None
    city: str | None = None


@_event
class HopEvent:
    """One hop of a path (traceroute), or one hop in one round (mtr), in TTL order.

    ``icmp_error`` of a probe is ``time_exceeded`` for a router, ``None`` for the destination's
    own answer, and an unreachable code (shown ``!H``, ``!N``, ``!X`` ...) where the path ends.
    """

    agent: str
    target: str
    ttl: int
    probes: tuple[HopProbe, ...]
    round: int = 1
    probe: Literal["traceroute", "mtr"] = "traceroute"
    type: Literal["hop"] = "hop"


@_event
class Responder:
    """One address that answered at a hop, with its name, network and place (null: unknown)."""

    address: str
    name: str | None = None
    asn: int | None = None
    as_name: str | None = None
    country: str | None = None
    city: str | None = None


@_event
class HopStats:
    """A hop's statistics over every probe sent to it (mtr's report columns)."""

    ttl: int
    addresses: tuple[str, ...]
    names: tuple[str | None, ...]
    sent: int
    received: int
    loss: Percent
    last_ms: float | None = None
    avg_ms: float | None = None
    best_ms: float | None = None
    worst_ms: float | None = None
    stddev_ms: float | None = None
    jitter_ms: float | None = None
    responders: tuple[Responder, ...] = ()


@_event
class ExpectedPath:
    """An AS path the hub's route store has towards a path's address: the routes of the
    longest prefix covering it, ``visibility`` of its ``peers`` carrying this path (an
    AS_SET as its sorted ASNs)."""

    prefix: str
    as_path: tuple[int | tuple[int, ...], ...]
    visibility: int
    peers: int


@_event
class PathSummaryEvent:
    """The path of a traceroute or mtr job: a row per hop, and whether the target answered."""

    agent: str
    target: str
    address: str
    probe: Literal["traceroute", "mtr"]
    reached: bool
    hops: tuple[HopStats, ...]
    duration_ms: float = 0.0
    path_mtu: int | None = None
    expected_paths: Annotated[
        tuple[ExpectedPath, ...] | None,
        Field(description="the hub's BGP view of the address, most-seen first (null: no route)"),
    ] = None
    type: Literal["summary"] = "summary"


@_event
class ScanEvent:
    """Hosts of a sweep that answered (``alive``) or drew an ICMP error, as they come; and
    those this host could not send a probe to (``failed``, with the ``reason``: the local
    broadcast address without SO_BROADCAST is refused with EACCES)."""

    agent: str
    target: str
    address: str
    state: Literal["alive", "unreachable", "failed"]
    rtt_ms: float | None = None
    icmp_error: str | None = None
    responder: str | None = None
    reason: str | None = None
    type: Literal["scan"] = "scan"


@_event
class ScanSummaryEvent:
    """The result of a sweep of ``target`` (a CIDR)."""

    agent: str
    target: str
    total: int
    probed: int
    alive: int
    unreachable: int
    alive_ranges: tuple[str, ...]
    sent: int
    rate_pps: float
    duration_ms: float
    failed: int = 0  # addresses no probe could be sent to (their `scan` events say why)
    # The swept range's network and place (of its first address), added by the hub (issue 17).
    asn: int | None = None
    as_name: str | None = None
    country: str | None = None
    city: str | None = None
    probe: Literal["scan"] = "scan"
    type: Literal["summary"] = "summary"


@_event
class DnsRecord:
    """One resource record of an answer, as presentation text (RFC 1035 section 5)."""

    name: str
    ttl: int
    type: str
    data: str


@_event
class DnsEvent:
    """One DNS query's result: a server's answer, or why there was none (``error``).

    ``connect_ms`` covers TCP connect plus the TLS handshake for DoT/DoH (``None`` on a reused
    connection or UDP); ``query_ms`` is the exchange itself. ``truncated`` says a UDP answer had
    TC set and was asked again over TCP (``transport`` then says ``tcp``). ``server`` names the
    server as asked (``host:port`` or a DoH URL), ``address`` the address contacted, ``qname``
    the name as sent (an address's reverse name for PTR). ``step`` numbers the queries of a
    ``--trace`` (1: the root servers from the resolver, then each referral); ``None`` otherwise.
    """

    agent: str
    target: str
    server: str
    transport: str
    qtype: str
    address: str | None = None
    qname: str | None = None
    step: int | None = None
    rcode: str | None = None
    flags: tuple[str, ...] = ()
    answers: tuple[DnsRecord, ...] = ()
    authority: tuple[DnsRecord, ...] = ()
    additional: tuple[DnsRecord, ...] = ()
    truncated: bool = False
    connect_ms: float | None = None
    query_ms: float | None = None
    size: int | None = None
    nsid: str | None = None
    error: str | None = None
    type: Literal["dns"] = "dns"


@_event
class HttpHop:
    """One response of a redirect chain: where it came from and how long each phase took."""

    url: str
    status: int
    location: str | None = None
    total_ms: float | None = None
    address: str | None = None
    timings: HttpTimings | None = None


@_event
class TlsInfo:
    """The TLS session and the server certificate as the client saw them."""

    version: str | None = None
    alpn: str | None = None
    cipher: str | None = None
    subject: str | None = None
    sans: tuple[str, ...] = ()
    issuer: str | None = None
    not_after: str | None = None
    days_left: float | None = None
    verified: bool = True


@_event
class HttpTimings:
    """Phase timings of one request, in milliseconds (``None``: the phase did not run).

    ``dns_ms``, ``connect_ms`` and ``tls_ms`` are the durations of those phases (HTTP/3: the
    first QUIC packet back, then the rest of the handshake; a reused connection has neither);
    ``ttfb_ms`` and ``total_ms`` count from the start of the request, DNS included.
    """

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    ttfb_ms: float | None = None
    total_ms: float | None = None


@_event
class HttpEvent:
    """One HTTP request's result (the last response when redirects were followed)."""

    agent: str
    target: str
    url: str
    method: str
    status: int | None = None
    http_version: str | None = None
    address: str | None = None
    redirects: tuple[HttpHop, ...] = ()
    timings: HttpTimings = HttpTimings()
    tls: TlsInfo | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body_excerpt: str = ""
    body_bytes: int = 0
    truncated: bool = False
    error: str | None = None
    type: Literal["http"] = "http"


@_event
class ErrorEvent:
    """Something went wrong for a job (``agent``/``target`` set) or the whole measurement.

    ``reason`` says why an ``agent_lost`` came: ``disconnected`` (its connection ended: it
    left, crashed or stopped answering) or ``overdue`` (no end long after its job's own).
    """

    code: str
    message: str
    agent: str | None = None
    target: str | None = None
    reason: Literal["disconnected", "overdue"] | None = None
    rule: Annotated[
        PolicyRule | None, Field(description="policy_denied: which rule of the policy refused")
    ] = None
    type: Literal["error"] = "error"

    @classmethod
    def of(
        cls, error: CloudpingError, *, agent: str | None = None, target: str | None = None
    ) -> ErrorEvent:
        """The event of an expected failure, keeping the policy's ``rule`` when it has one."""
        rule = error.fields.get("rule")
        return cls(code=error.code, message=error.message, agent=agent, target=target, rule=rule)


@_event
class EndEvent:
    """Last event of every measurement stream (``interrupted``: the hub stopped without
    ending it, a crash, and marked it when it started again)."""

    id: str
    status: EndStatus
    duration_ms: float
    agent: None = None
    target: None = None
    type: Literal["end"] = "end"


SummaryEvent = PingSummaryEvent | PathSummaryEvent | ScanSummaryEvent

# Summaries share ``type: "summary"`` and differ by ``probe``: a nested discriminator.
_Summary = Annotated[SummaryEvent, Field(discriminator="probe")]

Event = Annotated[
    MeasurementEvent
    | StartEvent
    | ReplyEvent
    | TimeoutEvent
    | HopEvent
    | ScanEvent
    | DnsEvent
    | HttpEvent
    | _Summary
    | ErrorEvent
    | EndEvent,
    Field(discriminator="type"),
]

Emit = Callable[[Event], None]
"""How a probe hands an event on: cheap and synchronous (the caller queues or prints)."""
