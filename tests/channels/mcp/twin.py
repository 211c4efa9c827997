"""In-process MCP: a hub whose agents play back canned results for every probe kind, and the
MCP server over it with an SDK client connected in memory."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.helpers import ALL, counter, seeded, ticking_clock
from mcp import Client
from mcp.server.mcpserver import MCPServer

from cloudping.auth import KeyRing, Scope, SigningKey, TokenService
from cloudping.channels.mcp import McpSettings, mcp_server
from cloudping.channels.mcp.auth import HubTokenVerifier
from cloudping.events import (
    DnsEvent,
    DnsRecord,
    Event,
    HopStats,
    HttpEvent,
    HttpTimings,
    PathSummaryEvent,
    PingSummaryEvent,
    ReplyEvent,
    ScanEvent,
    ScanSummaryEvent,
    StartEvent,
    TlsInfo,
    to_dict,
)
from cloudping.hub import Hub, HubSettings, MemoryRegistry
from cloudping.service import ApiSettings, Caller, MeasurementService
from cloudping.store import MemoryStore
from cloudping.wire.messages import AgentAttributes, JobLimits

NOW = 1_750_000_000.0
WAIT = 10.0  # seconds: the bound on every wait here


def path_events(agent: str, target: str, hops: int, ecmp: int = 1) -> list[Event]:
    """A traceroute: ``hops`` rows, ``ecmp`` responders with long rDNS names per row."""
    rows = []
    for ttl in range(1, hops + 1):
        addresses = tuple(f"198.18.{ttl}.{n}" for n in range(1, ecmp + 1))
        names = tuple(f"ae{n}-{ttl}.core{n}.long-router-name.example.net" for n in range(ecmp))
        rows.append(
            HopStats(
                ttl=ttl, addresses=addresses, names=names, sent=3, received=3, loss=0.0,
                last_ms=1.0 + ttl, avg_ms=1.0 + ttl, best_ms=0.5 + ttl, worst_ms=2.0 + ttl,
                stddev_ms=0.1, jitter_ms=0.2,
            )
        )  # fmt: skip
    summary = PathSummaryEvent(
        agent=agent, target=target, address="198.19.0.9", probe="traceroute", reached=True,
        hops=tuple(rows), duration_ms=42.0,
    )  # fmt: skip
    return [_start(agent, target, "traceroute"), summary]


def scan_events(agent: str, cidr: str, every: int = 2) -> list[Event]:
    """A sweep of ``cidr`` where every ``every``-th address answers (many short ranges)."""
    network = ipaddress.ip_network(cidr)
    alive = [address for n, address in enumerate(network) if n % every == 0]
    events: list[Event] = [_start(agent, cidr, "scan")]
    events += [
        ScanEvent(agent=agent, target=cidr, address=str(address), state="alive", rtt_ms=0.5)
        for address in alive
    ]
    events.append(
        ScanSummaryEvent(
            agent=agent, target=cidr, total=network.num_addresses, probed=network.num_addresses,
            alive=len(alive), unreachable=0, alive_ranges=tuple(str(a) for a in alive),
            sent=network.num_addresses, rate_pps=1000.0, duration_ms=300.0,
        )
    )  # fmt: skip
    return events


def ping_events(agent: str, target: str, count: int) -> list[Event]:
    """A ping of ``count`` answered packets, summary included."""
    events: list[Event] = [_start(agent, target, "ping")]
    events += [
        ReplyEvent(agent=agent, target=target, seq=seq, address="192.0.2.7", rtt_ms=10.0 + seq,
                   size=64, ttl=57)
        for seq in range(1, count + 1)
    ]  # fmt: skip
    events.append(
        PingSummaryEvent(
            agent=agent, target=target, address="192.0.2.7", sent=count, received=count,
            loss=0.0, min_ms=11.0, avg_ms=11.5, max_ms=10.0 + count, stddev_ms=0.5,
        )
    )  # fmt: skip
    return events


def dns_events(agent: str, name: str) -> list[Event]:
    """One answered A query."""
    record = DnsRecord(name=f"{name}.", ttl=300, type="A", data="192.0.2.80")
    return [
        DnsEvent(
            agent=agent, target=name, server="192.0.2.53:53", transport="udp", qtype="A",
            qname=f"{name}.", rcode="NOERROR", flags=("qr", "rd", "ra"), answers=(record,),
            query_ms=1.5,
        )
    ]  # fmt: skip


def http_events(agent: str, url: str) -> list[Event]:
    """A 200 over HTTP/2 with TLS."""
    timings = HttpTimings(dns_ms=1.0, connect_ms=2.0, tls_ms=3.0, ttfb_ms=8.0, total_ms=9.0)
    tls = TlsInfo(version="TLSv1.3", alpn="h2", subject="CN=www.example", days_left=60.0)
    return [
        HttpEvent(
            agent=agent, target=url, url=url, method="GET", status=200, http_version="HTTP/2",
            address="192.0.2.80", timings=timings, tls=tls, body_bytes=1234,
        )
    ]  # fmt: skip


def _start(agent: str, target: str, probe: str) -> StartEvent:
    return StartEvent(
        agent=agent, target=target, address="192.0.2.7", family=4, probe=probe, method="icmp",
        size=56,
    )  # fmt: skip


def canned(agent: str, command: Mapping[str, Any]) -> list[Event]:
    """What an agent's job of ``command`` (one target) sends back."""
    match command["command"]:
        case "ping" | "tcping":
            return ping_events(agent, command["targets"][0], command["count"])
        case "traceroute" | "mtr":
            return path_events(agent, command["target"], 3)
        case "scan":
            return scan_events(agent, command["cidr"], every=5)
        case "dns":
            return dns_events(agent, command["names"][0])
        case "http":
            return http_events(agent, command["urls"][0])
    raise AssertionError(f"no canned result for {command['command']}")


class ScriptedLink:
    """An agent's link that plays a canned job back on the next loop turn; a link made with
    ``finishes=False`` sends only the start and one reply, then waits to be cancelled."""

    def __init__(self, name: str, *, finishes: bool = True) -> None:
        self.name = name
        self.finishes = finishes
        self.hub: Hub | None = None
        self.offers: list[dict[str, Any]] = []
        self.cancels: list[str] = []
        self.script: dict[str, list[Event]] = {}  # command name -> events, instead of canned

    def offer(self, job_id: str, command: Mapping[str, Any], limits: JobLimits) -> None:
        """Record the offer and play its job soon after."""
        self.offers.append(dict(command))
        events = self.script.get(command["command"]) or canned(self.name, command)
        asyncio.get_running_loop().call_soon(self._play, job_id, events)

    def cancel(self, job_id: str) -> None:
        """Record the cancel."""
        self.cancels.append(job_id)

    def _play(self, job_id: str, events: list[Event]) -> None:
        assert self.hub is not None
        played = events if self.finishes else events[:2]
        for event in played:
            self.hub.job_event(self, job_id, to_dict(event))
        if self.finishes:
            self.hub.job_end(self, job_id, "completed")


@dataclass
class McpWorld:
    """A hub with agents ``fra1`` (Frankfurt, AS1) and ``ams1`` (Amsterdam, AS2), the MCP
    server over it (calls act for ``alice``), and a client connected in memory."""

    hub: Hub
    store: MemoryStore
    server: MCPServer[Any]
    client: Client
    links: dict[str, ScriptedLink]
    tokens: TokenService
    progress: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    async def on_progress(self, progress: float, total: float | None, message: str | None) -> None:
        """A progress callback (the SDK's ``ProgressFnT``) that records what it is told."""
        self.progress.append((progress, total, message))


def alice(settings: ApiSettings, *scopes: Scope) -> Caller:
    """The caller of in-process calls (scope ``measure`` unless told)."""
    return Caller("alice", frozenset(scopes or ("measure",)), settings.user_quota)


@contextlib.asynccontextmanager
async def mcp_world(
    settings: ApiSettings | None = None,
    mcp: McpSettings | None = None,
    *,
    finishes: bool = True,
    caller: Caller | None = None,
    refuse_local: bool = False,
) -> AsyncIterator[McpWorld]:
    """The world of the in-process tests; every wait inside is bounded by :data:`WAIT`.

    In-process calls act for ``caller`` (``alice`` unless told), or for no one when
    ``refuse_local``.
    """
    store = MemoryStore()
    hub = Hub(
        MemoryRegistry(), store, settings=HubSettings(max_jobs=20), clock=ticking_clock(),
        new_id=counter("m"), rng=seeded(1),
    )  # fmt: skip
    chosen = settings or ApiSettings(clock=lambda: NOW)
    tokens = TokenService(KeyRing.of(SigningKey.generate()))
    links = {"fra1": ScriptedLink("fra1", finishes=finishes), "ams1": ScriptedLink("ams1")}
    async with hub:
        for asn, (name, city) in enumerate(_places(), start=1):
            attributes = AgentAttributes(country=city[1], city=city[0], asn=asn, capabilities=ALL)
            await hub.registry.register(name, name, attributes, links[name], 0.0)
            links[name].hub = hub
        service = MeasurementService(hub, store, chosen)
        local = None if refuse_local else caller or alice(chosen)
        verifier = HubTokenVerifier(tokens, chosen)
        server = mcp_server(service, verifier, mcp, local_caller=local)
        async with asyncio.timeout(WAIT), Client(server) as client:
            yield McpWorld(hub, store, server, client, links, tokens)


def _places() -> Iterator[tuple[str, tuple[str, str]]]:
    yield "fra1", ("Frankfurt", "DE")
    yield "ams1", ("Amsterdam", "NL")
