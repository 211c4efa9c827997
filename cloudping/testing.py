"""Test doubles shipped with cloudping (as httpx ships ``MockTransport``): a real hub whose
agents are in-memory connections answering each job with scripted events.

For the project's own tests and for anyone writing a channel::

    async with scripted_hub(ScriptedAgent("fra1", country="DE")) as hub:
        service = CommandService(hub, hub.store, ApiSettings())
        await service.run(caller, parse("ping -c 2 example.com"), events.append)

Every probe kind has a canned answer (:func:`canned`); ``agent.script[command]`` replaces it.
An agent made with ``finishes=False`` sends all but its last event (the summary) and waits
for :meth:`ScriptedAgent.finish` or a cancel, as a slow job would.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import random
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, NamedTuple

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
from cloudping.store import MeasurementStore, MemoryStore
from cloudping.wire.messages import CAPABILITIES, AgentAttributes, JobLimits

START = 1_750_000_000.0  # POSIX seconds: where the doubles' clocks start


class Offer(NamedTuple):
    """A job offered to a scripted agent."""

    job_id: str
    command: dict[str, Any]
    limits: JobLimits


class ScriptedAgent:
    """An agent connection in memory (an ``AgentHandle``): each offer is answered on the next
    loop turn (never inside ``offer``: a real agent answers later) with its script.

    Args:
        name: the agent's name.
        finishes: ``False``: hold back each job's last event and its end until :meth:`finish`.
        count: replies per ping/tcping job; ``None``: the command's own count.
        attributes: what the agent announces (every capability unless told).
    """

    def __init__(
        self,
        name: str,
        *,
        finishes: bool = True,
        count: int | None = None,
        **attributes: Any,
    ) -> None:
        attributes.setdefault("capabilities", CAPABILITIES)
        self.name = name
        self.attributes = AgentAttributes(**attributes)
        self.finishes = finishes
        self.count = count
        self.hub: Hub | None = None
        self.offers: list[Offer] = []
        self.cancels: list[str] = []
        self.script: dict[str, list[Event]] = {}  # command name -> events, instead of canned
        self.played = asyncio.Event()  # set when every offered job has played what it plays
        self._held: dict[str, list[Event]] = {}
        self._playing = 0

    def offer(self, job_id: str, command: Mapping[str, Any], limits: JobLimits) -> None:
        """Record the offer and play its job on the next loop turn."""
        self.offers.append(Offer(job_id, dict(command), limits))
        events = self.script.get(command["command"]) or canned(self.name, command, self.count)
        self._playing += 1
        self.played.clear()
        asyncio.get_running_loop().call_soon(self._play, job_id, events)

    def cancel(self, job_id: str) -> None:
        """Record the cancel (a real agent's summary so far is not sent)."""
        self.cancels.append(job_id)

    def finish(self, job_id: str) -> None:
        """Send what a job made with ``finishes=False`` held back, and its end."""
        hub = self._hub()
        for event in self._held.pop(job_id):
            hub.job_event(self, job_id, to_dict(event))
        hub.job_end(self, job_id, "completed")

    def _play(self, job_id: str, events: list[Event]) -> None:
        hub = self._hub()
        cut = len(events) if self.finishes else max(len(events) - 1, 1)
        for event in events[:cut]:
            hub.job_event(self, job_id, to_dict(event))
        self._held[job_id] = events[cut:]
        if self.finishes:
            self.finish(job_id)
        self._playing -= 1
        if self._playing == 0:
            self.played.set()

    def _hub(self) -> Hub:
        if self.hub is None:
            raise RuntimeError(f"agent {self.name} is not connected: use scripted_hub or connect")
        return self.hub


async def connect(hub: Hub, agent: ScriptedAgent, now: float = 0.0) -> None:
    """Register ``agent`` with ``hub`` as a live agent."""
    await hub.registry.register(agent.name, agent.name, agent.attributes, agent, now)
    agent.hub = hub


@contextlib.asynccontextmanager
async def scripted_hub(
    *agents: ScriptedAgent,
    store: MeasurementStore | None = None,
    settings: HubSettings | None = None,
    clock: Callable[[], float] | None = None,
) -> AsyncIterator[Hub]:
    """A running :class:`Hub` with ``agents`` connected: ids ``m1``, ``m2``, ..., a seeded
    agent choice, a clock that ticks 0.25 s per read, and a :class:`MemoryStore` unless told.
    """
    hub = Hub(
        MemoryRegistry(),
        store or MemoryStore(),
        settings=settings,
        clock=clock or ticking_clock(),
        new_id=counter("m"),
        rng=seeded(1),
    )
    async with hub:
        for agent in agents:
            await connect(hub, agent)
        yield hub


def counter(prefix: str) -> Callable[[], str]:
    """Ids ``prefix1``, ``prefix2``, ...: predictable measurement ids."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


def ticking_clock(start: float = START, step: float = 0.25) -> Callable[[], float]:
    """A clock that moves ``step`` seconds each time it is read."""
    ticks = itertools.count()
    return lambda: start + step * next(ticks)


def seeded(seed: int) -> random.Random:
    """A seeded shuffle: agent choice is exact."""
    return random.Random(seed)  # noqa: S311 (load spreading, not secrets)


# -- canned answers ------------------------------------------------------------------------


def canned(agent: str, command: Mapping[str, Any], count: int | None = None) -> list[Event]:
    """What ``agent``'s job of ``command`` (one target, in its JSON form) sends back."""
    match command["command"]:
        case "ping" | "tcping":
            return ping_events(agent, command["targets"][0], count or command["count"])
        case "traceroute" | "mtr":
            return path_events(agent, command["target"], 3)
        case "scan":
            return scan_events(agent, command["cidr"], every=5)
        case "dns":
            return dns_events(agent, command["names"][0])
        case "http":
            return http_events(agent, command["urls"][0])
    raise ValueError(f"no canned answer for {command['command']}")


def ping_events(agent: str, target: str, count: int) -> list[Event]:
    """A ping of ``count`` answered packets, summary last."""
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
