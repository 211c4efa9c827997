"""A TCP connection, TLS optional, that knows when its bytes crossed the socket.

Phase times of a stream protocol (DNS over TCP and TLS, HTTP/1.1 and HTTP/2) are read here,
where the network is, not around a library's calls: the send time is taken at the ``send``,
and every read carries the kernel's receive time of its data (``SO_TIMESTAMPNS``, socket(7);
Linux stamps TCP reads with the last segment they consumed, tcp(7)), so neither the event
loop's wake-up nor a protocol stack's parsing counts as network time. TLS runs on memory BIOs
(``ssl.SSLObject``) over the plain socket, so the handshake's last flight is stamped by the
kernel too. The connect is the kernel's own SYN to SYN-ACK time (as tcping's); after a
retransmitted SYN, the event loop's writable wake-up (which includes the retransmission wait).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass

from cloudping.probes.icmp.transport import SO_TIMESTAMPNS, parse_ancillary
from cloudping.probes.port.sockets import syn_rtt_us

_ANCILLARY = 512
_CHUNK = 65536


@dataclass(frozen=True, slots=True)
class Span:
    """A phase between two instants, in ns since the epoch (``time.time_ns``' clock)."""

    start_ns: int
    end_ns: int


def perf_of(ns: int) -> float:
    """``time.perf_counter`` seconds of a wall-clock instant ``ns`` (a kernel stamp)."""
    return time.perf_counter() - (time.time_ns() - ns) / 1e9


class StampedStream:
    """One TCP connection; :meth:`connect` opens it, :meth:`start_tls` secures it.

    ``last_rx_ns`` is the kernel's receive time of the newest data read from the socket (the
    read's wall time where the kernel gives none); ``last_tx_ns`` is when the newest data was
    handed to the kernel.
    """

    def __init__(self, sock: socket.socket, connect: Span) -> None:
        self.sock = sock
        self.connect = connect
        self.handshake: Span | None = None
        self.last_rx_ns = self.last_tx_ns = connect.end_ns
        self.tls: ssl.SSLObject | None = None
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, sockaddr: tuple[object, ...]) -> StampedStream:
        """Connect to ``sockaddr`` (``(address, port)`` or the IPv6 4-tuple).

        Raises:
            OSError: refused, unreachable, or no descriptor.
        """
        family = socket.AF_INET6 if ":" in str(sockaddr[0]) else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            started = time.time_ns()
            await asyncio.get_running_loop().sock_connect(sock, sockaddr)
            rtt_us = syn_rtt_us(sock)
            span = Span(started, time.time_ns() if rtt_us is None else started + rtt_us * 1000)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        return cls(sock, span)

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str | None) -> None:
        """Run the TLS handshake; :attr:`handshake` spans the ClientHello's send to the
        kernel's receipt of the server flight that completed it.

        Raises:
            ssl.SSLError: the handshake failed (an untrusted certificate among others).
            OSError, EOFError: the connection broke.
        """
        self.tls = context.wrap_bio(self._incoming, self._outgoing, server_hostname=server_hostname)
        started: int | None = None
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sent = await self._flush()
                started = started if started is not None else sent
                await self._fill()
        await self._flush()  # the client's Finished
        self.handshake = Span(started or self.last_rx_ns, self.last_rx_ns)

    async def send(self, data: bytes) -> int:
        """Send ``data``; returns the time it was handed to the kernel (ns since the epoch)."""
        if self.tls is None:
            self.last_tx_ns = time.time_ns()
            await self._loop.sock_sendall(self.sock, data)
            return self.last_tx_ns
        self.tls.write(data)
        return await self._flush()

    async def receive(self, limit: int = _CHUNK) -> bytes:
        """Up to ``limit`` bytes, waiting for some; ``b""`` at the end of the stream."""
        if self.tls is None:
            return await self._read_raw(limit)
        while True:
            try:
                return self.tls.read(limit)
            except ssl.SSLWantReadError:
                if not await self._fill():
                    return b""
            except ssl.SSLZeroReturnError:
                return b""

    async def receive_exactly(self, size: int) -> bytes:
        """Exactly ``size`` bytes. Raises EOFError when the stream ends first."""
        data = b""
        while len(data) < size:
            chunk = await self.receive(size - len(data))
            if not chunk:
                raise EOFError("the server closed the connection")
            data += chunk
        return data

    def close(self) -> None:
        """Close the socket at once (no TLS close_notify: nothing waits for a gone peer)."""
        self.sock.close()

    async def _flush(self) -> int:
        """Send what TLS has queued; returns when it was handed to the kernel."""
        sent = time.time_ns()
        pending = self._outgoing.read()
        if pending:
            self.last_tx_ns = sent
            await self._loop.sock_sendall(self.sock, pending)
        return sent

    async def _fill(self) -> bool:
        """Feed TLS one read from the socket; ``False`` at the end of the stream."""
        data = await self._read_raw(_CHUNK)
        if not data:
            self._incoming.write_eof()
            return False
        self._incoming.write(data)
        return True

    async def _read_raw(self, limit: int) -> bytes:
        while True:
            try:
                data, ancdata, _, _ = self.sock.recvmsg(limit, _ANCILLARY)
            except (BlockingIOError, InterruptedError):
                await readable(self.sock)
                continue
            stamp, _, _ = parse_ancillary(ancdata)
            self.last_rx_ns = stamp if stamp is not None else time.time_ns()
            return data


async def readable(sock: socket.socket) -> None:
    """Wait until the event loop sees ``sock`` readable (data, an error, or its end)."""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()
    fd = sock.fileno()

    def ready() -> None:
        if not waiter.done():
            waiter.set_result(None)

    loop.add_reader(fd, ready)
    try:
        await waiter
    finally:
        loop.remove_reader(fd)
