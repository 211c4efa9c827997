"""How a DNS query travels: UDP, TCP, DoT and DoH, each behind one small seam.

A :class:`DnsConnection` sends a query and returns an :class:`Exchange`: the answer, the query
time, and the connection setup time when this query had to open the connection (TCP connect,
plus the TLS handshake for DoT and DoH; ``None`` for UDP and a reused connection). Stream
connections stay open between queries (RFC 7766 6.2.1 lets a client send many queries on one
TCP connection; RFC 7858 3.4 and RFC 8484 5.1 say the same for DoT and DoH), which is what the
first-query cost of a new connection is measured against. The I/O is dnspython's async API;
DoH goes through httpx2, pinned to the address the probe resolved and checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio.lowlevel
import dns.asyncbackend
import dns.asyncquery
import dns.inet
import dns.message
import httpx2

from cloudping.probes.dns.server import Server
from cloudping.probes.dns.tls import tls_context

CLOSE_TIMEOUT = 1.0
DOT_ALPN = ["dot"]  # RFC 7858 does not require ALPN; "dot" is IANA's id for it


@dataclass(frozen=True, slots=True)
class Exchange:
    """One answered query: the answer and how long it took, in milliseconds."""

    response: dns.message.Message
    query_ms: float
    connect_ms: float | None = None


class DnsConnection(Protocol):
    """A way to one server: ``exchange`` as often as wanted, then ``aclose``."""

    transport: str

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        """Send ``query``, return its answer.

        Raises:
            TimeoutError, OSError, ssl.SSLError, httpx2.HTTPError, dns.exception.DNSException:
                no answer; :func:`cloudping.probes.dns.errors.describe` says why in words.
        """
        ...

    async def aclose(self) -> None:
        """Close whatever is open (idempotent)."""
        ...


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


@dataclass
class UdpConnection:
    """Plain DNS over UDP (RFC 1035 4.2.1): one datagram each way.

    The socket is connected, so the kernel passes on only the server's datagrams and an ICMP
    port unreachable ends the wait at once; an answer whose ID or question does not match is
    dropped and the wait goes on (RFC 5452 9.1). It is kept for the next queries.
    """

    address: str
    port: int
    transport: str = "udp"
    _sock: Any = field(default=None, repr=False)

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        if self._sock is None:
            self._sock = await _socket(self.address, self.port, socket.SOCK_DGRAM, timeout)
            _report_icmp_errors(self._sock.transport.get_extra_info("socket"))
        started = time.perf_counter()
        response = await dns.asyncquery.udp(
            query, self.address, timeout, self.port, sock=self._sock, ignore_errors=True
        )
        return Exchange(response, _ms(started))

    async def aclose(self) -> None:
        sock, self._sock = self._sock, None
        await _close(sock)


async def _close(sock: Any) -> None:
    """Close a dnspython socket, bounded: a TLS close waits for a peer that may be gone."""
    if sock is None:
        return
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await sock.close()


# Linux's IP_RECVERR / IPV6_RECVERR (not in the socket module): without them a connected UDP
# socket learns only of port unreachable, not of host or network unreachable (ip(7), udp(7)).
_RECVERR = {socket.AF_INET: (socket.IPPROTO_IP, 11), socket.AF_INET6: (socket.IPPROTO_IPV6, 25)}


def _report_icmp_errors(sock: socket.socket) -> None:
    level, option = _RECVERR[sock.family]
    with contextlib.suppress(OSError):  # not Linux: only port unreachable ends the wait early
        sock.setsockopt(level, option, 1)


async def _socket(
    address: str,
    port: int,
    kind: int,
    timeout: float,
    *,
    context: ssl.SSLContext | None = None,
    name: str | None = None,
) -> Any:
    """A dnspython socket connected to ``address``: UDP, TCP, or TLS with ``context``."""
    backend = dns.asyncbackend.get_default_backend()
    family = dns.inet.af_for_address(address)
    # dnspython's backends are untyped; the socket is used only through dnspython.
    return await backend.make_socket(  # type: ignore[no-untyped-call]
        family, kind, 0, None, (address, port), timeout, context, name
    )


@dataclass
class StreamConnection:
    """DNS over TCP (RFC 7766), or over TLS (DoT, RFC 7858) when ``tls_name`` is given.

    Messages carry a two-octet length prefix (RFC 1035 4.2.2); the connection opens on the
    first exchange and is kept for the next ones.
    """

    address: str
    port: int
    ca_pem: str | None = None
    tls: bool = False
    tls_name: str | None = None
    transport: str = "tcp"
    _sock: Any = field(default=None, repr=False)

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        connect_ms = None
        if self._sock is None:
            started = time.perf_counter()
            self._sock = await self._connect(timeout)
            connect_ms = _ms(started)
        started = time.perf_counter()
        try:
            response = await dns.asyncquery.tcp(query, self.address, timeout, sock=self._sock)
        except BaseException:
            await self.aclose()  # the stream's state is unknown: the next query reconnects
            raise
        return Exchange(response, _ms(started), connect_ms)

    async def _connect(self, timeout: float) -> Any:
        if not self.tls:
            return await _socket(self.address, self.port, socket.SOCK_STREAM, timeout)
        context = tls_context(self.ca_pem, DOT_ALPN)
        name = self.tls_name or self.address
        return await _socket(
            self.address, self.port, socket.SOCK_STREAM, timeout, context=context, name=name
        )

    async def aclose(self) -> None:
        sock, self._sock = self._sock, None
        await _close(sock)


@dataclass
class _SetupTimer:
    """Times the connection setup of a request from httpcore's ``trace`` events."""

    started: float | None = None
    connect_ms: float | None = None

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.started":
            self.started = time.perf_counter()
        elif event == "connection.start_tls.complete" and self.started is not None:
            self.connect_ms = _ms(self.started)


class _PinnedTransport(httpx2.AsyncBaseTransport):
    """Sends every request to one checked address, keeping the URL's host for Host and TLS.

    The address was resolved and allowed by the target policy before: connecting to it (not
    to whatever the name resolves to next) is what makes that check hold.
    """

    def __init__(
        self, address: str, tls_name: str | None, inner: httpx2.AsyncBaseTransport
    ) -> None:
        self.address, self.tls_name, self.inner = address, tls_name, inner
        self.timer = _SetupTimer()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        request.url = request.url.copy_with(host=self.address)
        request.extensions = {
            **request.extensions,
            "sni_hostname": self.tls_name or host,
            "trace": self.timer,
        }
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class DohConnection:
    """DNS over HTTPS (RFC 8484): POST ``application/dns-message``, or GET ``?dns=``."""

    transport = "doh"

    def __init__(self, server: Server, address: str, ca_pem: str | None) -> None:
        self.url, self.get = server.url or "", server.get
        inner = httpx2.AsyncHTTPTransport(verify=tls_context(ca_pem, []), http1=True, http2=True)
        self._pinned = _PinnedTransport(address, server.tls_name, inner)
        self._client = httpx2.AsyncClient(transport=self._pinned)

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        # httpcore loads anyio's asyncio backend on its first request (~20 ms, once per
        # process): load it before the clock starts, or it would count as query time.
        await anyio.lowlevel.checkpoint()
        timer = self._pinned.timer
        timer.started = timer.connect_ms = None
        started = time.perf_counter()
        response = await dns.asyncquery.https(
            query, self.url, timeout, client=self._client, post=not self.get
        )
        total = _ms(started)
        setup = timer.connect_ms
        return Exchange(response, round(total - (setup or 0.0), 3), setup)

    async def aclose(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, httpx2.HTTPError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._client.aclose()


ConnectionFactory = Callable[[Server, str, str | None], DnsConnection]


def open_connection(server: Server, address: str, ca_pem: str | None) -> DnsConnection:
    """The connection to ``server`` at ``address`` (nothing is sent until ``exchange``)."""
    if server.transport == "doh":
        return DohConnection(server, address, ca_pem)
    if server.transport == "udp":
        return UdpConnection(address, server.port)
    tls = server.transport == "dot"
    return StreamConnection(
        address, server.port, ca_pem, tls=tls, tls_name=server.tls_name, transport=server.transport
    )
