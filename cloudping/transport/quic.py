"""The thin aioquic binding: the agent dials out (:func:`dial_hub`), the hub listens
(:func:`serve_agents`). ALPN ``cloudping/1``.

Everything protocol-shaped (what may be sent when, heartbeats, deadlines, jobs) is decided by
the sans-IO channels; this module moves their bytes over QUIC streams (see
:mod:`cloudping.transport.quiclink`), runs their timers on the event loop's clock, verifies the
hub's certificate on the agent, and turns aioquic's failures into cloudping errors. What each
end does with the channels' events is shared with the WebSocket binding
(:mod:`cloudping.transport.ends`).

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
from pathlib import Path
from typing import Any

from aioquic.asyncio.server import QuicServer
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from cloudping.transport.ends import AgentSide, HubSide, Listener
from cloudping.transport.link import LinkEvent, LinkSettings
from cloudping.transport.quiclink import Link
from cloudping.transport.trust import HubTrust
from cloudping.transport.udpbuffers import enlarge_buffers
from cloudping.wire.errors import HubUnreachableError
from cloudping.wire.messages import Accept, Hello
from cloudping.wire.streams import ALPN, AppError

__all__ = [
    "AgentConnection",
    "AgentServer",
    "HubConnection",
    "dial_hub",
    "serve_agents",
]

OnAgentEvent = Callable[["AgentConnection", LinkEvent], None]
OnHubEvent = Callable[["HubConnection", LinkEvent], None]


# -- the hub's end ------------------------------------------------------------------------------


class AgentConnection(HubSide, Link):
    """The hub's end of one agent's QUIC connection (what the hub's callback gets)."""

    def __init__(
        self,
        quic: QuicConnection,
        *,
        settings: LinkSettings,
        on_event: OnAgentEvent,
        live: set[AgentConnection],
    ) -> None:
        Link.__init__(self, quic)
        HubSide.__init__(self, self._loop, settings, on_event, live)


class AgentServer(Listener[AgentConnection]):
    """A hub listening on UDP: its bound address and the live agent connections."""

    __slots__ = ()


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
        enlarge_buffers(transport.get_extra_info("socket"))  # bursts from 1,000+ agents
        sockname = transport.get_extra_info("sockname")
        yield AgentServer(address=(sockname[0], sockname[1]), connections=live)
    finally:
        for agent in list(live):
            agent.close(AppError.NO_ERROR, "the hub is shutting down")
            agent.shutdown()
        server.close()


# -- the agent's end ----------------------------------------------------------------------------


class HubConnection(AgentSide, Link):
    """The agent's end of its QUIC connection to the hub (what the agent's callback gets)."""

    def __init__(
        self, quic: QuicConnection, *, settings: LinkSettings, on_event: OnHubEvent
    ) -> None:
        Link.__init__(self, quic)
        AgentSide.__init__(self, self._loop, settings, on_event)

    async def handshake(self, peer: Any, trust: HubTrust, server_name: str, hello: Hello) -> Accept:
        """Connect, check the hub's certificate, say hello, wait for the answer.

        Raises:
            HubUnreachableError, HubUntrustedError, HubRefusedError
        """
        self.connect(peer)
        await self._handshake_done()
        self.check_hub(trust, self.peer_certificate(), self.peer_chain(), server_name)
        return await self.say_hello(hello)

    async def _handshake_done(self) -> None:
        """The handshake's end, or the connection's (whichever comes first)."""
        handshake = asyncio.ensure_future(self.wait_connected())
        either: set[asyncio.Future[Any]] = {handshake, self.closed}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if not handshake.done():
            handshake.cancel()
        if self.closed.done() or handshake.exception() is not None:
            raise HubUnreachableError(f"no QUIC connection to the hub: {self.why()}")

    def error_received(self, exc: Exception) -> None:
        """The connected UDP socket reports ICMP errors (port unreachable): fail at once
        rather than at the handshake timeout."""
        words = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        self.close(AppError.NO_ERROR, f"{words} (is the hub listening on that UDP port?)")


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
