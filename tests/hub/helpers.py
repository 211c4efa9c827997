"""Twins for the hub's tests: agents as plain candidates, and links that play back a job."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cloudping.events import PingSummaryEvent, ReplyEvent, StartEvent, to_dict
from cloudping.hub import Hub
from cloudping.hub.selection import Profile, profile_of
from cloudping.wire.messages import AgentAttributes, Capability, JobLimits

ALL: tuple[Capability, ...] = ("icmp", "udp", "tcp", "dns", "http", "http3", "scan")


@dataclass(frozen=True)
class Agent:
    """A selection candidate without a link."""

    name: str
    attributes: AgentAttributes

    @property
    def profile(self) -> Profile:
        """What selection matches on (made at each use: a test fleet is small)."""
        return profile_of(self.name, self.attributes)


def agent(name: str, **attributes: Any) -> Agent:
    """A candidate; every capability unless ``capabilities`` says otherwise."""
    attributes.setdefault("capabilities", ALL)
    return Agent(name, AgentAttributes(**attributes))


def job_events(agent: str, target: str, count: int) -> Iterator[dict[str, Any]]:
    """What a ping job sends: its start, then ``count`` replies (the summary comes at the end)."""
    start = StartEvent(
        agent=agent,
        target=target,
        address="192.0.2.7",
        family=4,
        probe="ping",
        method="icmp",
        size=56,
    )
    yield to_dict(start)
    for seq in range(1, count + 1):
        reply = ReplyEvent(
            agent=agent,
            target=target,
            seq=seq,
            address="192.0.2.7",
            rtt_ms=10.0 + seq,
            size=64,
            ttl=57,
        )
        yield to_dict(reply)


def summary(agent: str, target: str, count: int) -> dict[str, Any]:
    """The summary a ping job of ``count`` answered packets ends with."""
    event = PingSummaryEvent(
        agent=agent,
        target=target,
        address="192.0.2.7",
        sent=count,
        received=count,
        loss=0.0,
        min_ms=11.0,
        avg_ms=11.5,
        max_ms=12.0,
    )
    return to_dict(event)


class FakeAgentHandle:
    """An agent handle that plays a ping job back to the hub, as the QUIC glue would.

    Each offer is answered soon after (not inside ``offer``: a real agent answers later) with
    a start and ``count`` replies; then, when ``finishes``, the summary and the job's end.
    A handle that does not finish waits for :meth:`finish` (or for the test to drop it).
    """

    def __init__(self, name: str, *, finishes: bool = True, count: int = 2) -> None:
        self.name = name
        self.hub: Hub | None = None
        self.finishes = finishes
        self.count = count
        self.offers: list[tuple[str, dict[str, Any], JobLimits]] = []
        self.cancels: list[str] = []
        self.played = asyncio.Event()  # set when every offered job has played its replies
        self._playing = 0

    def offer(self, job_id: str, command: Mapping[str, Any], limits: JobLimits) -> None:
        """Record the offer and play its job back on the next loop turn."""
        self.offers.append((job_id, dict(command), limits))
        self._playing += 1
        self.played.clear()
        asyncio.get_running_loop().call_soon(self._play, job_id, self._target(command))

    def cancel(self, job_id: str) -> None:
        """Record the cancel."""
        self.cancels.append(job_id)

    def finish(self, job_id: str) -> None:
        """Send the job's summary and end (for a link made with ``finishes=False``)."""
        hub = self._hub()
        target = next(self._target(command) for jid, command, _ in self.offers if jid == job_id)
        hub.job_event(self, job_id, summary(self.name, target, self.count))
        hub.job_end(self, job_id, "completed")

    def _play(self, job_id: str, target: str) -> None:
        hub = self._hub()
        for event in job_events(self.name, target, self.count):
            hub.job_event(self, job_id, event)
        if self.finishes:
            self.finish(job_id)
        self._playing -= 1
        if self._playing == 0:
            self.played.set()

    def _hub(self) -> Hub:
        assert self.hub is not None, "attach the link to the hub first"
        return self.hub

    @staticmethod
    def _target(command: Mapping[str, Any]) -> str:
        targets: list[str] = command["targets"]
        return targets[0]


def counter(prefix: str) -> Callable[[], str]:
    """Ids ``prefix1``, ``prefix2``, ...: predictable measurement ids."""
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers)}"


def ticking_clock(start: float = 1_750_000_000.0, step: float = 0.25) -> Callable[[], float]:
    """A clock that moves ``step`` seconds each time it is read."""
    ticks = itertools.count()
    return lambda: start + step * next(ticks)


def seeded(seed: int) -> random.Random:
    """A seeded shuffle: agent choice is exact in tests."""
    return random.Random(seed)  # noqa: S311 (load spreading, not secrets)
