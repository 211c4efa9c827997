"""How a DNS query travels: UDP, TCP, DoT and DoH, each behind one small seam.

A :class:`DnsConnection` sends a query and returns an :class:`Exchange`: the answer, the query
time, and the connection setup time when this query had to open the connection (TCP connect,
plus the TLS handshake for DoT and DoH; ``None`` for UDP and a reused connection). Stream
connections stay open between queries (RFC 7766 6.2.1 lets a client send many queries on one
TCP connection; RFC 7858 3.4 and RFC 8484 5.1 say the same for DoT and DoH), which is what the
first-query cost of a new connection is measured against. UDP, TCP and DoT run on sockets of
their own, timed where the packets are (kernel receive stamps, see :class:`UdpConnection` and
:mod:`cloudping.probes.stream`); DoH is httpx on the same streams, pinned to the address the
probe resolved and checked. dnspython encodes and decodes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import dns.exception
import dns.message
import dns.query
import httpx

from cloudping.probes.dns.server import Server
from cloudping.probes.dns.tls import tls_context
from cloudping.probes.env import Family
from cloudping.probes.http.stamped import StampedBackend, stamped_transport
from cloudping.probes.port.sockets import (
    Received,
    open_probe_socket,
    read_datagram,
    read_queued_error,
)
from cloudping.probes.stream import StampedStream, readable

CLOSE_TIMEOUT = 1.0
DNS_MESSAGE = "application/dns-message"  # RFC 8484 6
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
            TimeoutError, OSError, ssl.SSLError, httpx.HTTPError, dns.exception.DNSException:
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


class DohConnection:
    """DNS over HTTPS (RFC 8484): POST ``application/dns-message``, or GET ``?dns=``.

    httpx on the stamped backend (:mod:`cloudping.probes.http.stamped`) sends every request
    to the checked address, the URL's host kept for Host and TLS; HTTP/2 when the server
    offers it. Setup is a new connection's connect and handshake; the query runs from the
    request's last bytes handed to the kernel to the kernel's receipt of the answer's last.
    """

    transport = "doh"

    def __init__(self, server: Server, address: str, ca_pem: str | None) -> None:
        self.server, self.address = server, address
        self._backend = StampedBackend()
        transport = stamped_transport(
            tls_context(ca_pem, []), http1=True, http2=True, backend=self._backend
        )
        # No timeout of its own: the asker bounds each query with asyncio.timeout.
        self._client = httpx.AsyncClient(transport=transport, timeout=None, trust_env=False)  # noqa: S113
        self._known: StampedStream | None = None  # the connection whose setup was reported

    async def exchange(self, query: dns.message.Message, timeout: float) -> Exchange:
        sent: list[int] = []

        async def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith("send_request_body.complete") and self._backend.latest:
                sent.append(self._backend.latest.last_tx_ns)

        response = await self._client.send(self._request(query.to_wire(), trace))
        status = response.status_code
        if not 200 <= status < 300:
            raise ValueError(f"{self.server.url} responded with status code {status}")
        answer = _answer(query, response.content)
        stream = self._backend.latest
        if answer is None or stream is None or not sent:
            raise dns.query.BadResponse
        connect_ms = None
        if stream is not self._known:
            self._known = stream
            setup = stream.handshake or stream.connect
            connect_ms = _ns_ms(stream.connect.start_ns, setup.end_ns)
        return Exchange(answer, _ns_ms(sent[-1], stream.last_rx_ns), connect_ms)

    def _request(self, wire: bytes, trace: Any) -> httpx.Request:
        url = httpx.URL(self.server.url or "")
        headers = {"Host": url.netloc.decode("ascii"), "Accept": DNS_MESSAGE}
        extensions = {"sni_hostname": self.server.tls_name or url.host, "trace": trace}
        pinned = url.copy_with(host=self.address)
        if self.server.get:
            encoded = base64.urlsafe_b64encode(wire).rstrip(b"=").decode("ascii")
            pinned = pinned.copy_merge_params({"dns": encoded})
            return self._client.build_request("GET", pinned, headers=headers, extensions=extensions)
        headers["Content-Type"] = DNS_MESSAGE
        return self._client.build_request(
            "POST", pinned, headers=headers, content=wire, extensions=extensions
        )

    async def aclose(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, httpx.HTTPError):
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
