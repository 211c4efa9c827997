"""The hub process end to end on 127.0.0.1: a HubServer in a temporary data directory and
agent runtimes dialling it over real QUIC with tokens signed by the hub's own key.

The agents serve 127.0.0.0/8 and the hub's offers allow private ranges, so pings to
127.0.0.1 are allowed on both ends. Every wait is bounded and waits for something to happen
(an accept, an event of the stream), never for time to pass. The other test_server_* modules
use the helpers here.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import stat
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from cloudping.agent.admit import AgentRules
from cloudping.agent.connect import Backoff, HubSession, OnEvent, stay_connected
from cloudping.agent.runtime import Agent
from cloudping.auth import Audience
from cloudping.cli.main import main
from cloudping.commands import parse, to_json
from cloudping.errors import CloudpingError
from cloudping.events import Event, to_dict
from cloudping.hub import HubSettings
from cloudping.hub.quiclink import Liveness
from cloudping.hub.server import HubServer, HubServerSettings
from cloudping.probes.env import ProbeEnv
from cloudping.wire import AgentAttributes, Hello, JobLimits
from cloudping.wire.quic import AppError, dial_hub
from cloudping.wire.trust import HubTrust

WAIT = 10.0  # seconds: the bound on every wait (loopback answers in milliseconds)
SERVING_LOOPBACK = AgentRules(served=(ipaddress.ip_network("127.0.0.0/8"),))
# Offers allow private ranges: 127.0.0.1 is a target only an agent serving it may probe.
LIMITS = JobLimits(max_duration_ms=30_000, max_packets=1_000, max_rate_pps=100, private=True)
SHORT_PING = "ping -c 2 -i 0.2 127.0.0.1"
LONG_PING = "ping -c 100 -i 0.2 127.0.0.1"


def run(scenario: Coroutine[Any, Any, None]) -> None:
    """Run a scenario on a fresh event loop, bounded as a whole."""

    async def bounded() -> None:
        async with asyncio.timeout(WAIT * 4):
            await scenario

    asyncio.run(bounded())


def settings(data_dir: Path, port: int = 0) -> HubServerSettings:
    """A hub on 127.0.0.1 whose offers reach loopback, with a quick liveness contract."""
    return HubServerSettings(
        data_dir=data_dir,
        agent_port=port,
        hub=HubSettings(job_limits=LIMITS, grace_s=5.0),
        liveness=Liveness(heartbeat_interval_s=1.0, idle_timeout_s=5.0),
    )


def token(server: HubServer, sub: str, aud: Audience = "agent", **kwargs: Any) -> str:
    """A token signed with the hub's key, as ``cloudping token issue`` prints it."""
    kwargs.setdefault("ttl", 600)
    kwargs.setdefault("now", time.time())
    return server.tokens.issue(sub, aud, **kwargs)


def hello(name: str, secret: str) -> Hello:
    attributes = AgentAttributes(capabilities=("icmp",), serves=("127.0.0.0/8",))
    return Hello(name=name, token=secret, attributes=attributes)


class Dialler:
    """Dials the hub as ``cloudping agent`` does; each accepted connection is queued."""

    def __init__(self, port: int, fingerprint: str, hello: Hello) -> None:
        self.port, self.trust, self.hello = port, HubTrust.pinned(fingerprint), hello
        self.accepted: asyncio.Queue[HubSession] = asyncio.Queue()

    @asynccontextmanager
    async def __call__(self, *, on_event: OnEvent) -> AsyncIterator[HubSession]:
        async with dial_hub(
            "127.0.0.1",
            self.port,
            trust=self.trust,
            hello=self.hello,
            on_event=on_event,
            timeout=WAIT,
        ) as link:
            self.accepted.put_nowait(link)
            yield link

    async def next_accept(self) -> HubSession:
        async with asyncio.timeout(WAIT):
            return await self.accepted.get()


@asynccontextmanager
async def running_agent(dial: Dialler) -> AsyncIterator[asyncio.Task[None]]:
    """An agent runtime kept connected by ``stay_connected`` (short test backoff)."""
    backoff = Backoff(base=0.05, cap=0.2, long_base=0.05, long_cap=0.2)
    async with (
        ProbeEnv(agent=dial.hello.name) as env,
        Agent.running(env, SERVING_LOOPBACK) as agent,
    ):
        task: asyncio.Task[None] = asyncio.create_task(stay_connected(dial, agent, backoff=backoff))
        try:
            yield task
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def hub_with_agent(
    data_dir: Path, name: str = "a1"
) -> AsyncIterator[tuple[HubServer, Dialler]]:
    """A hub and one accepted agent."""
    async with HubServer(settings(data_dir)) as server:
        dial = Dialler(server.agent_port, server.fingerprint, hello(name, token(server, name)))
        async with running_agent(dial):
            await dial.next_accept()
            yield server, dial


def as_json(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as the store gives them back (JSON: tuples become lists)."""
    loaded: list[dict[str, Any]] = json.loads(json.dumps(events))
    return loaded


class Stream:
    """A caller's sink: the events as dicts, and a signal at each one."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(to_dict(event))
        self.changed.set()

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]

    async def wait_for(self, kind: str) -> None:
        async with asyncio.timeout(WAIT):
            while kind not in self.types():
                self.changed.clear()
                await self.changed.wait()


def test_an_agent_registers_and_a_ping_streams_through_the_hub_into_the_store(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with hub_with_agent(tmp_path) as (server, _):
            entry = await server.registry.get("a1")
            assert entry is not None
            assert entry.attributes.serves == ("127.0.0.0/8",)
            stream = Stream()
            measurement = await server.hub.run(parse(SHORT_PING), "tester", stream)
            stored = await server.store.get(measurement)
        assert stream.types() == ["measurement", "start", "reply", "reply", "summary", "end"]
        assert stream.events[-1]["status"] == "ok"
        assert {e["agent"] for e in stream.events[1:-1]} == {"a1"}
        assert [e.event for e in stored.events] == as_json(stream.events)
        assert (stored.status, stored.subject, stored.agents) == ("done", "tester", ("a1",))

    run(scenario())


def test_losing_the_agents_connection_mid_job_ends_it_agent_lost_and_the_stream_ends(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with hub_with_agent(tmp_path) as (server, _):
            stream = Stream()
            runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
            await stream.wait_for("reply")
            # The hub's end drops the connection, as when the agent's host dies: no word
            # from the agent comes after this.
            assert server.door is not None
            (link,) = server.door.links
            link.connection.close(AppError.NO_ERROR, "killed by the test")
            with pytest.raises(CloudpingError) as lost:
                link.offer("late.1", to_json(parse(SHORT_PING)), LIMITS)
            assert lost.value.code == "agent_lost"
            async with asyncio.timeout(WAIT):
                measurement = await runner
            stored = await server.store.get(measurement)
        errors = [e for e in stream.events if e["type"] == "error"]
        assert [(e["code"], e["agent"]) for e in errors] == [("agent_lost", "a1")]
        assert stream.types()[-1] == "end"
        assert stream.events[-1]["status"] == "error"
        assert stored.status == "failed"
        assert [e.event for e in stored.events] == as_json(stream.events)

    run(scenario())


def test_stopping_the_hub_ends_a_running_measurement_with_end(tmp_path: Path) -> None:
    async def scenario() -> None:
        stream = Stream()
        async with AsyncExitStack() as hub_life:
            server = await hub_life.enter_async_context(HubServer(settings(tmp_path)))
            dial = Dialler(server.agent_port, server.fingerprint, hello("a1", token(server, "a1")))
            async with running_agent(dial):
                await dial.next_accept()
                background = await server.hub.start(parse(LONG_PING), None)
                runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
                await stream.wait_for("reply")
                await hub_life.aclose()  # the hub stops while the agent is still running
                async with asyncio.timeout(WAIT):
                    await runner
        async with HubServer(settings(tmp_path)) as again:
            stored = await again.store.get(background)
        assert stream.types()[-1] == "end"
        assert stream.events[-1]["status"] == "cancelled"
        assert stored.status == "cancelled"
        assert stored.events[-1].event["type"] == "end"

    run(scenario())


def test_the_hub_keeps_its_certificate_and_key_private_and_reuses_them(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with HubServer(settings(tmp_path)) as first:
            pin = first.fingerprint
        async with HubServer(settings(tmp_path)) as second:
            assert second.fingerprint == pin
        assert stat.S_IMODE((tmp_path / "hub.key").stat().st_mode) == 0o600
        assert (tmp_path / "hub.crt").exists()
        assert (tmp_path / "measurements.db").exists()

    run(scenario())


def test_an_agent_reconnects_after_a_hub_restart_and_measures_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        stream = Stream()
        async with AsyncExitStack() as hub_life:
            first = await hub_life.enter_async_context(HubServer(settings(tmp_path)))
            port = first.agent_port
            dial = Dialler(port, first.fingerprint, hello("a1", token(first, "a1")))
            async with running_agent(dial):
                await dial.next_accept()
                await hub_life.aclose()  # the hub stops under the connected agent
                async with HubServer(settings(tmp_path, port)) as second:
                    await dial.next_accept()  # back by itself, same pin, same token
                    await second.hub.run(parse(SHORT_PING), None, stream)
        assert stream.types() == ["measurement", "start", "reply", "reply", "summary", "end"]

    run(scenario())


@pytest.mark.parametrize("port_text", ["127.0.0.1", "nonsense:port"])
def test_cloudping_hub_needs_a_port_to_listen_on(port_text: str, tmp_path: Path) -> None:
    assert main(["hub", "--data-dir", str(tmp_path), "--agent-listen", port_text]) == 2
