"""One job of a port probe (tcping, ``ping --proto tcp|udp``): count probes to one host:port.

The job drives the same pure :class:`PingSchedule` and :class:`RttStats` as the ICMP ping, with
a :class:`PortProber` that launches one probe (its own socket) per sequence number and reports how
it ended. The schedule decides when to send and when a probe has timed out; the job closes
that probe's socket, so no answer ever arrives after its timeout (no ``late`` replies).

An answer with a port state (open or closed) counts as received and adds its RTT to the
statistics; an ICMP error from anyone but the target counts as an error (see :mod:`portprobe`).
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from cloudping.errors import CloudpingError
from cloudping.events import (
    Emit,
    ErrorEvent,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    TimeoutEvent,
)
from cloudping.probes.env import Family, ProbeEnv, Resolved, resolve
from cloudping.probes.portprobe import Flight, PortAnswer, PortProber
from cloudping.probes.schedule import Outcome, PingSchedule
from cloudping.probes.stats import RttStats


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
    except CloudpingError as exc:
        emit(ErrorEvent(code=exc.code, message=exc.message, agent=env.agent, target=target.target))
        return None
    prober = prober_for(resolved.family)
    return await PortJob(target, resolved, prober, agent=env.agent, emit=emit).run()


def with_port(resolved: Resolved, port: int) -> tuple[object, ...]:
    """The socket address of ``resolved`` with ``port`` (keeping an IPv6 flow and scope)."""
    return (resolved.sockaddr[0], port, *resolved.sockaddr[2:])


class PortJob:
    """One target's probes: drives a :class:`PingSchedule` with the clock and a prober."""

    def __init__(
        self, target: PortTarget, resolved: Resolved, prober: PortProber, *, agent: str, emit: Emit
    ) -> None:
        self.spec, self.target, self.resolved = target.spec, target.target, resolved
        self.prober, self.agent, self.emit = prober, agent, emit
        self.sockaddr = with_port(resolved, self.spec.port)
        self.loop = asyncio.get_running_loop()
        self.inbox: list[PortAnswer] = []
        self.wake = asyncio.Event()
        self.flights: dict[int, Flight] = {}
        self.stats = RttStats()
        self.errors = 0
        self.send_errors: set[int] = set()
        s = self.spec
        self.schedule = PingSchedule(s.count, s.interval, s.timeout, self.loop.time())

    def on_answer(self, answer: PortAnswer) -> None:
        """Called by a probe when it ends: queue the answer and wake the job."""
        self.inbox.append(answer)
        self.wake.set()

    async def run(self) -> PingSummaryEvent:
        """Send every probe, wait for each to end, then emit and return the summary."""
        self.emit(self._start_event())
        started = self.loop.time()
        try:
            while (deadline := self._step(self.loop.time())) is not None:
                if not self.inbox:
                    await self._sleep_until(deadline)
        finally:  # also when cancelled (Ctrl-C): the statistics so far, as ping prints them
            for flight in self.flights.values():
                flight.close()
            self.flights.clear()
            summary = self._summary((self.loop.time() - started) * 1000)
            self.emit(summary)
        return summary

    def _start_event(self) -> StartEvent:
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

    def _step(self, now: float) -> float | None:
        """Handle answers, timeouts and a due send; returns when to look again (None: done)."""
        inbox, self.inbox = self.inbox, []
        for answer in inbox:
            self._handle(answer)
        for seq in self.schedule.expire(now):
            self._expire(seq)
        due = self.schedule.due_send(now)
        if due is not None:
            self._send(due, now)
            return now
        return self.schedule.next_deadline()

    async def _sleep_until(self, deadline: float) -> None:
        self.wake.clear()
        try:
            async with asyncio.timeout_at(deadline):
                await self.wake.wait()
        except TimeoutError:
            pass

    def _send(self, seq: int, now: float) -> None:
        self.schedule.mark_sent(seq, now)
        try:
            self.flights[seq] = self.prober.launch(seq, self.sockaddr, self.on_answer)
        except OSError as exc:
            self.schedule.answer(seq, is_reply=False)
            self.errors += 1
            self._report_send_error(exc)

    def _expire(self, seq: int) -> None:
        flight = self.flights.pop(seq, None)
        if flight is not None:
            flight.close()
        self.emit(
            TimeoutEvent(
                agent=self.agent,
                target=self.target,
                seq=seq,
                address=self.resolved.address,
                timeout_ms=self.spec.timeout * 1000,
                port=self.spec.port,
            )
        )

    def _report_send_error(self, exc: OSError) -> None:
        code = exc.errno or 0
        if code in self.send_errors:
            return  # said once per kind of failure, counted every time
        self.send_errors.add(code)
        reason = os.strerror(code) if code else str(exc)
        if code == errno.EMFILE:
            reason += " (too many probes in flight: lengthen -i or shorten -W)"
        where = f"{self.resolved.address} port {self.spec.port}"
        self.emit(
            ErrorEvent(
                code="send_failed",
                message=f"{self.prober.method} {where}: {reason}",
                agent=self.agent,
                target=self.target,
            )
        )

    def _handle(self, answer: PortAnswer) -> None:
        self.flights.pop(answer.seq, None)
        outcome = self.schedule.answer(answer.seq, is_reply=answer.state is not None)
        if outcome is Outcome.UNKNOWN:
            return
        if outcome is Outcome.REPLY:
            self.stats.add(answer.rtt_ms)
        elif outcome is Outcome.ERROR:
            self.errors += 1
        self.emit(self._reply_event(answer, outcome))

    def _reply_event(self, answer: PortAnswer, outcome: Outcome) -> ReplyEvent:
        return ReplyEvent(
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

    def _summary(self, duration_ms: float) -> PingSummaryEvent:
        sent, s = self.schedule.sent, self.stats
        return PingSummaryEvent(
            agent=self.agent,
            target=self.target,
            address=self.resolved.address,
            sent=sent,
            received=s.count,
            loss=_percent(sent - s.count, sent),
            errors=self.errors,
            min_ms=_ms(s.minimum),
            avg_ms=_ms(s.avg),
            max_ms=_ms(s.maximum),
            stddev_ms=_ms(s.mdev),
            jitter_ms=_ms(s.jitter),
            duration_ms=round(duration_ms, 3),
            port=self.spec.port,
            probe=self.spec.probe,
        )


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
