"""The thin aioquic binding: the agent dials out (:func:`dial_hub`), the hub listens
(:func:`serve_agents`). ALPN ``cloudping/1``.

Everything protocol-shaped (what may be sent when, heartbeats, deadlines, jobs) is decided by
the sans-IO channels; this module moves their bytes over QUIC streams (see
:mod:`cloudping.wire.quiclink`), runs their timers on the event loop's clock, verifies the
hub's certificate on the agent, and turns aioquic's failures into cloudping errors.

Both ends hand what they receive to a plain callback, called on the event loop: the hub's
gets ``(AgentConnection, event)`` for ``Hello``, ``Heartbeat``, ``Attributes``, ``JobEvent``,
``JobEnd``, ``JobAborted`` and, last, ``Disconnected``; the agent's gets ``(HubConnection,
event)`` for ``Accept``, ``Refuse``, ``HeartbeatAck``, ``JobOffer``, ``Cancel``,
``JobAborted`` and ``Disconnected``. Replies go through ``connection.send(message)``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aioquic.asyncio.server import QuicServer
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from cloudping.wire.errors import (
    HubRefusedError,
    HubUnreachableError,
    HubUntrustedError,
    LocalProtocolError,
    WireError,
)
from cloudping.wire.jobstream import JobChannel, JobStreamEvent
from cloudping.wire.messages import Accept, Hello, JobEnd, JobOffer, Message, Refuse
from cloudping.wire.quiclink import (
    ALPN,
    AppError,
    JobStream,
    Link,
    LinkEvent,
    LinkSettings,
)
from cloudping.wire.states import ControlState, Role
from cloudping.wire.trust import HubTrust, untrusted_because

__all__ = [
    "ALPN",
    "AgentConnection",
    "AgentServer",
    "AppError",
    "HubConnection",
    "LinkSettings",
    "dial_hub",
    "serve_agents",
]

OnAgentEvent = Callable[["AgentConnection", LinkEvent], None]
OnHubEvent = Callable[["HubConnection", LinkEvent], None]


# -- the hub's end ------------------------------------------------------------------------------


class AgentConnection(Link):
    """The hub's end of one agent's connection (what the hub's callback gets)."""

    role = Role.HUB

    def __init__(
        self,
        quic: QuicConnection,
        *,
        settings: LinkSettings,
        on_event: OnAgentEvent,
        live: set[AgentConnection],
    ) -> None:
        super().__init__(quic, settings=settings)
        self._on_event, self._live = on_event, live
        live.add(self)

    def send(self, message: Message) -> None:
        """Send ``Accept``, ``Refuse``, ``JobOffer`` (opens the job's stream) or ``Cancel``
        (a cancel of a finished job is ignored).

        Raises:
            LocalProtocolError: the state does not allow it (an offer before the accept, a
                job id in use, a closed connection).
        """
        if isinstance(message, JobOffer) and not self.closed.done():
            self._offer(message)
        else:
            super().send(message)

    def _offer(self, offer: JobOffer) -> None:
        if self.control.state is not ControlState.OPEN:
            raise LocalProtocolError(
                "jobs are offered only to an accepted agent", kind="unexpected_message"
            )
        if offer.job_id in self._jobs:
            raise LocalProtocolError(f"job id {offer.job_id!r} is in use", kind="unknown_job")
        stream = JobStream(self._quic.get_next_available_stream_id(), JobChannel(Role.HUB))
        frame = stream.channel.send(offer)
        self.add_stream(stream)
        self.register(stream, offer.job_id)
        self.write(stream, frame)

    def deliver(self, event: LinkEvent) -> None:
        """To the hub's callback; a gone agent leaves the server's set first."""
        if self.closed.done():
            self._live.discard(self)
        self._on_event(self, event)

    def protocol_error(self, error: WireError) -> None:
        """Refuse (saying why) and let the agent leave; close now if it cannot be told."""
        if not self.control_seen or self.control.state is ControlState.CLOSED:
            self.close(AppError.PROTOCOL_ERROR, error.message)
            return
        code = "unsupported_version" if error.kind == "unsupported_version" else "protocol_error"
        self.send(Refuse(code=code, reason=error.message[:1024]))

    def new_job_stream(self, stream_id: int) -> JobStream:
        """Only streams the hub opened carry jobs: data on another is a protocol error."""
        raise WireError(f"data on stream {stream_id}, which carries no job", kind="unknown_job")

    def job_event(self, stream: JobStream, event: JobStreamEvent) -> None:
        """A job's end finishes the hub's side of its stream too."""
        if isinstance(event, JobEnd):
            self.write(stream, b"", end=True)
        self.deliver(event)


@dataclass(frozen=True, slots=True)
class AgentServer:
    """A listening hub: its bound address and the live agent connections."""

    address: tuple[str, int]
    connections: set[AgentConnection]

    @property
    def port(self) -> int:
        """The UDP port (useful after binding port 0)."""
        return self.address[1]


@asynccontextmanager
async def serve_agents(
    host: str,
    port: int,
    *,
    certificate: Path,
    private_key: Path,
    on_event: OnAgentEvent,
    settings: LinkSettings | None = None,
) -> AsyncIterator[AgentServer]:
    """Listen for agents on UDP ``host:port`` until the block ends, then close every
    connection ("the hub is shutting down").

    Args:
        certificate: PEM certificate chain the hub presents (``DATA_DIR/hub.crt``).
        private_key: its PEM key.
        on_event: called with each connection's events (see the module docstring).
        settings: per-connection knobs.
    """
    settings = settings or LinkSettings()
    config = QuicConfiguration(
        is_client=False, alpn_protocols=[ALPN], idle_timeout=settings.quic_idle_timeout
    )
    config.load_cert_chain(certificate, private_key)
    live: set[AgentConnection] = set()

    def connection(quic: QuicConnection, stream_handler: object = None) -> AgentConnection:
        # QuicServer passes aioquic's stream_handler; this protocol reads its streams itself.
        return AgentConnection(quic, settings=settings, on_event=on_event, live=live)

    loop = asyncio.get_running_loop()
    transport, server = await loop.create_datagram_endpoint(
        lambda: QuicServer(configuration=config, create_protocol=connection),
        local_addr=(host, port),
    )
    try:
        sockname = transport.get_extra_info("sockname")
        yield AgentServer(address=(sockname[0], sockname[1]), connections=live)
    finally:
        for agent in list(live):
            agent.close(AppError.NO_ERROR, "the hub is shutting down")
            agent.shutdown()
        server.close()


# -- the agent's end ----------------------------------------------------------------------------


class HubConnection(Link):
    """The agent's end of its connection to the hub (what the agent's callback gets)."""

    role = Role.AGENT

    def __init__(
        self, quic: QuicConnection, *, settings: LinkSettings, on_event: OnHubEvent
    ) -> None:
        super().__init__(quic, settings=settings)
        self._on_event = on_event
        self.answer: asyncio.Future[Accept | Refuse | None] = self._loop.create_future()

    @property
    def accepted(self) -> Accept:
        """The hub's accept (the liveness contract, the session id)."""
        assert self.control.accepted is not None  # dial_hub returns only once accepted
        return self.control.accepted

    async def handshake(self, peer: Any, trust: HubTrust, server_name: str, hello: Hello) -> Accept:
        """Connect, check the hub's certificate, say hello, wait for the answer.

        Raises:
            HubUnreachableError, HubUntrustedError, HubRefusedError
        """
        self.connect(peer)
        await self._handshake_done()
        problem = untrusted_because(trust, self.peer_certificate(), self.peer_chain(), server_name)
        if problem is not None:
            self.close(AppError.UNTRUSTED, "the hub's certificate is not trusted")
            raise HubUntrustedError(problem)
        self.send(hello)
        answer = await self.answer
        if isinstance(answer, Refuse):
            raise HubRefusedError(
                f"the hub refused: {answer.reason} ({answer.code})", refuse_code=answer.code
            )
        if answer is None:
            raise HubUnreachableError(f"the hub did not accept the hello: {self._why()}")
        return answer

    async def _handshake_done(self) -> None:
        """The handshake's end, or the connection's (whichever comes first)."""
        handshake = asyncio.ensure_future(self.wait_connected())
        either: set[asyncio.Future[Any]] = {handshake, self.closed}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if not handshake.done():
            handshake.cancel()
        if self.closed.done() or handshake.exception() is not None:
            raise HubUnreachableError(f"no QUIC connection to the hub: {self._why()}")

    def _why(self) -> str:
        return self.closed.result().reason if self.closed.done() else "no answer"

    def deliver(self, event: LinkEvent) -> None:
        """To the agent's callback; an accept or refuse also answers the handshake; a refuse
        closes the connection (the hub said its last word)."""
        self._answer(event)
        self._on_event(self, event)
        if isinstance(event, Refuse):
            self.close(AppError.REFUSED, f"refused: {event.code}")

    def _answer(self, event: LinkEvent) -> None:
        if self.answer.done():
            return
        if isinstance(event, Accept | Refuse):
            self.answer.set_result(event)
        elif self.closed.done():
            self.answer.set_result(None)

    def protocol_error(self, error: WireError) -> None:
        """The hub broke the protocol: leave, saying why."""
        self.close(AppError.PROTOCOL_ERROR, error.message)

    def new_job_stream(self, stream_id: int) -> JobStream:
        """A new stream from the hub is a new job (its first message must be the offer)."""
        stream = JobStream(stream_id, JobChannel(Role.AGENT))
        self.add_stream(stream)
        return stream

    def error_received(self, exc: Exception) -> None:
        """The connected UDP socket reports ICMP errors (port unreachable): fail at once
        rather than at the handshake timeout."""
        words = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.close(AppError.NO_ERROR, f"{words} (is the hub listening on that UDP port?)")

    def job_event(self, stream: JobStream, event: JobStreamEvent) -> None:
        """An offer names the stream's job."""
        if isinstance(event, JobOffer):
            self.register(stream, event.job_id)
        self.deliver(event)


@asynccontextmanager
async def dial_hub(
    host: str,
    port: int,
    *,
    trust: HubTrust,
    hello: Hello,
    on_event: OnHubEvent,
    server_name: str | None = None,
    timeout: float = 10.0,
    settings: LinkSettings | None = None,
) -> AsyncIterator[HubConnection]:
    """Connect to the hub, verify it, say hello; the block runs once the hub accepted.

    Args:
        trust: the CA file or pinned fingerprint the hub's certificate must match.
        hello: the agent's name, token and attributes.
        on_event: called with the hub's messages (see the module docstring).
        server_name: the name the certificate must carry (CA-file trust; ``host`` by default).
        timeout: seconds for the handshake and the hub's answer.

    Raises:
        HubUnreachableError: no QUIC connection, or the hub closed it before answering.
        HubUntrustedError: the certificate is not the trusted one (no byte was sent).
        HubRefusedError: the hub refused the hello.
    """
    settings = settings or LinkSettings()
    name = server_name or host
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=[ALPN],
        server_name=name,
        idle_timeout=settings.quic_idle_timeout,
    )
    config.verify_mode = ssl.CERT_NONE  # checked by untrusted_because before a byte is sent
    link = HubConnection(QuicConnection(configuration=config), settings=settings, on_event=on_event)
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.create_datagram_endpoint(lambda: link, remote_addr=(host, port))
    except OSError as exc:
        raise HubUnreachableError(f"cannot reach the hub at {host}:{port}: {exc}") from exc
    try:
        peer = transport.get_extra_info("peername")
        await _handshake(link, peer, trust=trust, name=name, hello=hello, timeout=timeout)
        yield link
    finally:
        if not link.closed.done():
            link.close(AppError.NO_ERROR, "the agent is leaving")
        link.shutdown()
        transport.close()


async def _handshake(
    link: HubConnection, peer: Any, *, trust: HubTrust, name: str, hello: Hello, timeout: float
) -> None:
    try:
        async with asyncio.timeout(timeout):
            await link.handshake(peer, trust, name, hello)
    except TimeoutError as exc:
        raise HubUnreachableError(f"no answer from the hub within {timeout:g} s") from exc
