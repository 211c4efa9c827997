"""``scan``: sweep every address of a prefix from one socket, paced, with retries.

One coroutine does all the sending: it asks the :class:`SweepPlan` what is due, the
:class:`Pacer` when, and sleeps until the earlier of the next send and the next timeout. Answers
arrive through the transport's socket callback and are judged there. Nothing is created per
address (no task, no timer), so a /16 at 10 000 packets a second fits one Python process.
Events: ``start``, a ``scan`` event per address that answered, drew a router's ICMP error or
could not be sent to (``failed``), and a ``summary`` at the end, also when cancelled.
"""

from __future__ import annotations

import asyncio
import errno
import os

from cloudping.commands import ScanCommand
from cloudping.errors import CloudpingError
from cloudping.events import Emit, ErrorEvent, StartEvent
from cloudping.events.model import ScanEvent, ScanSummaryEvent
from cloudping.events.ranges import Network, address_at, compress
from cloudping.policy import DEFAULT_LIMITS, Limits
from cloudping.probes.env import ProbeEnv
from cloudping.probes.scan import tcp, udp
from cloudping.probes.scan.base import Report, SweepTransport, Verdict
from cloudping.probes.scan.icmp import IcmpSweep
from cloudping.probes.scan.pacer import Pacer, burst_for
from cloudping.probes.scan.plan import Cell, SweepPlan

MAX_ADDRESSES = 1 << 20  # a hard bound of this process (state is a byte per address)
_RETRY_LATER = frozenset({errno.EAGAIN, errno.ENOBUFS})  # a full send buffer: not an answer
_BACKOFF = 0.001
# Linux refuses a datagram to a broadcast address from a socket without SO_BROADCAST with
# EACCES (ip(7)); a sweep never sets it, so the address is named as what it is.
_SEND_HINTS = {errno.EACCES: " (a broadcast address)"}


def scan_limits(env: ProbeEnv) -> Limits:
    """The limits a scan runs under: the one seam where the hub's limits will come in."""
    return DEFAULT_LIMITS


def scan_rate(cmd: ScanCommand, limits: Limits) -> int:
    """Packets per second: the asked rate or the policy's default, never above its cap."""
    return min(cmd.rate or limits.scan_rate_default, limits.scan_rate_max)


async def run(cmd: ScanCommand, env: ProbeEnv, emit: Emit) -> list[ScanSummaryEvent]:
    """Sweep ``cmd.network``; emits the events and returns the one summary.

    An environment that cannot probe (no ICMP socket) yields an ``error`` event, no summary.
    """
    network = _checked(cmd)
    job = _ScanJob(cmd, network, env.agent, emit, scan_rate(cmd, scan_limits(env)))
    try:
        env.check_network(network)
        transport = _transport(cmd, network, env, job.on_verdict)
    except (CloudpingError, OSError) as exc:
        error = exc if isinstance(exc, CloudpingError) else _unavailable(cmd, exc)
        emit(ErrorEvent.of(error, agent=env.agent, target=cmd.cidr))
        return []
    return [await job.run(transport)]


def _checked(cmd: ScanCommand) -> Network:
    """The prefix, if this process can hold its state (the policy's limits are far lower)."""
    network = cmd.network
    if network.num_addresses > MAX_ADDRESSES:
        raise CloudpingError(
            f"{cmd.cidr}: {network.num_addresses} addresses, this agent sweeps at most "
            f"{MAX_ADDRESSES}",
            code="scan_too_large",
        )
    return network


def _unavailable(cmd: ScanCommand, exc: OSError) -> CloudpingError:
    return CloudpingError(
        f"{cmd.cidr}: cannot open a {cmd.proto} socket: {exc}", code="probe_unavailable"
    )


def _transport(cmd: ScanCommand, network: Network, env: ProbeEnv, report: Report) -> SweepTransport:
    """The transport of ``cmd.proto``; the ICMP one is the environment's shared socket."""
    if cmd.proto == "udp":
        return udp.UdpSweep(network, cmd.port or udp.DEFAULT_PORT, report)
    if cmd.proto == "tcp":
        return tcp.TcpSweep(network.version, cmd.port or tcp.DEFAULT_PORT, report)
    return IcmpSweep(env.icmp(4 if network.version == 4 else 6), report)


class _ScanJob:
    """One sweep: drives the plan and the pacer with the clock and a transport."""

    def __init__(
        self, cmd: ScanCommand, network: Network, agent: str, emit: Emit, rate: int
    ) -> None:
        self.cmd, self.network, self.agent, self.emit = cmd, network, agent, emit
        self.loop = asyncio.get_running_loop()
        self.plan = SweepPlan(network.num_addresses, cmd.timeout, cmd.retries)
        self.pacer = Pacer(rate, burst_for(rate))
        self.finished = asyncio.Event()
        self.first_send: float | None = None
        self.last_first_pass = 0.0

    def on_verdict(self, offset: int, verdict: Verdict) -> None:
        """From the transport's socket callback: record the answer and say it."""
        if not self.plan.answer(offset, verdict.state):
            return
        address = address_at(self.network, offset)
        alive = verdict.state is Cell.ALIVE
        self.emit(
            ScanEvent(
                agent=self.agent,
                target=self.cmd.cidr,
                address=address,
                state="alive" if alive else "unreachable",
                rtt_ms=round(verdict.rtt_ms, 4),
                icmp_error=verdict.icmp_error,
                responder=verdict.responder,
            )
        )
        if self.plan.done:
            self.finished.set()

    async def run(self, transport: SweepTransport) -> ScanSummaryEvent:
        self.plan.max_in_flight = transport.max_in_flight
        self.emit(self._start(transport))
        started = self.loop.time()
        try:
            while not self.plan.done:
                await self._wait_until(self._step(transport, self.loop.time()))
        finally:  # also when cancelled: what the sweep found so far
            transport.close()
            summary = self._summary((self.loop.time() - started) * 1000)
            self.emit(summary)
        return summary

    def _step(self, transport: SweepTransport, now: float) -> float:
        """Time out, then send what the pacer allows; returns when to look again."""
        for expired in self.plan.expire(now):
            transport.forget(expired)
        while (offset := self.plan.peek()) is not None and self.pacer.next_send(now) <= now:
            if not self._send(transport, offset, now):
                return now + _BACKOFF  # the send buffer is full: let it drain
        wake = [t for t in (self.plan.next_deadline(),) if t is not None]
        if self.plan.peek() is not None:
            wake.append(self.pacer.next_send(now))
        return min(wake, default=now)

    def _send(self, transport: SweepTransport, offset: int, now: float) -> bool:
        """Send one probe; False when the socket is full and the loop should wait a little."""
        try:
            transport.send(offset, address_at(self.network, offset))
        except OSError as exc:
            if exc.errno in _RETRY_LATER:
                return False
            self.plan.mark_failed(offset)
            self._failed(exc, offset)
            return True
        first_pass = offset == self.plan.probed
        self.plan.mark_sent(offset, now)
        self.pacer.sent(now)
        if first_pass:
            self.first_send = now if self.first_send is None else self.first_send
            self.last_first_pass = now
        return True

    async def _wait_until(self, deadline: float) -> None:
        """Sleep until ``deadline``, or until the last answer makes the sweep done."""
        if deadline <= self.loop.time():
            await asyncio.sleep(0)  # let the socket's reader run between batches
            return
        self.finished.clear()
        try:
            async with asyncio.timeout_at(deadline):
                await self.finished.wait()
        except TimeoutError:
            pass

    def _failed(self, exc: OSError, offset: int) -> None:
        """An address this host cannot send to is a result of the sweep, not an error of it:
        the others are probed on (a prefix holding a local network's broadcast address)."""
        code = exc.errno or 0
        reason = os.strerror(code) if code else str(exc)
        self.emit(
            ScanEvent(
                agent=self.agent,
                target=self.cmd.cidr,
                address=address_at(self.network, offset),
                state="failed",
                reason=f"sendto: {reason}{_SEND_HINTS.get(code, '')}",
            )
        )

    def _start(self, transport: SweepTransport) -> StartEvent:
        return StartEvent(
            agent=self.agent,
            target=self.cmd.cidr,
            address=self.cmd.cidr,
            family=4 if self.network.version == 4 else 6,
            probe="scan",
            method=transport.method,
            size=transport.size,
            port=transport.port,
        )

    def _summary(self, duration_ms: float) -> ScanSummaryEvent:
        plan, alive = self.plan, self.plan.offsets(Cell.ALIVE)
        return ScanSummaryEvent(
            agent=self.agent,
            target=self.cmd.cidr,
            total=plan.total,
            probed=plan.probed,
            alive=len(alive),
            unreachable=plan.states.count(Cell.UNREACHABLE),
            alive_ranges=compress(self.network, alive),
            failed=plan.states.count(Cell.FAILED),
            sent=plan.sent,
            rate_pps=round(self._rate(), 1),
            duration_ms=round(duration_ms, 3),
        )

    def _rate(self) -> float:
        """Packets per second of the first pass, the sustained part: the retries that follow
        trickle out as their addresses time out, so counting them would measure the timeout."""
        if self.first_send is None or self.last_first_pass <= self.first_send:
            return 0.0
        return (self.plan.probed - 1) / (self.last_first_pass - self.first_send)
