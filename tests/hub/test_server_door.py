"""The agent door without a network: a connection twin feeds it events in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any, cast

from cloudping.auth import KeyRing, SigningKey, TokenService
from cloudping.hub import Hub, MemoryRegistry
from cloudping.hub.agentdoor import AgentDoor, Liveness
from cloudping.hub.registry import AgentHandle
from cloudping.store.memory import MemoryStore
from cloudping.transport.ends import AgentConnection
from cloudping.wire import (
    Accept,
    AgentAttributes,
    Attributes,
    Disconnected,
    Hello,
    JobEvent,
    Message,
    Refuse,
)

from .test_server import run

LIVENESS = Liveness(heartbeat_interval_s=2.0, idle_timeout_s=7.0)
PLACE = AgentAttributes(country="DE", city="Berlin")


class ConnectionTwin:
    """The part of an agent connection the door uses: ``send``, ``closed``, ``peer_host``."""

    peer_host: str | None = None  # where it connects from: unknown here, so never placed

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.closed: asyncio.Future[Disconnected] = asyncio.get_running_loop().create_future()

    def send(self, message: Message) -> None:
        self.sent.append(message)


def door_of(tokens: TokenService, registry: MemoryRegistry) -> AgentDoor:
    return AgentDoor(
        Hub(registry, MemoryStore()), registry, tokens, liveness=LIVENESS, clock=time.time
    )


async def attributes_of(registry: MemoryRegistry, name: str) -> AgentAttributes | None:
    entry = await registry.get(name)
    return None if entry is None else entry.attributes


def test_the_door_ignores_an_agent_until_its_hello_is_accepted_then_tracks_it() -> None:
    async def scenario() -> None:
        tokens = TokenService(KeyRing.of(SigningKey.generate()))
        registry = MemoryRegistry()
        door = door_of(tokens, registry)
        twin = ConnectionTwin()
        connection = cast("AgentConnection", twin)
        secret = tokens.issue("a1", "agent", ttl=60, now=time.time())
        async with door.open():
            door(connection, Attributes(attributes=PLACE))  # before any hello: not counted
            door(connection, Hello(name="a1", token=secret))
        assert await attributes_of(registry, "a1") == AgentAttributes()
        (accept,) = twin.sent
        assert isinstance(accept, Accept)
        assert (accept.heartbeat_interval_ms, accept.idle_timeout_ms) == (2000, 7000)
        async with door.open():
            door(connection, Attributes(attributes=PLACE))
        assert await attributes_of(registry, "a1") == PLACE
        async with door.open():
            door(connection, Disconnected(reason="gone", by_peer=True))
            door(connection, Attributes(attributes=AgentAttributes()))  # after: not counted
        assert await registry.list() == ()
        assert door.handles == ()

    run(scenario())


def test_the_door_refuses_a_hello_whose_token_is_for_someone_else() -> None:
    async def scenario() -> None:
        tokens = TokenService(KeyRing.of(SigningKey.generate()))
        registry = MemoryRegistry()
        door = door_of(tokens, registry)
        twin = ConnectionTwin()
        secret = tokens.issue("a2", "agent", ttl=60, now=time.time())
        async with door.open():
            door(cast("AgentConnection", twin), Hello(name="a1", token=secret))
        (refuse,) = twin.sent
        assert isinstance(refuse, Refuse)
        assert refuse.code == "unauthorized"
        assert await registry.list() == ()

    run(scenario())


def test_the_door_expels_an_agent_whose_token_was_revoked_and_keeps_the_others() -> None:
    async def scenario() -> None:
        tokens = TokenService(KeyRing.of(SigningKey.generate()))
        registry = MemoryRegistry()
        door = door_of(tokens, registry)
        gone, kept = ConnectionTwin(), ConnectionTwin()
        now = time.time()
        async with door.open():
            for twin, name in ((gone, "a1"), (kept, "a2")):
                secret = tokens.issue(name, "agent", ttl=60, now=now, jti=name)
                door(cast("AgentConnection", twin), Hello(name=name, token=secret))
        tokens.revoke("a1", now)
        async with door.open():
            door.expel_lapsed(now + 1)
        assert gone.sent[-1] == Refuse(code="unauthorized", reason="token revoked")
        assert len(kept.sent) == 1
        assert [entry.name for entry in await registry.list()] == ["a2"]

    run(scenario())


def test_the_door_expels_an_agent_once_its_token_expires() -> None:
    async def scenario() -> None:
        tokens = TokenService(KeyRing.of(SigningKey.generate()))
        registry = MemoryRegistry()
        door = door_of(tokens, registry)
        twin = ConnectionTwin()
        now = time.time()
        async with door.open():
            secret = tokens.issue("a1", "agent", ttl=60, now=now)
            door(cast("AgentConnection", twin), Hello(name="a1", token=secret))
            door.expel_lapsed(now + 59)
        assert len(twin.sent) == 1  # still within its lifetime: only the accept
        async with door.open():
            door.expel_lapsed(now + 60 + tokens.leeway)
        assert twin.sent[-1] == Refuse(code="unauthorized", reason="token expired")
        assert await registry.list() == ()

    run(scenario())


class _RecordingHub(Hub):
    """A hub that records the job events routed to it."""

    def __init__(self) -> None:
        super().__init__(MemoryRegistry(), MemoryStore())
        self.routed: list[str] = []

    def job_event(self, handle: AgentHandle, job_id: str, event: Mapping[str, Any]) -> None:
        self.routed.append(str(event["type"]))


def test_a_job_event_reaches_the_hub_at_once_unless_something_is_ahead_of_it() -> None:
    async def scenario() -> None:
        tokens = TokenService(KeyRing.of(SigningKey.generate()))
        registry = MemoryRegistry()
        hub = _RecordingHub()
        door = AgentDoor(hub, registry, tokens, liveness=LIVENESS, clock=time.time)
        connection = cast("AgentConnection", ConnectionTwin())
        secret = tokens.issue("a1", "agent", ttl=60, now=time.time())
        async with door.open():
            door(connection, Hello(name="a1", token=secret))
        async with door.open():
            door(connection, JobEvent(job_id="j1", event={"type": "reply"}))
            assert hub.routed == ["reply"]  # no turn of the loop: no queue in between
            door(connection, Attributes(attributes=PLACE))  # async: it waits in the queue
            door(connection, JobEvent(job_id="j1", event={"type": "summary"}))
            assert hub.routed == ["reply"]  # behind the attributes, in arrival order
        assert hub.routed == ["reply", "summary"]
        assert await attributes_of(registry, "a1") == PLACE

    run(scenario())
