"""An in-memory hub link: what the agent sends is recorded; a test plays the hub.

It behaves as the QUIC link does where the agent can tell: ``send`` raises
``LocalProtocolError`` once the connection is closed, ``closed`` resolves with the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from cloudping.commands import parse_args
from cloudping.wire import (
    Disconnected,
    JobEnd,
    JobEvent,
    JobLimits,
    JobOffer,
    LocalProtocolError,
    Message,
)
from cloudping.wire.payloads import job_offer

WAIT = 10.0  # seconds: the bound on every wait (loopback answers in milliseconds)
LIMITS = JobLimits(max_duration_ms=60_000, max_packets=1000, max_rate_pps=1000, private=True)


def run(scenario: Coroutine[Any, Any, None]) -> None:
    """Run a scenario on a fresh event loop, bounded as a whole."""

    async def bounded() -> None:
        async with asyncio.timeout(WAIT * 3):
            await scenario

    asyncio.run(bounded())


def offer(job_id: str, *words: str, limits: JobLimits = LIMITS) -> JobOffer:
    """The offer of a command typed as on the command line."""
    return job_offer(job_id, parse_args(list(words)), limits)


class TwinLink:
    """The agent's end of a connection that exists only in memory."""

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.closed: asyncio.Future[Disconnected] = asyncio.get_running_loop().create_future()
        self._changed = asyncio.Event()

    def send(self, message: Message) -> None:
        if self.closed.done():
            raise LocalProtocolError("the connection is closed", kind="unexpected_message")
        self.sent.append(message)
        self._changed.set()

    def transmit(self) -> None:
        """Nothing is queued in memory."""

    def close(self, reason: str = "gone") -> Disconnected:
        gone = Disconnected(reason=reason, by_peer=True)
        self.closed.set_result(gone)
        return gone

    def events(self, job_id: str) -> list[dict[str, Any]]:
        return [m.event for m in self.sent if isinstance(m, JobEvent) and m.job_id == job_id]

    def types(self, job_id: str) -> list[str]:
        return [event["type"] for event in self.events(job_id)]

    def end(self, job_id: str) -> JobEnd | None:
        ends = [m for m in self.sent if isinstance(m, JobEnd) and m.job_id == job_id]
        assert len(ends) <= 1, f"job {job_id} ended {len(ends)} times"
        return ends[0] if ends else None

    def reports(self, job_id: str) -> list[Message]:
        """The job's events and end, in the order sent."""
        return [m for m in self.sent if isinstance(m, JobEvent | JobEnd) and m.job_id == job_id]

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds (re-checked at every send), at most WAIT seconds."""
        async with asyncio.timeout(WAIT):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_end(self, job_id: str) -> JobEnd:
        await self.wait_for(lambda: self.end(job_id) is not None)
        end = self.end(job_id)
        assert end is not None
        return end
