"""The thin aioquic binding: the agent dials out (:func:`dial_hub`), the hub listens
(:func:`serve_agents`). ALPN ``cloudping/1``.

Everything protocol-shaped (what may be sent when, heartbeats, deadlines, jobs) is decided by
the sans-IO channels; this module moves their bytes over QUIC streams (a
:class:`~cloudping.transport.quicbinding.QuicBinding` under each connection), verifies the
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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aioquic.asyncio.server import QuicServer
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection

from cloudping.errors import ListenError
from cloudping.transport.core import ConnectionSettings
from cloudping.transport.ends import (
    AgentConnection,
    HubConnection,
    Listener,
    OnAgentEvent,
    OnHubEvent,
)
from cloudping.transport.quicbinding import QuicBinding
from cloudping.transport.trust import HubTrust
from cloudping.transport.udpbuffers import enlarge_buffers
from cloudping.wire.errors import HubUnreachableError
from cloudping.wire.messages import Hello
from cloudping.wire.streams import ALPN, AppError

__all__ = ["AgentServer", "dial_hub", "serve_agents"]


# -- the hub's end ------------------------------------------------------------------------------


class AgentServer(Listener):
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
    settings: ConnectionSettings | None = None,
) -> AsyncIterator[AgentServer]:
    """Listen for agents on UDP ``host:port`` until the block ends, then close every
    connection ("the hub is shutting down").

    Args:
        certificate: PEM certificate chain the hub presents (``DATA_DIR/hub.crt``).
        private_key: its PEM key.
        on_event: called with each connection's events (see the module docstring).
        settings: per-connection knobs.
    """
    settings = settings or ConnectionSettings()
    config = QuicConfiguration(
        is_client=False, alpn_protocols=[ALPN], idle_timeout=settings.quic_idle_timeout
    )
    config.load_cert_chain(certificate, private_key)
    live: set[AgentConnection] = set()
    loop = asyncio.get_running_loop()

    def connection(quic: QuicConnection, stream_handler: object = None) -> QuicBinding:
        # QuicServer passes aioquic's stream_handler; the binding reads its streams itself.
        binding = QuicBinding(quic)
        AgentConnection(binding, loop, settings, on_event, live)  # joins ``live``
        return binding

    try:
        transport, server = await loop.create_datagram_endpoint(
            lambda: QuicServer(configuration=config, create_protocol=connection),
            local_addr=(host, port),
        )
    except OSError as exc:  # taken, not this machine's address, privileged
        raise ListenError.from_os(exc, "udp", host, port) from exc
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
    settings: ConnectionSettings | None = None,
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
    settings = settings or ConnectionSettings()
    name = server_name or host
    config = QuicConfiguration(
        is_client=True,
        alpn_protocols=[ALPN],
        server_name=name,
        idle_timeout=settings.quic_idle_timeout,
    )
    config.verify_mode = ssl.CERT_NONE  # checked by untrusted_because before a byte is sent
    loop = asyncio.get_running_loop()
    binding = QuicBinding(QuicConnection(configuration=config))
    hub = HubConnection(binding, loop, settings, on_event)
    try:
        transport, _ = await loop.create_datagram_endpoint(
            lambda: binding, remote_addr=(host, port)
        )
    except OSError as exc:
        raise HubUnreachableError(f"cannot reach the hub at {host}:{port}: {exc}") from exc
    try:
        peer = transport.get_extra_info("peername")
        try:
            async with asyncio.timeout(timeout):
                await _handshake(hub, binding, peer, trust=trust, name=name, hello=hello)
        except TimeoutError as exc:
            raise HubUnreachableError(f"no answer from the hub within {timeout:g} s") from exc
        yield hub
    finally:
        if not hub.closed.done():
            hub.close(AppError.NO_ERROR, "the agent is leaving")
        hub.shutdown()
        transport.close()


async def _handshake(
    hub: HubConnection, binding: QuicBinding, peer: Any, *, trust: HubTrust, name: str, hello: Hello
) -> None:
    """Connect, check the hub's certificate, say hello, wait for the answer.

    Raises:
        HubUnreachableError, HubUntrustedError, HubRefusedError
    """
    binding.connect(peer)
    await _connected(hub, binding)
    hub.check_hub(trust, binding.peer_certificate(), binding.peer_chain(), name)
    await hub.say_hello(hello)


async def _connected(hub: HubConnection, binding: QuicBinding) -> None:
    """The QUIC handshake's end, or the connection's (whichever comes first)."""
    handshake = asyncio.ensure_future(binding.wait_connected())
    either: set[asyncio.Future[Any]] = {handshake, hub.closed}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    if not handshake.done():
        handshake.cancel()
    if hub.closed.done() or handshake.exception() is not None:
        raise HubUnreachableError(f"no QUIC connection to the hub: {hub.why()}")
