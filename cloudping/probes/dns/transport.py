"""How a DNS query travels: UDP, TCP, DoT and DoH, each behind one small seam.

A :class:`DnsConnection` sends a query and returns an :class:`Exchange`: the answer, the query
time, and the connection setup time when this query had to open the connection (TCP connect,
plus the TLS handshake for DoT and DoH; ``None`` for UDP and a reused connection). Stream
connections stay open between queries (RFC 7766 6.2.1 lets a client send many queries on one
TCP connection; RFC 7858 3.4 and RFC 8484 5.1 say the same for DoT and DoH), which is what the
first-query cost of a new connection is measured against. UDP, TCP and DoT run on sockets of
their own, timed where the packets are (kernel receive stamps, see :class:`UdpConnection` and
:mod:`cloudping.probes.stream`); dnspython encodes and decodes. DoH goes through dnspython and
httpx2, pinned to the address the probe resolved and checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio.lowlevel
import dns.asyncquery
import dns.exception
import dns.message
import dns.query
import httpx2

from cloudping.probes.dns.server import Server
from cloudping.probes.dns.tls import tls_context
from cloudping.probes.env import Family
from cloudping.probes.port.sockets import (
    Received,
    open_probe_socket,
    read_datagram,
    read_queued_error,
)
from cloudping.probes.stream import StampedStream, readable

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


def _ns_ms(start_ns: int, end_ns: int) -> float:
    return round((end_ns - start_ns) / 1e6, 3)


def _answer(query: dns.message.Message, wire: bytes) -> dns.message.Message | None:
    """``wire`` decoded when it answers ``query`` (same ID and question), else ``None``."""
    try:
        response = dns.message.from_wire(wire, keyring=query.keyring, request_mac=query.request_mac)
    except (dns.exception.DNSException, ValueError):
        return None
    return response if query.is_response(response) else None


@dataclass
class UdpConnection:
    """Plain DNS over UDP (RFC 1035 4.2.1): one datagram each way, timed by the kernel.

    The socket is connected, so the kernel passes on only the server's datagrams, and with
    ``IP_RECVERR`` a port, host or network unreachable ends the wait at once (ip(7), udp(7)).
    An answer whose ID or question does not match is dropped and the wait goes on (RFC 5452
    9.1). The query time runs from the send to the kernel's receive stamp of the answer
    (``SO_TIMESTAMPNS``), as ping's RTTs: the event loop's wake-up is not network time. The
    socket is kept for the next queries.
    """

    address: str
    port: int
    transport: str = "udp"
    _sock: socket.socket | None = field(default=None, repr=False)

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        if self._sock is None:
            self._sock = _udp_socket(self.address, self.port)
        wire = query.to_wire()
        sent_ns = time.time_ns()
        self._sock.send(wire)
        while True:
            received = await _datagram(self._sock)
            response = _answer(query, received.data)
            if response is not None:
                rx_ns = received.rx_ns if received.rx_ns is not None else time.time_ns()
                return Exchange(response, _ns_ms(sent_ns, rx_ns))

    async def aclose(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()


def _udp_socket(address: str, port: int) -> socket.socket:
    family: Family = 6 if ":" in address else 4
    sock = open_probe_socket(family, socket.SOCK_DGRAM)
    try:
        sock.connect((address, port))
    except OSError:
        sock.close()
        raise
    return sock


async def _datagram(sock: socket.socket) -> Received:
    """The next datagram on ``sock``.

    Raises:
        OSError: an ICMP error ended the wait (refused, host or network unreachable).
    """
    family: Family = 6 if sock.family == socket.AF_INET6 else 4
    while True:
        try:
            received = read_datagram(sock, family)
        except OSError:
            _drain_errors(sock, family)
            raise
        if received is not None:
            return received
        # A queued ICMP error keeps the socket readable: read it, or the loop spins.
        _drain_errors(sock, family)
        await readable(sock)


def _drain_errors(sock: socket.socket, family: Family) -> None:
    while read_queued_error(sock, family) is not None:
        pass


@dataclass
class StreamConnection:
    """DNS over TCP (RFC 7766), or over TLS (DoT, RFC 7858) when ``tls`` is set.

    Messages carry a two-octet length prefix (RFC 1035 4.2.2); the connection opens on the
    first exchange and is kept for the next ones. Times are taken on the connection
    (:mod:`cloudping.probes.stream`): setup from the connect to the kernel's receipt of the
    TLS handshake's last flight, the query from its send to the kernel's receipt of the
    answer's last segment.
    """

    address: str
    port: int
    ca_pem: str | None = None
    tls: bool = False
    tls_name: str | None = None
    transport: str = "tcp"
    _stream: StampedStream | None = field(default=None, repr=False)

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        connect_ms = None
        if self._stream is None:
            self._stream = await self._connect()
            setup = self._stream.handshake or self._stream.connect
            connect_ms = _ns_ms(self._stream.connect.start_ns, setup.end_ns)
        stream = self._stream
        try:
            wire = query.to_wire()
            sent_ns = await stream.send(struct.pack("!H", len(wire)) + wire)
            (size,) = struct.unpack("!H", await stream.receive_exactly(2))
            response = _answer(query, await stream.receive_exactly(size))
        except BaseException:
            await self.aclose()  # the stream's state is unknown: the next query reconnects
            raise
        if response is None:
            await self.aclose()
            raise dns.query.BadResponse
        return Exchange(response, _ns_ms(sent_ns, stream.last_rx_ns), connect_ms)

    async def _connect(self) -> StampedStream:
        stream = await StampedStream.open((self.address, self.port))
        if self.tls:
            try:
                context = tls_context(self.ca_pem, DOT_ALPN)
                await stream.start_tls(context, self.tls_name or self.address)
            except BaseException:
                stream.close()
                raise
        return stream

    async def aclose(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()


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
