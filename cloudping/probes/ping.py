"""ICMP echo ping: one job per target, all on the environment's shared ICMP sockets."""

from __future__ import annotations

import asyncio
import errno
import os

from cloudping.commands import PingCommand
from cloudping.errors import CloudpingError
from cloudping.events import (
    Emit,
    ErrorEvent,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    TimeoutEvent,
)
from cloudping.probes import portping
from cloudping.probes.env import ProbeEnv, Resolved, resolve
from cloudping.probes.icmp.codec import EchoReply, IcmpError
from cloudping.probes.icmp.endpoint import IcmpEndpoint, Receiver
from cloudping.probes.icmp.table import InFlight
from cloudping.probes.schedule import Outcome, PingSchedule
from cloudping.probes.stats import RttStats

_Answer = tuple[InFlight[Receiver], EchoReply | IcmpError, str | None, int]


async def run(cmd: PingCommand, env: ProbeEnv, emit: Emit) -> list[PingSummaryEvent]:
    """Ping every target of ``cmd`` concurrently; emits events, returns one summary per target.

    A target that does not resolve yields an ``error`` event and no summary.
    """
    if cmd.proto != "icmp":  # TCP connects or UDP datagrams, on the same schedule
        return await portping.run(cmd, env, emit)
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_ping_target(cmd, target, env, emit)) for target in cmd.targets]
    return [summary for task in tasks if (summary := task.result()) is not None]


async def _ping_target(
    cmd: PingCommand, target: str, env: ProbeEnv, emit: Emit
) -> PingSummaryEvent | None:
    try:
        resolved = await resolve(target, cmd.family)
        endpoint = env.icmp(resolved.family)
    except CloudpingError as exc:
        emit(ErrorEvent(code=exc.code, message=exc.message, agent=env.agent, target=target))
        return None
    return await _PingJob(
        cmd, target=target, resolved=resolved, endpoint=endpoint, agent=env.agent, emit=emit
    ).run()


class _PingJob:
    """One target's ping: drives a :class:`PingSchedule` with the clock and the socket."""

    def __init__(
        self,
        cmd: PingCommand,
        *,
        target: str,
        resolved: Resolved,
        endpoint: IcmpEndpoint,
        agent: str,
        emit: Emit,
    ) -> None:
        self.cmd, self.target, self.resolved = cmd, target, resolved
        self.endpoint, self.agent, self.emit = endpoint, agent, emit
        self.loop = asyncio.get_running_loop()
        self.inbox: list[_Answer] = []
        self.wake = asyncio.Event()
        self.wire: dict[int, int] = {}
        self.stats = RttStats()
        self.counts = {Outcome.DUPLICATE: 0, Outcome.LATE: 0, Outcome.ERROR: 0}
        self.send_errors: set[int] = set()
        self.schedule = PingSchedule(cmd.count, cmd.interval, cmd.timeout, self.loop.time())

    def on_answer(
        self,
        flying: InFlight[Receiver],
        message: EchoReply | IcmpError,
        source: str | None,
        rx_ns: int,
    ) -> None:
        """Called by the endpoint from the socket's reader: queue it and wake the job."""
        self.inbox.append((flying, message, source, rx_ns))
        self.wake.set()

    async def run(self) -> PingSummaryEvent:
        self.emit(
            StartEvent(
                agent=self.agent,
                target=self.target,
                address=self.resolved.address,
                family=self.resolved.family,
                probe="ping",
                method=self.endpoint.method,
                size=self.cmd.size,
            )
        )
        started = self.loop.time()
        try:
            while (deadline := self._step(self.loop.time())) is not None:
                if not self.inbox:
                    await self._sleep_until(deadline)
        finally:  # also when cancelled (Ctrl-C): the statistics so far, as iputils prints them
            for seq in self.wire.values():
                self.endpoint.release(seq)
            summary = self._summary((self.loop.time() - started) * 1000)
            self.emit(summary)
        return summary

    def _step(self, now: float) -> float | None:
        """Handle answers, timeouts and a due send; returns when to look again (None: done)."""
        inbox, self.inbox = self.inbox, []
        for answer in inbox:
            self._handle(*answer)
        for seq in self.schedule.expire(now):
            self.emit(
                TimeoutEvent(
                    agent=self.agent,
                    target=self.target,
                    seq=seq,
                    address=self.resolved.address,
                    timeout_ms=self.cmd.timeout * 1000,
                )
            )
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
        try:
            self.wire[seq] = self.endpoint.send(
                self,
                seq,
                self.resolved.sockaddr,
                size=self.cmd.size,
                ttl=self.cmd.ttl,
                df=self.cmd.df,
            )
        except OSError as exc:
            self.schedule.mark_sent(seq, now)
            self.schedule.answer(seq, is_reply=False)
            self.counts[Outcome.ERROR] += 1
            self._report_send_error(exc)
            return
        self.schedule.mark_sent(seq, now)

    def _report_send_error(self, exc: OSError) -> None:
        code = exc.errno or 0
        if code in self.send_errors:
            return  # said once per kind of failure, counted every time
        self.send_errors.add(code)
        reason = os.strerror(code) if code else str(exc)
        if code == errno.EMSGSIZE:
            reason += f" ({self.cmd.size} bytes with --df exceed the local MTU)"
        self.emit(
            ErrorEvent(
                code="send_failed",
                message=f"sendto {self.resolved.address}: {reason}",
                agent=self.agent,
                target=self.target,
            )
        )

    def _handle(
        self,
        flying: InFlight[Receiver],
        message: EchoReply | IcmpError,
        source: str | None,
        rx_ns: int,
    ) -> None:
        is_reply = isinstance(message, EchoReply)
        outcome = self.schedule.answer(flying.local_seq, is_reply=is_reply)
        if outcome is Outcome.UNKNOWN:
            return
        rtt_ms = max(0.0, (rx_ns - flying.tx_ns) / 1e6)
        if outcome is Outcome.REPLY:
            self.stats.add(rtt_ms)
        else:
            self.counts[outcome] += 1
        error = message if isinstance(message, IcmpError) else None
        self.emit(
            ReplyEvent(
                agent=self.agent,
                target=self.target,
                seq=flying.local_seq,
                address=source or flying.dst,
                rtt_ms=round(rtt_ms, 4),
                size=message.size if isinstance(message, EchoReply) else 0,
                ttl=message.ttl,
                duplicate=outcome is Outcome.DUPLICATE,
                late=outcome is Outcome.LATE,
                icmp_error=error.name if error else None,
                mtu=error.mtu if error else None,
            )
        )

    def _summary(self, duration_ms: float) -> PingSummaryEvent:
        sent, received, s = self.schedule.sent, self.stats.count, self.stats
        return PingSummaryEvent(
            agent=self.agent,
            target=self.target,
            address=self.resolved.address,
            sent=sent,
            received=received,
            loss=_percent(sent - received, sent),
            duplicates=self.counts[Outcome.DUPLICATE],
            late=self.counts[Outcome.LATE],
            errors=self.counts[Outcome.ERROR],
            min_ms=_ms(s.minimum),
            avg_ms=_ms(s.avg),
            max_ms=_ms(s.maximum),
            stddev_ms=_ms(s.mdev),
            jitter_ms=_ms(s.jitter),
            duration_ms=round(duration_ms, 3),
        )


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
