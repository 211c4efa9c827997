"""The WebSocket binding, for agents where UDP is blocked: the hub serves
``wss://HOST:PORT/agent`` (:func:`serve_agents_ws`), the agent dials it (:func:`dial_hub_ws`).

The same messages as over QUIC (:mod:`cloudping.transport.quic`), the same ends
(:mod:`cloudping.transport.ends`) over a :class:`~cloudping.transport.wsbinding.WsBinding`,
the same callbacks: the hub's gets ``(AgentConnection, event)``, the agent's
``(HubConnection, event)``. TLS uses the hub's own certificate and
key (``DATA_DIR/hub.crt``), so an agent trusts it exactly as over QUIC: the certificate's
pinned fingerprint or a CA file, checked after the TLS handshake and before the upgrade
request, so nothing (not even the path) reaches an impostor. Python's ssl module gives the
peer's certificate but not the chain it sent (before 3.13), so with ``--hub-ca`` the CA file
must hold any intermediate: the hub's default self-signed certificate has none.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from cloudping.errors import ListenError
from cloudping.transport.core import ConnectionSettings
from cloudping.transport.ends import (
    AgentConnection,
    HubConnection,
    Listener,
    OnAgentEvent,
    OnHubEvent,
)
from cloudping.transport.trust import HubTrust
from cloudping.transport.wsbinding import WsBinding
from cloudping.wire.errors import HubUnreachableError
from cloudping.wire.messages import Hello
from cloudping.wire.streams import AppError
from cloudping.wire.wsconn import AGENT_PATH, WsEndpoint

__all__ = [
    "AGENT_PATH",
    "HubUrl",
    "WsAgentServer",
    "dial_hub_ws",
    "parse_hub_url",
    "serve_agents_ws",
]

HTTP_ALPN = "http/1.1"  # RFC 6455 upgrades an HTTP/1.1 request


@dataclass(frozen=True, slots=True)
class HubUrl:
    """Where an agent dials the hub's WebSocket endpoint."""

    host: str
    port: int
    path: str = AGENT_PATH

    @property
    def authority(self) -> str:
        """``HOST:PORT`` as the ``Host`` header carries it (brackets around IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"wss://{self.authority}{self.path}"


def parse_hub_url(text: str) -> HubUrl:
    """``wss://HOST[:PORT][/PATH]`` (port 443 and path ``/agent`` when absent).

    Raises:
        ValueError: not a ``wss://`` URL with a host (plain ``ws://`` is refused: the token
            would travel in clear, and the hub's certificate could not be checked).
    """
    parts = urlsplit(text)
    if parts.scheme != "wss":
        raise ValueError(f"--hub {text!r}: a WebSocket hub URL starts with wss:// (TLS)")
    try:
        port = parts.port or 443
    except ValueError as exc:
        raise ValueError(f"--hub {text!r}: {exc}") from None
    if not parts.hostname:
        raise ValueError(f"--hub {text!r} names no host")
    # No path (or a bare ``/``) is the agents' endpoint: ``/`` would meet the hub's 404.
    path = parts.path if parts.path.strip("/") else AGENT_PATH
    path += f"?{parts.query}" if parts.query else ""
    return HubUrl(parts.hostname, port, path)


# -- the hub's end ------------------------------------------------------------------------------


class WsAgentServer(Listener):
    """A hub listening on TCP: its bound address and the live agent connections."""

    __slots__ = ()

    @property
    def url(self) -> str:
        """What agents dial (``wss://HOST:PORT/agent``)."""
        return str(HubUrl(self.address[0], self.port))


def _tls_context(*, server: bool) -> ssl.SSLContext:
    """TLS 1.2 or later, offering HTTP/1.1 by ALPN: what both ends share."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols([HTTP_ALPN])
    return context


def server_context(certificate: Path, private_key: Path) -> ssl.SSLContext:
    """The hub's context, with its certificate (the same one QUIC presents)."""
    context = _tls_context(server=True)
    context.load_cert_chain(certificate, private_key)
    return context


@asynccontextmanager
async def serve_agents_ws(
    host: str,
    port: int,
    *,
    certificate: Path,
    private_key: Path,
    on_event: OnAgentEvent,
    settings: ConnectionSettings | None = None,
) -> AsyncIterator[WsAgentServer]:
    """Serve ``wss://host:port/agent`` until the block ends, then close every connection
    ("the hub is shutting down").

    Args:
        certificate: PEM certificate chain the hub presents (``DATA_DIR/hub.crt``).
        private_key: its PEM key.
        on_event: called with each connection's events (as :func:`~cloudping.transport.quic.
            serve_agents`' callback is).
        settings: per-connection knobs (the hello timeout also bounds the TLS handshake).
    """
    settings = settings or ConnectionSettings()
    live: set[AgentConnection] = set()
    loop = asyncio.get_running_loop()

    def connection() -> WsBinding:
        binding = WsBinding(loop, WsEndpoint(client=False, max_frame_size=settings.max_frame_size))
        AgentConnection(binding, loop, settings, on_event, live)  # joins ``live``
        return binding

    try:
        server = await loop.create_server(
            connection,
            host,
            port,
            ssl=server_context(certificate, private_key),
            ssl_handshake_timeout=settings.hello_timeout,
        )
    except OSError as exc:  # taken, not this machine's address, privileged
        raise ListenError.from_os(exc, "tcp", host, port) from exc
    try:
        sockname = server.sockets[0].getsockname()
        yield WsAgentServer(address=(sockname[0], sockname[1]), connections=live)
    finally:
        server.close()  # no new connections; the live ones are told why they end
        for agent in list(live):
            agent.close(AppError.NO_ERROR, "the hub is shutting down")
            agent.stop_timers()


# -- the agent's end ----------------------------------------------------------------------------


def peer_certificate(transport: asyncio.BaseTransport) -> x509.Certificate | None:
    """The certificate the TLS peer presented (``None`` when there was none)."""
    ssl_object = transport.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return x509.load_der_x509_certificate(der) if der else None


def client_context() -> ssl.SSLContext:
    """The agent's context: the certificate is checked by :func:`untrusted_because` (pin or
    CA file) before a byte is sent, not by the system store."""
    context = _tls_context(server=False)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@asynccontextmanager
async def dial_hub_ws(
    url: HubUrl,
    *,
    trust: HubTrust,
    hello: Hello,
    on_event: OnHubEvent,
    server_name: str | None = None,
    timeout: float = 10.0,
    settings: ConnectionSettings | None = None,
) -> AsyncIterator[HubConnection]:
    """Connect to the hub's WebSocket endpoint, verify it, say hello; the block runs once the
    hub accepted. The arguments and errors are :func:`~cloudping.transport.quic.dial_hub`'s.

    Raises:
        HubUnreachableError: no TLS connection or upgrade, or the hub closed before answering.
        HubUntrustedError: the certificate is not the trusted one (no byte was sent).
        HubRefusedError: the hub refused the hello.
    """
    settings = settings or ConnectionSettings()
    loop = asyncio.get_running_loop()
    endpoint = WsEndpoint(
        client=True, path=url.path, host=url.authority, max_frame_size=settings.max_frame_size
    )
    binding = WsBinding(loop, endpoint)
    hub = HubConnection(binding, loop, settings, on_event)
    try:
        async with asyncio.timeout(timeout):
            await _connect(binding, url, server_name or url.host)
            await _handshake(hub, binding, trust, server_name or url.host, hello)
    except TimeoutError as exc:
        _leave(hub)
        raise HubUnreachableError(f"no answer from the hub within {timeout:g} s") from exc
    except BaseException:
        _leave(hub)
        raise
    try:
        yield hub
    finally:
        _leave(hub)


async def _connect(binding: WsBinding, url: HubUrl, server_name: str) -> None:
    loop = asyncio.get_running_loop()
    try:
        await loop.create_connection(
            lambda: binding, url.host, url.port, ssl=client_context(), server_hostname=server_name
        )
    except OSError as exc:  # refused, unreachable, a TLS failure (ssl.SSLError)
        raise HubUnreachableError(f"cannot reach the hub at {url}: {exc}") from exc


async def _handshake(
    hub: HubConnection, binding: WsBinding, trust: HubTrust, server_name: str, hello: Hello
) -> None:
    """Check the hub's certificate, upgrade to a WebSocket, say hello, wait for the answer.

    Raises:
        HubUnreachableError, HubUntrustedError, HubRefusedError
    """
    hub.check_hub(trust, peer_certificate(binding.transport), [], server_name)
    binding.endpoint.start()
    binding.transmit()
    either: set[asyncio.Future[Any]] = {binding.opened, hub.closed}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    if not binding.opened.done():
        raise HubUnreachableError(f"no WebSocket to the hub: {hub.why()}")
    await hub.say_hello(hello)


def _leave(hub: HubConnection) -> None:
    if not hub.closed.done():
        hub.close(AppError.NO_ERROR, "the agent is leaving")
    hub.stop_timers()
