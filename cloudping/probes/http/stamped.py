"""httpcore's network backend on :class:`~cloudping.probes.stream.StampedStream`.

httpx speaks HTTP/1.1 and HTTP/2 over whatever stream its backend gives it; this backend gives
it a connection that knows when its bytes crossed the socket, so the HTTP probe reads connect,
TLS handshake and first response byte where the socket saw them, and the HTTP/2 stack's
parsing stays out of the time to first byte. Socket and TLS errors become httpcore's, as its
own backend maps them (httpx then maps those to ``httpx.HTTPError``); the original stays the
``__cause__``, which the probe's error sentence reads.
"""

from __future__ import annotations

import asyncio
import select
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from cloudping.probes.stream import StampedStream


class StampedNetworkStream(httpcore.AsyncNetworkStream):
    """One connection for httpcore; :attr:`stream` holds its times."""

    def __init__(self, stream: StampedStream) -> None:
        self.stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return await self.stream.receive(max_bytes)
        except (OSError, EOFError) as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            await self.stream.send(buffer)
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self.stream.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            await self.stream.start_tls(ssl_context, server_hostname)
        except (OSError, EOFError) as exc:  # ssl.SSLError is an OSError
            self.stream.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        sock = self.stream.sock
        if info == "ssl_object":
            return self.stream.tls
        if info == "socket":
            return sock
        if info == "client_addr":
            return sock.getsockname()
        if info == "server_addr":
            return sock.getpeername()
        if info == "is_readable":  # an idle pooled connection the server has closed
            return bool(select.select([sock], [], [], 0)[0])
        return None


class StampedBackend(httpcore.AsyncNetworkBackend):
    """Opens :class:`StampedNetworkStream` connections to address literals.

    The probe hands httpx the address it resolved and checked, never a name: this backend
    resolves nothing. ``latest`` is the connection it opened last.
    """

    def __init__(self) -> None:
        self.latest: StampedStream | None = None

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            stream = await StampedStream.open((host, port))
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        self.latest = stream
        return StampedNetworkStream(stream)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def stamped_transport(
    context: ssl.SSLContext, *, http1: bool, http2: bool, backend: StampedBackend
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections are ``backend``'s; no proxy from the environment."""
    transport = httpx.AsyncHTTPTransport(verify=context, http1=http1, http2=http2, trust_env=False)
    # httpx takes no network backend, its httpcore pool does: the pool is swapped for one on
    # the stamped backend (the same settings, httpx's default limits).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context, http1=http1, http2=http2, network_backend=backend
    )
    return transport
