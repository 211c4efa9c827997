"""What an MCP tool answers: a compact summary per agent and target, as pydantic models.

The models are the output schemas (``model_json_schema``) and the shape the results are
built in, so the two cannot drift. Times are milliseconds, loss is percent of probes sent.
Optional fields are left out of a result rather than sent as ``null``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudping.events.model import PolicyRule
from cloudping.events.status import EndStatus, MeasurementStatus
from cloudping.render.budget import DetailLevel

Verdict = Literal["answered", "no_answer", "error", "incomplete"]
_STRICT = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """An error, with its stable code (``no_agent_matched``, ``policy_denied``, ...)."""

    model_config = _STRICT
    code: str
    message: str
    agent: str | None = None
    target: str | None = None
    rule: PolicyRule | None = Field(
        default=None, description="policy_denied: scope, not_served or reserved"
    )


class Rtt(BaseModel):
    """Round-trip times of the probes that were answered."""

    model_config = _STRICT
    min_ms: float | None = None
    avg_ms: float | None = None
    max_ms: float | None = None
    stddev_ms: float | None = None
    jitter_ms: float | None = None


class PingResult(BaseModel):
    """ping and tcping: how many probes went, came back, and how fast."""

    model_config = _STRICT
    sent: int
    received: int
    loss: float = Field(description="percent of probes unanswered")
    rtt: Rtt | None = None
    port: int | None = None
    duplicates: int | None = None
    errors: int | None = Field(None, description="ICMP errors received instead of replies")
    asn: int | None = Field(None, description="the target's network (the hub's local data)")
    as_name: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code")
    city: str | None = None


class Hop(BaseModel):
    """One row of the hop table; no ``addresses``: nobody answered at this TTL (``*``)."""

    model_config = _STRICT
    ttl: int
    addresses: list[str] = Field(default_factory=list)
    names: list[str | None] | None = None
    networks: list[str | None] | None = Field(
        None, description="each address's network, 'AS65001 LAB-NET' (the hub's local data)"
    )
    places: list[str | None] | None = Field(None, description="each address's 'City, CC'")
    loss: float
    avg_ms: float | None = None
    best_ms: float | None = None
    worst_ms: float | None = None
    stddev_ms: float | None = None


class PathResult(BaseModel):
    """traceroute and mtr: the hop table, and whether the target answered."""

    model_config = _STRICT
    reached: bool
    hops: list[Hop]
    hops_omitted: int = Field(0, description="rows left out to stay small (get_measurement)")
    path_mtu: int | None = None
    as_path: str | None = Field(
        None,
        description="the hub's BGP AS path(s) to the target beside the ASNs the hops answered "
        "from ('!': seen, but on no BGP path); none without routes to the target",
    )


class ScanResult(BaseModel):
    """scan: how much of the prefix answered, as address ranges."""

    model_config = _STRICT
    total: int
    probed: int
    alive: int
    unreachable: int
    alive_ranges: list[str]
    ranges_omitted: int = 0
    rate_pps: float | None = None


class DnsAnswer(BaseModel):
    """One DNS query: the server's answer records (``name ttl TYPE data``), or why none."""

    model_config = _STRICT
    server: str
    transport: str
    qtype: str
    qname: str | None = None
    rcode: str | None = None
    answers: list[str] = Field(default_factory=list)
    answers_omitted: int = 0
    flags: list[str] | None = None
    step: int | None = Field(None, description="the delegation step of a --trace")
    truncated: bool | None = None
    query_ms: float | None = None
    connect_ms: float | None = None
    error: str | None = None


class HttpTimings(BaseModel):
    """Phases of the request; ttfb and total count from the start, DNS included."""

    model_config = _STRICT
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    ttfb_ms: float | None = None
    total_ms: float | None = None


class TlsSummary(BaseModel):
    """The TLS session and the server certificate."""

    model_config = _STRICT
    version: str | None = None
    alpn: str | None = None
    subject: str | None = None
    issuer: str | None = None
    days_left: float | None = None
    verified: bool


class Redirect(BaseModel):
    """One response of a redirect chain."""

    model_config = _STRICT
    url: str
    status: int


class HttpResult(BaseModel):
    """http: the final response, its timings, TLS and the redirects that led to it."""

    model_config = _STRICT
    url: str
    status: int | None = None
    http_version: str | None = None
    address: str | None = None
    timings: HttpTimings | None = None
    tls: TlsSummary | None = None
    redirects: list[Redirect] = Field(default_factory=list)
    body_bytes: int | None = None
    error: str | None = None


class JobResult(BaseModel):
    """One agent's result for one target."""

    model_config = _STRICT
    agent: str
    target: str
    verdict: Verdict = Field(
        description=(
            "answered: a reply (ping), the target reached (traceroute, mtr), a host alive "
            "(scan), a DNS answer (NXDOMAIN included), an HTTP response (any status)"
        )
    )
    address: str | None = Field(None, description="the address the target resolved to")
    duration_ms: float | None = None
    ping: PingResult | None = None
    path: PathResult | None = None
    scan: ScanResult | None = None
    dns: list[DnsAnswer] | None = None
    http: HttpResult | None = None
    error: Problem | None = None


class ToolResult(BaseModel):
    """A measurement, summarised for a model; every event stays stored (get_measurement)."""

    model_config = _STRICT
    measurement_id: str
    command: str = Field(description="the command that ran, in the shared grammar")
    status: Literal["running", EndStatus]
    duration_ms: float | None = None
    results: list[JobResult]
    jobs_omitted: int = 0
    errors: list[Problem] = Field(default_factory=list)
    detail: DetailLevel = Field(
        "full", description="how much was left out to stay under the size budget"
    )
    events: int = Field(description="events stored; get_measurement pages through them")
    hint: str | None = None


class Agent(BaseModel):
    """An agent as anyone may see it."""

    model_config = _STRICT
    name: str
    country: str | None = None
    city: str | None = None
    asn: int | None = None
    isp: str | None = None
    tags: list[str]
    capabilities: list[str]
    lat: float | None = None
    lon: float | None = None


class AgentList(BaseModel):
    """The live agents, and every selector word that picks some of them."""

    model_config = _STRICT
    agents: list[Agent]
    selectors: list[str] = Field(description="what `from.selectors` can name")


class TextAnswer(BaseModel):
    """A command that answers with text (help, version)."""

    model_config = _STRICT
    text: str


class EventPage(BaseModel):
    """A page of a stored measurement's events, in order."""

    model_config = _STRICT
    measurement_id: str
    command: str
    status: MeasurementStatus
    total_events: int
    offset: int
    events: list[dict[str, object]]
    next_offset: int | None = Field(description="where the next page starts; null: no more")


class IpFacts(BaseModel):
    """Network and place of an address; ``null`` where unknown."""

    model_config = _STRICT
    asn: int | None
    as_name: str | None
    country: str | None = Field(description="ISO 3166-1 alpha-2 code")
    region: str | None
    city: str | None
    latitude: float | None
    longitude: float | None


class IpProviderAnswer(IpFacts):
    """What one provider said of the address, or the code of its failure."""

    provider: str
    prefix: str | None = Field(
        description="the network the provider matched (bgp: the route's prefix), when it says"
    )
    error: str | None = Field(
        description="bad_key, quota_exceeded, upstream_error or unreachable; null: it answered"
    )


class IpReport(IpFacts):
    """One address: the merged view (each field from the first provider that has it)."""

    address: str
    name: str | None = Field(default=None, description="the name asked for, when one was")
    special: str | None = Field(description="the special-purpose range it is in (DN42, ...)")
    providers: list[IpProviderAnswer]


class IpinfoResult(BaseModel):
    """``ipinfo``: one report per address, and the same as text."""

    model_config = _STRICT
    results: list[IpReport]
    text: str
