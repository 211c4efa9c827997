"""The hub process on 127.0.0.1 for end-to-end tests: a HubServer in a temporary data
directory, and agent runtimes dialling it over QUIC or WebSocket exactly as ``cloudping agent
--hub ...`` does (its own settings and dialler), with tokens signed by the hub's own key.

The agents serve 127.0.0.0/8 and the hub's offers allow private ranges, so pings to
127.0.0.1 are allowed on both ends. Every wait is bounded and waits for something to happen
(an accept, an event of the stream), never for time to pass.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from cloudping.agent.admit import AgentRules
from cloudping.agent.connect import Backoff, HubSession, OnEvent, stay_connected
from cloudping.agent.runtime import Agent
from cloudping.auth import Audience
from cloudping.commands import parse
from cloudping.events import Event, to_dict
from cloudping.hub import HubSettings
from cloudping.hub.agentdoor import Liveness, WireAgentHandle
from cloudping.hub.server import HubServer, HubServerSettings
from cloudping.probes.env import ProbeEnv
from cloudping.serve import agent as agent_cli
from cloudping.store import StoredMeasurement
from cloudping.transport.ends import HubConnection
from cloudping.transport.wsbinding import WsBinding
from cloudping.wire import AgentAttributes, Hello, JobLimits
from cloudping.wire.streams import AppError

Transport = Literal["quic", "ws"]
TRANSPORTS: tuple[Transport, ...] = ("quic", "ws")
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


def settings(data_dir: Path, port: int = 0, *, websocket: bool = False) -> HubServerSettings:
    """A hub on 127.0.0.1 whose offers reach loopback, with a quick liveness contract;
    ``websocket``: a WebSocket listener on a free port too."""
    return HubServerSettings(
        data_dir=data_dir,
        agent_port=port,
        hub=HubSettings(job_limits=LIMITS, grace_s=5.0),
        liveness=Liveness(heartbeat_interval_s=1.0, idle_timeout_s=5.0),
        agent_ws=("127.0.0.1", 0) if websocket else None,
    )


def token(server: HubServer, sub: str, aud: Audience = "agent", **kwargs: Any) -> str:
    """A token signed with the hub's key, as ``cloudping token issue`` prints it."""
    kwargs.setdefault("ttl", 600)
    kwargs.setdefault("now", time.time())
    return server.tokens.issue(sub, aud, **kwargs)


def hello(name: str, secret: str) -> Hello:
    """The hello of an agent that serves loopback."""
    attributes = AgentAttributes(capabilities=("icmp",), serves=("127.0.0.0/8",))
    return Hello(name=name, token=secret, attributes=attributes)


def agent_address(server: HubServer, transport: Transport) -> str:
    """What ``cloudping agent --hub`` names to reach ``server`` over ``transport``."""
    if transport == "quic":
        return f"127.0.0.1:{server.agent_port}"
    assert server.agent_ws_url is not None, "the hub serves no WebSocket"
    return server.agent_ws_url


class Dialler:
    """Dials as ``cloudping agent --hub HUB --hub-fingerprint PIN`` does (``HOST:PORT`` is
    QUIC, ``wss://...`` WebSocket); each accepted connection is queued."""

    def __init__(self, hub: str, fingerprint: str, name: str, secret: str) -> None:
        words = ["--hub", hub, "--name", name, "--token", secret, "--hub-fingerprint", fingerprint]
        args = agent_cli.parser().parse_args([*words, "--serve", "127.0.0.0/8"])
        self.config = agent_cli.settings(args, ("icmp",))
        self._dial = agent_cli.dialler(self.config)
        self.accepted: asyncio.Queue[HubSession] = asyncio.Queue()
        self.latest: HubSession | None = None

    @property
    def hello(self) -> Hello:
        """The hello it sends (name, token, attributes)."""
        return self.config.hello

    @asynccontextmanager
    async def __call__(self, *, on_event: OnEvent) -> AsyncIterator[HubSession]:
        async with self._dial(on_event=on_event) as link:
            self.latest = link
            self.accepted.put_nowait(link)
            yield link

    async def next_accept(self) -> HubSession:
        """The next connection the hub accepted (at most WAIT seconds)."""
        async with asyncio.timeout(WAIT):
            return await self.accepted.get()


def dialler_of(
    server: HubServer, transport: Transport, name: str = "a1", *, pin: str | None = None
) -> Dialler:
    """Agent ``name`` with a token of the hub's key, dialling ``server`` over ``transport``
    and pinning ``pin`` (the hub's own fingerprint unless given)."""
    where = agent_address(server, transport)
    return Dialler(where, pin or server.fingerprint, name, token(server, name))


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
    data_dir: Path, name: str = "a1", transport: Transport = "quic"
) -> AsyncIterator[tuple[HubServer, Dialler]]:
    """A hub and one agent it accepted over ``transport``."""
    async with HubServer(settings(data_dir, websocket=transport == "ws")) as server:
        dial = dialler_of(server, transport, name)
        async with running_agent(dial):
            await dial.next_accept()
            yield server, dial


def cut(handle: WireAgentHandle, dial: Dialler) -> None:
    """Drop an agent's connection as when its host dies: no word from the agent after this.

    Over WebSocket the agent's TCP connection is aborted (a reset, no close frame); over
    QUIC the hub's end closes (UDP has no reset to send, and the agent's close would say
    goodbye).
    """
    latest = dial.latest
    if isinstance(latest, HubConnection) and isinstance(latest.binding, WsBinding):
        latest.binding.transport.abort()
    else:
        handle.connection.close(AppError.NO_ERROR, "killed by the test")


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
        """The events' types, in order."""
        return [event["type"] for event in self.events]

    async def wait_for(self, kind: str) -> None:
        """Until an event of type ``kind`` came (at most WAIT seconds)."""
        async with asyncio.timeout(WAIT):
            while kind not in self.types():
                self.changed.clear()
                await self.changed.wait()


async def cancelled_at_first_reply(server: HubServer) -> StoredMeasurement:
    """Run a long ping and cancel it at its first reply (the caller went away); the
    measurement as the store keeps it once the hub is done with it."""
    stream = Stream()
    runner = asyncio.create_task(server.hub.run(parse(LONG_PING), None, stream))
    await stream.wait_for("reply")
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    measurement = stream.events[0]["id"]
    await server.hub.wait(measurement)
    return await server.store.get(measurement)
