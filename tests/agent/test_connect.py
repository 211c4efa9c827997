"""The reconnect loop: backoff with literal values, and the loop against fake dials."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from cloudping.agent.admit import AgentRules
from cloudping.agent.connect import (
    Backoff,
    HubSession,
    OnEvent,
    connect_once,
    is_long_failure,
    stay_connected,
)
from cloudping.agent.runtime import Agent
from cloudping.errors import CloudpingError
from cloudping.probes.env import ProbeEnv
from cloudping.wire import HubRefusedError, HubUnreachableError, HubUntrustedError

from .test_runtime import LONG_PING, SERVING_LOOPBACK
from .twin import WAIT, TwinLink, offer, run

TOKEN = "eyJ.secret-token.sig"  # noqa: S105 (a stand-in that must never be logged)


class FixedRng:
    """A "random" source that returns the same value every time."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("attempt", "rng", "delay"),
    [
        (0, 0.0, 0.5),
        (0, 0.999, 0.9995),
        (1, 0.0, 1.0),
        (3, 0.5, 6.0),
        (5, 0.0, 16.0),
        (6, 0.0, 30.0),  # 64 s is above the 60 s cap
        (10, 1.0, 60.0),
        (10_000, 0.0, 30.0),  # no overflow however long the hub is away
    ],
)
def test_backoff_doubles_to_its_cap_with_half_of_it_jittered(
    attempt: int, rng: float, delay: float
) -> None:
    assert Backoff().delay(attempt, FixedRng(rng)) == pytest.approx(delay)


@pytest.mark.parametrize(
    ("attempt", "delay"), [(0, 15.0), (1, 30.0), (4, 240.0), (5, 450.0), (9, 450.0)]
)
def test_backoff_after_a_refusal_starts_and_ends_longer(attempt: int, delay: float) -> None:
    assert Backoff().delay(attempt, FixedRng(0.0), long=True) == pytest.approx(delay)


@pytest.mark.parametrize(
    ("error", "long"),
    [
        (HubUnreachableError("no answer"), False),
        (HubRefusedError("refused", refuse_code="shutting_down"), False),
        (HubRefusedError("refused", refuse_code="unauthorized"), True),
        (HubRefusedError("refused", refuse_code="name_in_use"), True),
        (HubUntrustedError("wrong fingerprint"), True),
        (CloudpingError("cannot load the CA file", code="bad_setting"), True),
    ],
)
def test_which_failures_back_off_long(error: CloudpingError, long: bool) -> None:
    assert is_long_failure(error) is long


class Dials:
    """A dial that fails with each given error in turn, then connects to a twin."""

    def __init__(self, *failures: CloudpingError) -> None:
        self.failures = list(failures)
        self.links: list[TwinLink] = []
        self._connected: asyncio.Queue[TwinLink] | None = None

    async def next_link(self) -> TwinLink:
        """The next connection made, waited for at most WAIT seconds."""
        async with asyncio.timeout(WAIT):
            return await self._queue().get()

    def _queue(self) -> asyncio.Queue[TwinLink]:
        self._connected = self._connected or asyncio.Queue()
        return self._connected

    def __call__(self, *, on_event: OnEvent) -> AbstractAsyncContextManager[HubSession]:
        return self._dial(on_event)

    @asynccontextmanager
    async def _dial(self, on_event: OnEvent) -> AsyncIterator[HubSession]:
        if self.failures:
            raise self.failures.pop(0)
        link = TwinLink()
        self.links.append(link)
        self._queue().put_nowait(link)
        yield link


class Sleeps:
    """Records the waits; the last one stops the loop (as SIGTERM would)."""

    def __init__(self, stop_after: int) -> None:
        self.delays: list[float] = []
        self.stop_after = stop_after

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if len(self.delays) >= self.stop_after:
            raise asyncio.CancelledError


@pytest.fixture
def agent_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="cloudping.agent"):
        yield caplog


def test_failed_dials_back_off_growing_and_longer_after_a_refusal(
    agent_logs: pytest.LogCaptureFixture,
) -> None:
    dials = Dials(
        HubUnreachableError("no QUIC connection to the hub: timeout"),
        HubUnreachableError("no QUIC connection to the hub: timeout"),
        HubRefusedError("the hub refused: bad token (unauthorized)", refuse_code="unauthorized"),
    )
    sleeps = Sleeps(stop_after=3)

    async def scenario() -> None:
        async with ProbeEnv() as env, Agent.running(env, AgentRules()) as agent:
            with pytest.raises(asyncio.CancelledError):
                await stay_connected(dials, agent, rng=FixedRng(0.0), sleep=sleeps)

    run(scenario())
    assert sleeps.delays == [0.5, 1.0, 60.0]  # attempt 2 of the long series: 120 s, halved
    messages = [record.getMessage() for record in agent_logs.records]
    assert any("hub_refused" in message for message in messages)
    assert all(TOKEN not in message for message in messages)


def test_a_lost_connection_is_dialled_again_after_a_short_wait() -> None:
    sleeps = Sleeps(stop_after=2)
    dials = Dials()

    async def scenario() -> None:
        async with ProbeEnv() as env, Agent.running(env, AgentRules()) as agent:
            loop = asyncio.create_task(
                stay_connected(dials, agent, rng=FixedRng(0.0), sleep=sleeps)
            )
            for _ in range(2):
                link = await dials.next_link()
                agent(link, link.close("the hub restarted"))
            with pytest.raises(asyncio.CancelledError):
                await loop

    run(scenario())
    assert sleeps.delays == [0.5, 0.5]  # each success resets the series


def test_a_cancelled_connection_lets_its_jobs_end_before_leaving() -> None:
    dials = Dials()

    async def scenario() -> None:
        async with ProbeEnv() as env, Agent.running(env, SERVING_LOOPBACK) as agent:
            session = asyncio.create_task(connect_once(dials, agent))
            link = await dials.next_link()
            agent(link, offer("j1", *LONG_PING))
            await link.wait_for(lambda: "reply" in link.types("j1"))
            session.cancel()
            with pytest.raises(asyncio.CancelledError):
                await session
            end = link.end("j1")  # sent before connect_once returned: no wait
            assert end is not None
            assert end.status == "cancelled"
            assert link.types("j1")[-1] == "summary"

    run(scenario())
