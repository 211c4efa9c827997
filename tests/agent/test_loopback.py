"""The agent over real QUIC on 127.0.0.1: a minimal hub from ``serve_agents`` offers jobs.

The agent pins the hub's self-signed certificate by fingerprint, as ``--hub-fingerprint``
does. Waits are bounded and wait for messages to arrive.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cloudping.agent.connect import Backoff, Dial, HubSession, OnEvent, stay_connected
from cloudping.agent.runtime import Agent
from cloudping.probes.env import ProbeEnv
from cloudping.wire import (
    Accept,
    AgentAttributes,
    Hello,
    JobEnd,
    JobEvent,
    JobOffer,
    Refuse,
)
from cloudping.wire.ends import HubSide
from cloudping.wire.hubcert import self_signed
from cloudping.wire.quic import AgentServer, dial_hub, serve_agents
from cloudping.wire.quiclink import LinkEvent
from cloudping.wire.trust import HubTrust

from .test_runtime import LONG_PING, SERVING_LOOPBACK
from .twin import WAIT, offer, run

TOKEN = "eyJ.loopback-secret.sig"  # noqa: S105 (a stand-in that must never be logged)
HELLO = Hello(name="lo1", token=TOKEN, attributes=AgentAttributes(capabilities=("icmp",)))
ACCEPT = Accept(session_id="s1", heartbeat_interval_ms=1000, idle_timeout_ms=5000)


class MiniHub:
    """Accepts (or refuses) every hello, offers its jobs, records what comes back."""

    def __init__(self, jobs: list[JobOffer], refuse: Refuse | None = None) -> None:
        self.jobs, self.refuse = jobs, refuse
        self.reports: list[JobEvent | JobEnd] = []
        self.hellos = 0
        self._changed = asyncio.Event()

    def __call__(self, agent: HubSide, event: LinkEvent) -> None:
        if isinstance(event, Hello):
            self.hellos += 1
            if self.refuse is not None:
                agent.send(self.refuse)
            else:
                agent.send(ACCEPT)
                for job in self.jobs:
                    agent.send(job)
        elif isinstance(event, JobEvent | JobEnd):
            self.reports.append(event)
        self._changed.set()

    def types(self, job_id: str) -> list[str]:
        return [r.event["type"] for r in self.reports if isinstance(r, JobEvent)]

    def end(self, job_id: str) -> JobEnd | None:
        return next((r for r in self.reports if isinstance(r, JobEnd) and r.job_id == job_id), None)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def hub(tmp_path: Path, mini: MiniHub) -> AsyncIterator[tuple[AgentServer, HubTrust]]:
    cert = self_signed(["127.0.0.1"])
    (tmp_path / "hub.crt").write_bytes(cert.certificate_pem)
    (tmp_path / "hub.key").write_bytes(cert.private_key_pem)
    async with serve_agents(
        "127.0.0.1",
        0,
        certificate=tmp_path / "hub.crt",
        private_key=tmp_path / "hub.key",
        on_event=mini,
    ) as server:
        yield server, HubTrust.pinned(cert.fingerprint)


def dialler(server: AgentServer, trust: HubTrust) -> Dial:
    @asynccontextmanager
    async def dial(*, on_event: OnEvent) -> AsyncIterator[HubSession]:
        async with dial_hub(
            "127.0.0.1", server.port, trust=trust, hello=HELLO, on_event=on_event, timeout=WAIT
        ) as link:
            yield link

    return dial


def test_an_agent_dials_a_pinned_hub_and_streams_a_jobs_events_back(tmp_path: Path) -> None:
    mini = MiniHub([offer("j1", "ping", "-c", "2", "-i", "0.2", "127.0.0.1")])

    async def scenario() -> None:
        async with (
            hub(tmp_path, mini) as (server, trust),
            ProbeEnv(agent="lo1") as env,
            Agent.running(env, SERVING_LOOPBACK) as agent,
        ):
            loop = asyncio.create_task(stay_connected(dialler(server, trust), agent))
            await mini.wait_for(lambda: mini.end("j1") is not None)
            loop.cancel()
            with pytest.raises(asyncio.CancelledError):
                await loop
        assert mini.types("j1") == ["start", "reply", "reply", "summary"]
        assert mini.end("j1") == JobEnd(job_id="j1", status="completed")

    run(scenario())


def test_a_stopping_agent_sends_its_jobs_summary_and_end_before_leaving(tmp_path: Path) -> None:
    mini = MiniHub([offer("j1", *LONG_PING)])

    async def scenario() -> None:
        async with (
            hub(tmp_path, mini) as (server, trust),
            ProbeEnv(agent="lo1") as env,
            Agent.running(env, SERVING_LOOPBACK) as agent,
        ):
            loop = asyncio.create_task(stay_connected(dialler(server, trust), agent))
            await mini.wait_for(lambda: "reply" in mini.types("j1"))
            loop.cancel()  # what SIGTERM does in `cloudping agent`
            with pytest.raises(asyncio.CancelledError):
                await loop
            await mini.wait_for(lambda: mini.end("j1") is not None)
        assert mini.types("j1")[-1] == "summary"
        assert mini.end("j1") == JobEnd(job_id="j1", status="cancelled")

    run(scenario())


def test_a_refused_agent_keeps_trying_and_never_logs_its_token(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mini = MiniHub([], refuse=Refuse(code="unauthorized", reason="bad token"))
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)
        if len(waits) == 2:
            raise asyncio.CancelledError

    async def scenario() -> None:
        async with (
            hub(tmp_path, mini) as (server, trust),
            ProbeEnv(agent="lo1") as env,
            Agent.running(env, SERVING_LOOPBACK) as agent,
        ):
            with pytest.raises(asyncio.CancelledError):
                await stay_connected(
                    dialler(server, trust), agent, backoff=Backoff(long_base=4.0), sleep=sleep
                )

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    assert mini.hellos == 2
    assert 2.0 <= waits[0] <= 4.0  # the long series: 4 s, half of it jittered
    assert "unauthorized" in caplog.text
    assert TOKEN not in caplog.text


def test_cloudping_agent_serves_a_hub_and_leaves_gracefully_on_sigterm(tmp_path: Path) -> None:
    mini = MiniHub([offer("j1", *LONG_PING)])

    async def scenario() -> None:
        async with hub(tmp_path, mini) as (server, trust):
            assert trust.pin is not None
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "cloudping", "agent",
                "--hub", f"127.0.0.1:{server.port}", "--name", "lo1", "--token", TOKEN,
                "--hub-fingerprint", trust.pin.hex(), "--serve", "127.0.0.0/8",
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                await mini.wait_for(lambda: "reply" in mini.types("j1"))
                process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(WAIT):
                    _, err = await process.communicate()
            finally:
                if process.returncode is None:
                    process.kill()
                    await process.wait()
            await mini.wait_for(lambda: mini.end("j1") is not None)
        assert process.returncode == 0, err.decode()
        assert mini.types("j1")[-1] == "summary"
        assert mini.end("j1") == JobEnd(job_id="j1", status="cancelled")
        assert TOKEN.encode() not in err

    run(scenario())
