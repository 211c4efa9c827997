"""ICMP echo ping: one job per target, all on the environment's shared ICMP sockets."""

from __future__ import annotations

import asyncio
import errno

from cloudping.commands import PingCommand
from cloudping.errors import CloudpingError
from cloudping.events import Emit, ErrorEvent, PingSummaryEvent, ReplyEvent, StartEvent
from cloudping.probes.env import ProbeEnv, Resolved, resolve
from cloudping.probes.icmp.codec import EchoReply, IcmpError
from cloudping.probes.icmp.endpoint import IcmpEndpoint, Receiver
from cloudping.probes.icmp.table import InFlight
from cloudping.probes.job import ScheduledJob
from cloudping.probes.schedule import Outcome

_Answer = tuple[InFlight[Receiver], EchoReply | IcmpError, str | None, int]


async def run(cmd: PingCommand, env: ProbeEnv, emit: Emit) -> list[PingSummaryEvent]:
    """Ping every target of ``cmd`` concurrently; emits events, returns one summary per target.

    A target that does not resolve yields an ``error`` event and no summary.
    """
    if cmd.proto != "icmp":  # TCP connects or UDP datagrams, on the same schedule
        # Loaded only for them: an ICMP ping (the CLI's default) starts without the port probe.
        from cloudping.probes.port import ping as portping  # noqa: PLC0415

        return await portping.run(cmd, env, emit)
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_ping_target(cmd, target, env, emit)) for target in cmd.targets]
    return [summary for task in tasks if (summary := task.result()) is not None]


async def _ping_target(
    cmd: PingCommand, target: str, env: ProbeEnv, emit: Emit
) -> PingSummaryEvent | None:
    try:
        resolved = await resolve(target, cmd.family)
        env.check_target(resolved.address)
        endpoint = env.icmp(resolved.family)
    except CloudpingError as exc:
        emit(ErrorEvent.of(exc, agent=env.agent, target=target))
        return None
    return await _PingJob(
        cmd, target=target, resolved=resolved, endpoint=endpoint, agent=env.agent, emit=emit
    ).run()


class _PingJob(ScheduledJob[_Answer]):
    """One target's ICMP ping on the environment's shared ICMP socket."""

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
        super().__init__(
            target=target,
            resolved=resolved,
            agent=agent,
            emit=emit,
            count=cmd.count,
            interval=cmd.interval,
            timeout=cmd.timeout,
        )
        self.cmd, self.endpoint = cmd, endpoint
        self.wire: dict[int, int] = {}

    def on_answer(
        self,
        flying: InFlight[Receiver],
        message: EchoReply | IcmpError,
        source: str | None,
        rx_ns: int,
    ) -> None:
        """Called by the endpoint from the socket's reader."""
        self.deliver((flying, message, source, rx_ns))

    def start_event(self) -> StartEvent:
        return StartEvent(
            agent=self.agent,
            target=self.target,
            address=self.resolved.address,
            family=self.resolved.family,
            probe="ping",
            method=self.endpoint.method,
            size=self.cmd.size,
        )

    def send(self, seq: int) -> None:
        self.wire[seq] = self.endpoint.send(
            self, seq, self.resolved.sockaddr, size=self.cmd.size, ttl=self.cmd.ttl, df=self.cmd.df
        )

    def send_error_hint(self, code: int) -> str:
        if code == errno.EMSGSIZE:
            return f" ({self.cmd.size} bytes with --df exceed the local MTU)"
        return ""

    def release(self) -> None:
        for seq in self.wire.values():
            self.endpoint.release(seq)  # late answers were reported until now

    def handle(self, answer: _Answer) -> None:
        flying, message, source, rx_ns = answer
        rtt_ms = max(0.0, (rx_ns - flying.tx_ns) / 1e6)
        is_reply = isinstance(message, EchoReply)
        outcome = self.settle(flying.local_seq, is_reply=is_reply, rtt_ms=rtt_ms)
        if outcome is Outcome.UNKNOWN:
            return
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
