"""Both bindings of the wire protocol on 127.0.0.1 behind one face: a real hub listener (QUIC
or WebSocket, the hub's own self-signed certificate) whose events a :class:`Recorder` keeps,
and the agent's dial.

Behaviour the bindings share is tested once per binding (``test_bindings.py``, parametrized
over :data:`KINDS`); what only one binding does stays in ``test_quic.py`` or
``test_websocket.py``. Every wait is bounded and waits for a condition, never for time.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from aioquic.quic.events import PingAcknowledged, QuicEvent

from cloudping.transport.core import ConnectionEvent, ConnectionSettings, WireConnection
from cloudping.transport.ends import AgentConnection, HubConnection
from cloudping.transport.hubcert import HubCertificate, self_signed
from cloudping.transport.quic import AgentServer, dial_hub, serve_agents
from cloudping.transport.quicbinding import QuicBinding
from cloudping.transport.trust import HubTrust
from cloudping.transport.ws import HubUrl, WsAgentServer, dial_hub_ws, serve_agents_ws
from cloudping.transport.wsbinding import WsBinding
from cloudping.wire import Accept, Hello, JobEnd, JobEvent
from cloudping.wire.streams import StreamInput

from .helpers import ACCEPT, HELLO

T = TypeVar("T")
Kind = Literal["quic", "ws"]
KINDS: tuple[Kind, ...] = ("quic", "ws")
WAIT = 10.0  # seconds: the bound on every wait (loopback answers in milliseconds)
END = JobEnd(job_id="j1", status="completed")
FAST = Accept(session_id="s1", heartbeat_interval_ms=50, idle_timeout_ms=400)
Answer = Callable[[AgentConnection, ConnectionEvent], None]
Listener = Callable[..., AbstractAsyncContextManager[AgentServer | WsAgentServer]]


def run(scenario: Coroutine[Any, Any, None]) -> None:
    """Run a scenario on a fresh event loop, bounded as a whole."""

    async def bounded() -> None:
        async with asyncio.timeout(WAIT * 2):
            await scenario

    asyncio.run(bounded())


class Recorder:
    """A callback that keeps what it is given and lets a test wait for a condition.

    Args:
        answer: also called with each event (a hub that answers hellos).
    """

    def __init__(self, answer: Answer | None = None) -> None:
        self.events: list[object] = []
        self._answer = answer
        self._changed: asyncio.Event | None = None

    def __call__(self, connection: Any, event: ConnectionEvent) -> None:
        self.record(event)
        if self._answer is not None:
            self._answer(connection, event)

    def record(self, event: object) -> None:
        """Keep ``event`` and wake the waits."""
        self.events.append(event)
        if self._changed is not None:
            self._changed.set()

    def of(self, kind: type[T]) -> list[T]:
        """The events of one type, in order."""
        return [event for event in self.events if isinstance(event, kind)]

    def job_reports(self) -> list[JobEvent | JobEnd]:
        """The jobs' events and ends, in order."""
        return [event for event in self.events if isinstance(event, JobEvent | JobEnd)]

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds (re-checked at every event), at most WAIT seconds."""
        self._changed = self._changed or asyncio.Event()
        async with asyncio.timeout(WAIT):
            while not condition():
                self._changed.clear()
                await self._changed.wait()

    async def wait_for_kind(self, kind: type, count: int = 1) -> None:
        """Until ``count`` events of type ``kind`` arrived."""
        await self.wait_for(lambda: len(self.of(kind)) >= count)


def accept_with(accept: Accept) -> Answer:
    """A hub that accepts every hello with ``accept``."""

    def answer(connection: AgentConnection, event: ConnectionEvent) -> None:
        if isinstance(event, Hello):
            connection.send(accept)

    return answer


def tap(link: WireConnection, recorder: Recorder) -> None:
    """Record the stream events ``link`` receives too (resets, a stream's end: no
    :data:`ConnectionEvent` says so)."""
    original = link.stream_event

    def tapped(event: StreamInput) -> None:
        recorder.record(event)
        original(event)

    link.stream_event = tapped  # type: ignore[method-assign]


@dataclass(frozen=True, slots=True)
class HubFiles:
    """The hub's self-signed certificate for 127.0.0.1 and localhost, and its files."""

    certificate: HubCertificate
    cert_file: Path
    key_file: Path

    @classmethod
    def write(cls, directory: Path) -> HubFiles:
        """Make a certificate and write ``hub.crt`` and ``hub.key`` into ``directory``."""
        made = self_signed(["localhost", "127.0.0.1"])
        (directory / "hub.crt").write_bytes(made.certificate_pem)
        (directory / "hub.key").write_bytes(made.private_key_pem)
        return cls(made, directory / "hub.crt", directory / "hub.key")

    @property
    def pinned(self) -> HubTrust:
        """Trust by the certificate's fingerprint (``--hub-fingerprint``)."""
        return HubTrust.pinned(self.certificate.fingerprint)


@dataclass(frozen=True, slots=True)
class Hub:
    """A listening hub of one binding, its events, and the way to dial it."""

    harness: Harness
    server: AgentServer | WsAgentServer
    events: Recorder

    @property
    def port(self) -> int:
        """The bound port (UDP for QUIC, TCP for WebSocket)."""
        return self.server.port

    def agent(self) -> AgentConnection:
        """The hub's end of the one connected agent."""
        (connection,) = self.server.connections
        return connection

    def dial(
        self, events: Recorder, **overrides: Any
    ) -> AbstractAsyncContextManager[HubConnection]:
        """Dial this hub (see :meth:`Harness.dial`)."""
        return self.harness.dial(self.port, events, **overrides)


class Harness:
    """One binding's listener and dial, and what differs in how it fails.

    Args:
        files: the hub's certificate files.
    """

    socket_type: socket.SocketKind
    """The transport's sockets (a port free for these is closed to the binding)."""
    unreachable: str
    """What the error says when nothing listens on the port (a regex)."""
    untrusted_goodbye: str
    """Why the hub hears its connection ended when the agent distrusts the certificate."""

    def __init__(self, files: HubFiles) -> None:
        self.files = files

    @asynccontextmanager
    async def listen(self, answer: Answer | None = None, **knobs: Any) -> AsyncIterator[Hub]:
        """A hub on 127.0.0.1 (a free port) that accepts every hello with the sample accept,
        or answers as ``answer`` does; ``knobs`` are :class:`ConnectionSettings` fields."""
        events = Recorder(answer or accept_with(ACCEPT))
        files, serve = self.files, self.listener()
        async with serve(
            "127.0.0.1",
            0,
            certificate=files.cert_file,
            private_key=files.key_file,
            on_event=events,
            settings=ConnectionSettings(**knobs),
        ) as server:
            yield Hub(self, server, events)

    @asynccontextmanager
    async def connected(
        self, answer: Answer | None = None
    ) -> AsyncIterator[tuple[Hub, Recorder, HubConnection]]:
        """A hub (as :meth:`listen` makes it) and an agent it accepted: the hub, the agent's
        recorded events, the agent's end of the connection."""
        async with self.listen(answer) as the_hub:
            mine = Recorder()
            async with the_hub.dial(mine) as link:
                yield the_hub, mine, link

    def dial(
        self, port: int, events: Recorder, **overrides: Any
    ) -> AbstractAsyncContextManager[HubConnection]:
        """Dial 127.0.0.1 at ``port`` with the sample hello and the pinned certificate;
        ``overrides`` are the dial function's keyword arguments."""
        options: dict[str, Any] = {
            "trust": self.files.pinned,
            "hello": HELLO,
            "on_event": events,
            "timeout": WAIT,
        }
        return self.connect(port, options | overrides)

    def listener(self) -> Listener:
        """The binding's listener (``serve_agents`` or ``serve_agents_ws``)."""
        raise NotImplementedError

    def connect(
        self, port: int, options: dict[str, Any]
    ) -> AbstractAsyncContextManager[HubConnection]:
        """The binding's dial."""
        raise NotImplementedError

    def keepalives_answered(self, connection: AgentConnection) -> Callable[[], int]:
        """From now on, how many of the hub's probes of the path (below the protocol) the
        agent's stack answered."""
        raise NotImplementedError


class QuicHarness(Harness):
    """QUIC on UDP: the kernel's ICMP port unreachable ends a dial to a closed port."""

    socket_type = socket.SOCK_DGRAM
    unreachable = "UDP port"
    untrusted_goodbye = "the hub's certificate is not trusted"  # the agent's CONNECTION_CLOSE

    def listener(self) -> Listener:
        return serve_agents

    def connect(
        self, port: int, options: dict[str, Any]
    ) -> AbstractAsyncContextManager[HubConnection]:
        return dial_hub("127.0.0.1", port, **options)

    def keepalives_answered(self, connection: AgentConnection) -> Callable[[], int]:
        """QUIC PINGs, acknowledged by the agent's QUIC stack."""
        binding = connection.binding
        assert isinstance(binding, QuicBinding)
        acks: list[PingAcknowledged] = []
        original = binding.quic_event_received

        def tapped(event: QuicEvent) -> None:
            if isinstance(event, PingAcknowledged):
                acks.append(event)
            original(event)

        binding.quic_event_received = tapped  # type: ignore[method-assign]
        return lambda: len(acks)


class WsHarness(Harness):
    """WebSocket over TLS on TCP: a closed port refuses the connection; the trust check runs
    before the upgrade, so a distrusted hub sees only a TLS connection end."""

    socket_type = socket.SOCK_STREAM
    unreachable = "cannot reach the hub at wss://"
    untrusted_goodbye = "the connection was lost"  # no request, no close frame reached it

    def listener(self) -> Listener:
        return serve_agents_ws

    def connect(
        self, port: int, options: dict[str, Any]
    ) -> AbstractAsyncContextManager[HubConnection]:
        """``options`` may name another ``url`` (a path the hub does not serve)."""
        url = options.pop("url", HubUrl("127.0.0.1", port))
        return dial_hub_ws(url, **options)

    def keepalives_answered(self, connection: AgentConnection) -> Callable[[], int]:
        """WebSocket pings, answered with pongs by the agent's stack."""
        binding = connection.binding
        assert isinstance(binding, WsBinding)
        before = binding.endpoint.pongs
        return lambda: binding.endpoint.pongs - before


HARNESSES: dict[Kind, type[Harness]] = {"quic": QuicHarness, "ws": WsHarness}
