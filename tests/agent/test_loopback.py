"""The agent over real QUIC and over a real WebSocket on 127.0.0.1: a minimal hub offers
jobs (``minihub.py``), each test runs once per transport.

The agent pins the hub's self-signed certificate by fingerprint, as ``--hub-fingerprint``
does, and dials with ``cloudping agent``'s own settings and dialler (``--hub HOST:PORT`` is
QUIC, ``--hub wss://...`` WebSocket). Waits are bounded and wait for messages to arrive.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from children import cloudping_child

from cloudping.agent.connect import Backoff, Dial, stay_connected
from cloudping.agent.runtime import Agent
from cloudping.probes.env import ProbeEnv
from cloudping.wire import JobEnd, Refuse

from .minihub import NAME, TOKEN, TRANSPORTS, MiniHub, Transport, serve_mini_hub
from .test_runtime import LONG_PING, SERVING_LOOPBACK
from .twin import WAIT, offer, run


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> Transport:
    """Each transport in turn."""
    chosen: Transport = request.param
    return chosen


@asynccontextmanager
async def agent_for(
    directory: Path, mini: MiniHub, transport: Transport
) -> AsyncIterator[tuple[Dial, Agent]]:
    """``mini`` served over ``transport``; an agent runtime serving loopback, and its dial."""
    async with (
        serve_mini_hub(directory, mini, transport) as at,
        ProbeEnv(agent=NAME) as env,
        Agent.running(env, SERVING_LOOPBACK) as agent,
    ):
        yield at.dialler(), agent


async def stop(loop: asyncio.Task[None]) -> None:
    """Cancel the agent's reconnect loop, as SIGTERM does in ``cloudping agent``."""
    loop.cancel()
    with pytest.raises(asyncio.CancelledError):
        await loop


def test_an_agent_dials_a_pinned_hub_and_streams_a_jobs_events_back(
    tmp_path: Path, transport: Transport
) -> None:
    mini = MiniHub([offer("j1", "ping", "-c", "2", "-i", "0.2", "127.0.0.1")])

    async def scenario() -> None:
        async with agent_for(tmp_path, mini, transport) as (dial, agent):
            loop = asyncio.create_task(stay_connected(dial, agent))
            await mini.wait_for(lambda: mini.end("j1") is not None)
            await stop(loop)
        assert mini.types("j1") == ["start", "reply", "reply", "summary"]
        assert mini.end("j1") == JobEnd(job_id="j1", status="completed")

    run(scenario())


def test_a_stopping_agent_sends_its_jobs_summary_and_end_before_leaving(
    tmp_path: Path, transport: Transport
) -> None:
    mini = MiniHub([offer("j1", *LONG_PING)])

    async def scenario() -> None:
        async with agent_for(tmp_path, mini, transport) as (dial, agent):
            loop = asyncio.create_task(stay_connected(dial, agent))
            await mini.wait_for(lambda: "reply" in mini.types("j1"))
            await stop(loop)
            await mini.wait_for(lambda: mini.end("j1") is not None)
        assert mini.types("j1")[-1] == "summary"
        assert mini.end("j1") == JobEnd(job_id="j1", status="cancelled")

    run(scenario())


def test_a_refused_agent_keeps_trying_and_never_logs_its_token(
    tmp_path: Path, transport: Transport, caplog: pytest.LogCaptureFixture
) -> None:
    mini = MiniHub([], refuse=Refuse(code="unauthorized", reason="bad token"))
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)
        if len(waits) == 2:
            raise asyncio.CancelledError

    async def scenario() -> None:
        async with agent_for(tmp_path, mini, transport) as (dial, agent):
            with pytest.raises(asyncio.CancelledError):
                await stay_connected(dial, agent, backoff=Backoff(long_base=4.0), sleep=sleep)

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    assert mini.hellos == 2
    assert 2.0 <= waits[0] <= 4.0  # the long series: 4 s, half of it jittered
    assert "unauthorized" in caplog.text
    assert TOKEN not in caplog.text


def test_cloudping_agent_serves_a_hub_and_leaves_gracefully_on_sigterm(
    tmp_path: Path, transport: Transport
) -> None:
    mini = MiniHub([offer("j1", *LONG_PING)])

    async def scenario() -> None:
        async with serve_mini_hub(tmp_path, mini, transport) as at:
            agent = cloudping_child("agent", *at.words(), stderr=asyncio.subprocess.PIPE)
            async with agent as process:
                await mini.wait_for(lambda: "reply" in mini.types("j1"))
                process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(WAIT):
                    _, err = await process.communicate()
            await mini.wait_for(lambda: mini.end("j1") is not None)
        assert process.returncode == 0, err.decode()
        assert mini.hellos == 1
        assert mini.types("j1")[0] == "start"
        assert mini.types("j1")[-1] == "summary"  # sent before the connection's close
        assert mini.end("j1") == JobEnd(job_id="j1", status="cancelled")
        assert TOKEN.encode() not in err

    run(scenario())
