"""The loop every ping-like job shares (ICMP ping, tcping, ``ping --proto tcp|udp``).

A job sends ``count`` probes to one target on a pure :class:`PingSchedule`; answers arrive from
socket callbacks into an inbox that wakes the job. Each probe ends as exactly one of replied,
errored or timed out (duplicates and late answers are reported, not counted as received), and
the job always ends with a summary, also when it is cancelled (Ctrl-C), as iputils ping prints
its statistics then.
"""

from __future__ import annotations

import asyncio
import os
from typing import Generic, Literal, TypeVar

from cloudping.events import Emit, ErrorEvent, PingSummaryEvent, StartEvent, TimeoutEvent
from cloudping.events.model import PortState
from cloudping.events.rtt import RttStats
from cloudping.probes.env import Resolved
from cloudping.probes.schedule import Outcome, PingSchedule

_Answer = TypeVar("_Answer")


class ScheduledJob(Generic[_Answer]):
    """Drives a :class:`PingSchedule` with the clock; subclasses send, handle and describe.

    Hooks: :meth:`start_event`, :meth:`send` (raise ``OSError`` when the kernel refuses),
    :meth:`handle` (one queued answer), :meth:`forget` (a probe timed out), :meth:`release`.
    """

    probe: Literal["ping", "tcping"] = "ping"
    port: int | None = None
    timeout_state: PortState | None = None  # what a port probe's silence says of the port

    def __init__(
        self,
        *,
        target: str,
        resolved: Resolved,
        agent: str,
        emit: Emit,
        count: int,
        interval: float,
        timeout: float,
    ) -> None:
        self.target, self.resolved, self.agent, self.emit = target, resolved, agent, emit
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()
        self.schedule = PingSchedule(count, interval, timeout, self.loop.time())
        self.stats = RttStats()
        self.counts = {Outcome.DUPLICATE: 0, Outcome.LATE: 0, Outcome.ERROR: 0}
        self._inbox: list[_Answer] = []
        self._wake = asyncio.Event()
        self._send_errors: set[int] = set()

    def deliver(self, answer: _Answer) -> None:
        """Queue an answer (called from a socket callback) and wake the job."""
        self._inbox.append(answer)
        self._wake.set()

    async def run(self) -> PingSummaryEvent:
        """Send every probe and settle each; emits and returns the summary."""
        self.emit(self.start_event())
        started = self.loop.time()
        try:
            while (deadline := self._step(self.loop.time())) is not None:
                if not self._inbox:
                    await self._sleep_until(deadline)
        finally:  # also when cancelled: the statistics so far
            self.release()
            summary = self._summary((self.loop.time() - started) * 1000)
            self.emit(summary)
        return summary

    def _step(self, now: float) -> float | None:
        """Handle answers, timeouts and a due send; returns when to look again (None: done)."""
        inbox, self._inbox = self._inbox, []
        for answer in inbox:
            self.handle(answer)
        for seq in self.schedule.expire(now):
            self.forget(seq)
            self.emit(
                TimeoutEvent(
                    agent=self.agent,
                    target=self.target,
                    seq=seq,
                    port=self.port,
                    address=self.resolved.address,
                    timeout_ms=self.timeout * 1000,
                    state=self.timeout_state,
                )
            )
        due = self.schedule.due_send(now)
        if due is None:
            return self.schedule.next_deadline()
        self.schedule.mark_sent(due, now)
        try:
            self.send(due)
        except OSError as exc:
            self.schedule.answer(due, is_reply=False)
            self.counts[Outcome.ERROR] += 1
            self._report_send_error(exc)
        return now

    async def _sleep_until(self, deadline: float) -> None:
        self._wake.clear()
        try:
            async with asyncio.timeout_at(deadline):
                await self._wake.wait()
        except TimeoutError:
            pass

    def settle(self, seq: int, *, is_reply: bool, rtt_ms: float) -> Outcome:
        """Classify an answer to probe ``seq`` and count it (RTT only for a counted reply)."""
        outcome = self.schedule.answer(seq, is_reply=is_reply)
        if outcome is Outcome.REPLY:
            self.stats.add(rtt_ms)
        elif outcome in self.counts:
            self.counts[outcome] += 1
        return outcome

    def _report_send_error(self, exc: OSError) -> None:
        code = exc.errno or 0
        if code in self._send_errors:
            return  # said once per kind of failure, counted every time
        self._send_errors.add(code)
        reason = (os.strerror(code) if code else str(exc)) + self.send_error_hint(code)
        self.emit(
            ErrorEvent(
                code="send_failed",
                message=f"{self.send_error_where()}: {reason}",
                agent=self.agent,
                target=self.target,
            )
        )

    def _summary(self, duration_ms: float) -> PingSummaryEvent:
        sent, s = self.schedule.sent, self.stats
        return PingSummaryEvent(
            agent=self.agent,
            target=self.target,
            address=self.resolved.address,
            sent=sent,
            received=s.count,
            loss=round(100.0 * (sent - s.count) / sent, 4) if sent else 0.0,
            duplicates=self.counts[Outcome.DUPLICATE],
            late=self.counts[Outcome.LATE],
            errors=self.counts[Outcome.ERROR],
            min_ms=_ms(s.minimum),
            avg_ms=_ms(s.avg),
            max_ms=_ms(s.maximum),
            stddev_ms=_ms(s.mdev),
            jitter_ms=_ms(s.jitter),
            duration_ms=round(duration_ms, 3),
            port=self.port,
            open=self.opened(),
            probe=self.probe,
        )

    # -- hooks -----------------------------------------------------------------------------

    def start_event(self) -> StartEvent:
        raise NotImplementedError

    def opened(self) -> int | None:
        """tcping: the probes that found the port open; ``None`` where that means nothing."""
        return None

    def send(self, seq: int) -> None:
        """Send probe ``seq`` (already marked sent)."""
        raise NotImplementedError

    def handle(self, answer: _Answer) -> None:
        """Settle one queued answer (see :meth:`settle`) and emit its event."""
        raise NotImplementedError

    def forget(self, seq: int) -> None:
        """Probe ``seq`` timed out: drop what it holds (a socket), if anything."""

    def release(self) -> None:
        """The job is over: give back everything it holds."""

    def send_error_where(self) -> str:
        return f"sendto {self.resolved.address}"

    def send_error_hint(self, code: int) -> str:
        """Advice appended to a send error's reason (empty: none)."""
        return ""


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
