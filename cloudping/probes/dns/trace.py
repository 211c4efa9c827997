"""``dns --trace``: iterative resolution from the root, one event per server asked.

As ``dig +trace`` does (RFC 1034 5.3.3): step 1 asks the system resolver for the root
servers (``. NS``); each later step asks one server of the current zone, without recursion
(RD=0), and follows its referral (the NS records of a zone closer to the name, RFC 1034
4.3.2, with glue addresses from the additional section) until a server answers with data, an
authoritative empty answer or an error code. A server that neither answers nor refers closer
ends the trace with ``error`` on its step. NS names without glue are looked up through the
resolver, as dig does; those lookups are not steps. The trace uses UDP (TCP after TC) or TCP:
authoritative servers do not speak DoT or DoH. CNAMEs are shown, not chased.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

import dns.name
import dns.rdatatype

from cloudping.commands import DnsCommand
from cloudping.errors import CloudpingError, UsageError
from cloudping.events import DnsEvent, DnsRecord, Emit, ErrorEvent
from cloudping.probes.dns.ask import Asker, server_address
from cloudping.probes.dns.query import Question, question
from cloudping.probes.dns.server import DEFAULT_PORTS, Server, server_for
from cloudping.probes.dns.transport import open_connection
from cloudping.probes.env import ProbeEnv

MAX_STEPS = 16  # a deeper chain is a referral loop
TRIES_PER_ZONE = 3  # servers of one zone asked before giving up on it


@dataclass(frozen=True, slots=True)
class Delegation:
    """A zone and its servers: NS names, and the addresses known for them (glue)."""

    zone: str
    servers: tuple[str, ...]
    glue: dict[str, tuple[str, ...]]


def _glue(records: tuple[DnsRecord, ...]) -> dict[str, tuple[str, ...]]:
    glue: dict[str, list[str]] = {}
    for record in records:
        if record.type in ("A", "AAAA"):
            glue.setdefault(record.name.lower(), []).append(record.data)
    # IPv4 first, as the lab and most paths answer both; a stable order makes traces repeat.
    return {name: tuple(sorted(found, key=lambda a: ":" in a)) for name, found in glue.items()}


def roots(event: DnsEvent) -> Delegation | None:
    """The root servers the resolver named in answer to ``. NS``, or ``None``."""
    names = tuple(r.data.lower() for r in event.answers if r.type == "NS" and r.name == ".")
    return Delegation(".", names, _glue(event.additional)) if names else None


def referral(event: DnsEvent, zone: str, qname: str) -> Delegation | None:
    """The delegation in ``event`` to a zone below ``zone`` that holds ``qname``, if any."""
    parent, name = dns.name.from_text(zone), dns.name.from_text(qname)
    for record in event.authority:
        owner = dns.name.from_text(record.name)
        if record.type == "NS" and _between(owner, parent, name):
            servers = tuple(
                r.data.lower() for r in event.authority if r.type == "NS" and r.name == record.name
            )
            return Delegation(owner.to_text(), servers, _glue(event.additional))
    return None


def _between(owner: dns.name.Name, parent: dns.name.Name, name: dns.name.Name) -> bool:
    """``owner`` is strictly below ``parent`` and at or above ``name``: a step closer."""
    return owner != parent and owner.is_subdomain(parent) and name.is_subdomain(owner)


def is_final(event: DnsEvent) -> bool:
    """Whether a step ends the trace: an answer, an error code, or authoritative NODATA."""
    return event.error is None and (
        event.rcode != "NOERROR" or bool(event.answers) or "aa" in event.flags
    )


async def run(cmd: DnsCommand, env: ProbeEnv, emit: Emit) -> list[DnsEvent]:
    """Trace every name of ``cmd`` in turn; returns every step's event.

    Raises:
        UsageError: ``--transport dot|doh`` (authoritative servers speak UDP and TCP).
        ProbeEnvironmentError: no nameserver in /etc/resolv.conf to ask for the root.
    """
    if cmd.transport not in ("udp", "tcp"):
        raise UsageError(
            f"--trace asks authoritative servers, over udp or tcp, not {cmd.transport}",
            word=cmd.transport,
        )
    resolver = await asyncio.to_thread(server_for, cmd)  # reads /etc/resolv.conf: off the loop
    events: list[DnsEvent] = []
    for name in cmd.names:
        tracer = Tracer(cmd, env, emit, resolver, name)
        try:
            await tracer.trace()
        except CloudpingError as exc:
            emit(ErrorEvent.of(exc, agent=env.agent, target=name))
        events += tracer.steps
    return events


@dataclass
class Tracer:
    """One name's trace: asks, emits and keeps each step."""

    cmd: DnsCommand
    env: ProbeEnv
    emit: Emit
    resolver: Server
    target: str
    steps: list[DnsEvent] = dataclasses.field(default_factory=list)

    async def trace(self) -> None:
        """Follow the delegations from the root down to ``target``'s answer."""
        q = question(self.target, self.cmd.type, dnssec=self.cmd.dnssec)
        root_q = Question(dns.name.root, dns.rdatatype.NS)
        first = self._record(await self._ask(self.resolver, root_q))
        zone = roots(first) if first.error is None else None
        if zone is None:
            return self._fail(first, "the resolver named no root servers")
        iterative = dataclasses.replace(q, recursion=False)
        while zone is not None and len(self.steps) < MAX_STEPS:
            zone = await self._descend(zone, iterative)
        return None

    async def _descend(self, zone: Delegation, q: Question) -> Delegation | None:
        """Ask ``zone``'s servers until one answers; the next delegation, or ``None``: done."""
        for ns in zone.servers[:TRIES_PER_ZONE]:
            address = await self._address(ns, zone)
            if address is None:
                continue
            server = Server(ns.rstrip(".") or ".", DEFAULT_PORTS["udp"], self.cmd.transport)
            event = await self._ask(server, q, address)
            if event.error is not None:
                self._record(event)
                continue
            if is_final(event):
                self._record(event)
                return None
            nearer = referral(event, zone.zone, q.qname)
            if nearer is None:
                self._fail(event, f"neither an answer nor a referral below {zone.zone}")
            else:
                self._record(event)
            return nearer
        return None

    async def _address(self, ns: str, zone: Delegation) -> str | None:
        """Glue for ``ns``, else its address from the resolver."""
        known = zone.glue.get(ns)
        if known:
            return known[0]
        for rtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            found = await self._ask(self.resolver, Question(dns.name.from_text(ns), rtype))
            addresses = [r.data for r in found.answers if r.type in ("A", "AAAA")]
            if addresses:
                return addresses[0]
        return None

    async def _ask(self, server: Server, q: Question, address: str | None = None) -> DnsEvent:
        if address is None:
            address = await server_address(server, self.env)
        else:
            self.env.check_target(address, what="DNS server")
        connection = open_connection(server, address, None)
        asker = Asker(server, address, None, connection)
        try:
            step = len(self.steps) + 1
            return await asker.ask(q, agent=self.env.agent, target=self.target, step=step)
        finally:
            await connection.aclose()

    def _record(self, event: DnsEvent) -> DnsEvent:
        self.steps.append(event)
        self.emit(event)
        return event

    def _fail(self, event: DnsEvent, why: str) -> None:
        self._record(dataclasses.replace(event, error=event.error or why))
