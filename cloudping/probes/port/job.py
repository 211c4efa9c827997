"""One job of a port probe (tcping, ``ping --proto tcp|udp``): count probes to one host:port.

The job runs on the same :class:`ScheduledJob` loop as the ICMP ping, with a
:class:`PortProber` that launches one probe (its own socket) per sequence number and reports how
it ended. The schedule decides when to send and when a probe has timed out; the job closes
that probe's socket, so no answer ever arrives after its timeout (no ``late`` replies).

An answer with a port state of open or closed counts as received and adds its RTT to the
statistics; an ``unreachable`` one (an ICMP error from anyone but the target) counts as an
error (see :mod:`outcome`). A timeout carries the prober's ``timeout_state``.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from cloudping.errors import CloudpingError
from cloudping.events import Emit, ErrorEvent, PingSummaryEvent, ReplyEvent, StartEvent
from cloudping.probes.env import Family, ProbeEnv, Resolved, resolve
from cloudping.probes.job import ScheduledJob
from cloudping.probes.port.outcome import Flight, PortAnswer, PortProber
from cloudping.probes.schedule import Outcome


@dataclass(frozen=True, slots=True)
class PortSpec:
    """What one job does: ``count`` probes to ``port``, every ``interval``, each waiting
    ``timeout`` seconds."""

    probe: Literal["ping", "tcping"]
    port: int
    count: int
    interval: float
    timeout: float


@dataclass(frozen=True, slots=True)
class PortTarget:
    """A target as the user wrote it (``target``), the host to resolve and the job to run."""

    target: str
    host: str
    spec: PortSpec


PortProberFactory = Callable[[Family], PortProber]


async def run_targets(
    targets: Sequence[PortTarget],
    family: Family | None,
    prober_for: PortProberFactory,
    env: ProbeEnv,
    emit: Emit,
) -> list[PingSummaryEvent]:
    """Run a job per target, all at once; a target that does not resolve gets an ``error``."""
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_run_target(t, family, prober_for, env, emit)) for t in targets]
    return [summary for task in tasks if (summary := task.result()) is not None]


async def _run_target(
    target: PortTarget,
    family: Family | None,
    prober_for: PortProberFactory,
    env: ProbeEnv,
    emit: Emit,
) -> PingSummaryEvent | None:
    try:
        resolved = await resolve(target.host, family)
        env.check_target(resolved.address)
    except CloudpingError as exc:
        emit(ErrorEvent.of(exc, agent=env.agent, target=target.target))
        return None
    prober = prober_for(resolved.family)
    return await PortJob(target, resolved, prober, agent=env.agent, emit=emit).run()


def with_port(resolved: Resolved, port: int) -> tuple[object, ...]:
    """The socket address of ``resolved`` with ``port`` (keeping an IPv6 flow and scope)."""
    return (resolved.sockaddr[0], port, *resolved.sockaddr[2:])


class PortJob(ScheduledJob[PortAnswer]):
    """One target's port probes, each launched on its own socket by a :class:`PortProber`."""

    def __init__(
        self, target: PortTarget, resolved: Resolved, prober: PortProber, *, agent: str, emit: Emit
    ) -> None:
        spec = target.spec
        super().__init__(
            target=target.target,
            resolved=resolved,
            agent=agent,
            emit=emit,
            count=spec.count,
            interval=spec.interval,
            timeout=spec.timeout,
        )
        self.spec, self.prober = spec, prober
        self.probe, self.port = spec.probe, spec.port
        self.sockaddr = with_port(resolved, spec.port)
        self.timeout_state = prober.timeout_state
        self.flights: dict[int, Flight] = {}
        self.open_replies = 0

    def start_event(self) -> StartEvent:
        return StartEvent(
            agent=self.agent,
            target=self.target,
            address=self.resolved.address,
            family=self.resolved.family,
            probe=self.spec.probe,
            method=self.prober.method,
            size=self.prober.size,
            port=self.spec.port,
        )

    def opened(self) -> int | None:
        # Only tcping asks whether the service is there; ``ping --proto`` asks for the host.
        return self.open_replies if self.probe == "tcping" else None

    def send(self, seq: int) -> None:
        self.flights[seq] = self.prober.launch(seq, self.sockaddr, self.deliver)

    def forget(self, seq: int) -> None:
        """A timed-out probe's socket closes: no answer can arrive after its timeout."""
        flight = self.flights.pop(seq, None)
        if flight is not None:
            flight.close()

    def release(self) -> None:
        for flight in self.flights.values():
            flight.close()
        self.flights.clear()

    def send_error_where(self) -> str:
        return f"{self.prober.method} {self.resolved.address} port {self.spec.port}"

    def send_error_hint(self, code: int) -> str:
        if code == errno.EMFILE:
            return " (too many probes in flight: lengthen -i or shorten -W)"
        return ""

    def handle(self, answer: PortAnswer) -> None:
        self.flights.pop(answer.seq, None)
        outcome = self.settle(answer.seq, is_reply=answer.answered, rtt_ms=answer.rtt_ms)
        if outcome is Outcome.UNKNOWN:
            return
        self.open_replies += outcome is Outcome.REPLY and answer.state == "open"
        self.emit(
            ReplyEvent(
                agent=self.agent,
                target=self.target,
                seq=answer.seq,
                address=answer.address,
                rtt_ms=round(answer.rtt_ms, 4),
                size=answer.size,
                ttl=answer.ttl,
                duplicate=outcome is Outcome.DUPLICATE,
                late=outcome is Outcome.LATE,
                icmp_error=answer.icmp_error,
                mtu=answer.mtu,
                port=self.spec.port,
                state=answer.state,
            )
        )
