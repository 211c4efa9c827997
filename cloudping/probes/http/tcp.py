"""HTTP/1.1 and HTTP/2 over TCP (and TLS) through httpx: the TCP side of the HTTP probe.

Each exchange goes to the address the probe resolved and checked: the URL's host is swapped
for that address, while the Host header and the TLS server name (SNI, and the name the
certificate is checked against) stay the URL's host, so DNS cannot be asked again between the
check and the connect. One httpx client per (origin, address) serves a job and its redirects,
so a redirect to the same origin reuses the connection as curl does. Phase times are the
socket's (:mod:`cloudping.probes.http.stamped`): connect completion, the kernel's receipt of
the TLS handshake's last flight and of the response's first bytes; httpcore's ``trace``
extension says when each phase begins. ``trust_env`` is off, so no proxy from the
environment can carry the request elsewhere.
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

# httpcore imports h2 and anyio's asyncio backend on first use: imported here instead, so
# the first request's timings do not carry tens of milliseconds of imports.
import anyio._backends._asyncio  # noqa: F401
import httpcore
import httpcore._async.http2
import httpx

from cloudping.events import TlsInfo
from cloudping.probes.http.exchange import (
    BodySink,
    Exchange,
    ExchangeFailed,
    HttpVersion,
    Marks,
    Phase,
    Response,
    os_error_words,
    request_headers,
)
from cloudping.probes.http.stamped import (
    StampedBackend,
    StampedNetworkStream,
    stamped_transport,
)
from cloudping.probes.stream import StampedStream, perf_of
from cloudping.probes.tls.info import tls_from_ssl
from cloudping.probes.tls.trust import Trust

# --http -> (http1, http2). "2" alone is HTTP/2 only: ALPN h2 over TLS, prior knowledge
# (RFC 9113 section 3.3) over plain TCP.
_PROTOCOLS: dict[HttpVersion | None, tuple[bool, bool]] = {
    None: (True, True),
    "1.1": (True, False),
    "2": (False, True),
}
# httpcore trace event (without its http11./http2. prefix) -> (mark, phase now running).
_TRACE: dict[str, tuple[str, Phase | None]] = {
    "connection.connect_tcp.started": ("connect_start", "connect"),
    "connection.connect_tcp.complete": ("connect_end", None),
    "connection.start_tls.started": ("tls_start", "tls"),
    "connection.start_tls.complete": ("tls_end", None),
    "send_request_headers.started": ("request_start", "request"),
    "receive_response_headers.started": ("request_sent", "waiting"),
    "receive_response_headers.complete": ("first_byte", "body"),
}

Key = tuple[str, str, int, str]


class TcpTransport:
    """Exchanges over TCP for one job; :func:`tcp_transport` opens and closes it."""

    def __init__(self, context: ssl.SSLContext, version: HttpVersion | None) -> None:
        self.context, self.version = context, version
        self.verified = context.verify_mode != ssl.CERT_NONE
        self._clients: dict[Key, httpx.AsyncClient] = {}

    async def exchange(self, request: Exchange, marks: Marks) -> Response:
        """Send ``request`` to its address and read the response (body up to the cap)."""
        client = self._client(request)
        tracer = _Tracer(marks, require_h2=self.version == "2" and request.parts.scheme == "https")
        built = client.build_request(
            request.method,
            httpx.URL(request.url).copy_with(host=request.address),
            headers=request_headers(request),
            content=request.body,
            extensions={"trace": tracer, "sni_hostname": request.host},
        )
        if "accept-encoding" not in {name.lower() for name, _ in request.headers}:
            del built.headers["accept-encoding"]  # as curl: the body as the server has it
        try:
            return await _send(client, built, marks, cap=request.max_body, verified=self.verified)
        except httpx.HTTPError as exc:
            raise ExchangeFailed(describe(exc), tls=tracer.tls) from exc

    def _client(self, request: Exchange) -> httpx.AsyncClient:
        key = (request.parts.scheme, request.host, request.port, request.address)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = httpx.AsyncClient(
                transport=self._transport(),
                timeout=None,  # noqa: S113 (the probe bounds each job with asyncio.timeout)
                follow_redirects=False,
                trust_env=False,
            )
        return client

    def _transport(self) -> httpx.AsyncHTTPTransport:
        http1, http2 = _PROTOCOLS[self.version]
        return stamped_transport(self.context, http1=http1, http2=http2, backend=StampedBackend())

    async def aclose(self) -> None:
        for client in self._clients.values():
            with contextlib.suppress(httpx.HTTPError, OSError):
                await client.aclose()
        self._clients.clear()


@asynccontextmanager
async def tcp_transport(trust: Trust, version: HttpVersion | None) -> AsyncIterator[TcpTransport]:
    """A :class:`TcpTransport` for one job, its connections closed at the end.

    The TLS context is made here, before any request is timed: loading the system store
    takes tens of milliseconds.
    """
    transport = TcpTransport(trust.ssl_context(), version)
    try:
        yield transport
    finally:
        await transport.aclose()


async def _send(
    client: httpx.AsyncClient, built: httpx.Request, marks: Marks, *, cap: int, verified: bool
) -> Response:
    response = await client.send(built, stream=True)
    stream = response.extensions.get("network_stream")
    if isinstance(stream, StampedNetworkStream):  # the read that completed the headers
        marks.mark("first_byte", at=perf_of(stream.stream.last_rx_ns))
    sink = BodySink(cap)
    try:
        async for chunk in response.aiter_raw():
            if not sink.feed(chunk):
                break
    finally:
        await response.aclose()
    marks.mark("end", "done")
    return Response(
        status=response.status_code,
        http_version=response.http_version,
        headers=tuple(
            (k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in response.headers.raw
        ),
        head=sink.head,
        body_bytes=sink.count,
        truncated=sink.truncated,
        tls=_tls(response.extensions.get("network_stream"), verified=verified),
    )


def _tls(stream: Any, *, verified: bool) -> TlsInfo | None:
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    return tls_from_ssl(ssl_object, verified=verified, now=datetime.now(UTC))


class _Tracer:
    """httpcore's trace callback: marks the phases, keeps the TLS facts of a new connection."""

    def __init__(self, marks: Marks, *, require_h2: bool) -> None:
        self.marks = marks
        self.require_h2 = require_h2
        self.tls: TlsInfo | None = None

    async def __call__(self, name: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        event = name.removeprefix("http11.").removeprefix("http2.")
        if event in _TRACE:
            mark, phase = _TRACE[event]
            self.marks.mark(mark, phase, at=now)
        returned = info.get("return_value")
        if isinstance(returned, StampedNetworkStream):
            self._socket_times(returned.stream)
        if event == "connection.start_tls.complete":
            await self._tls_done(info["return_value"])

    def _socket_times(self, stream: StampedStream) -> None:
        """Connect and handshake as the socket saw them, in place of the trace's times."""
        self.marks.mark("connect_start", at=perf_of(stream.connect.start_ns))
        self.marks.mark("connect_end", at=perf_of(stream.connect.end_ns))
        if stream.handshake is not None:
            self.marks.mark("tls_start", at=perf_of(stream.handshake.start_ns))
            self.marks.mark("tls_end", at=perf_of(stream.handshake.end_ns))

    async def _tls_done(self, stream: httpcore.AsyncNetworkStream) -> None:
        ssl_object = stream.get_extra_info("ssl_object")
        verified = ssl_object.context.verify_mode != ssl.CERT_NONE
        self.tls = tls_from_ssl(ssl_object, verified=verified, now=datetime.now(UTC))
        # httpx would speak HTTP/2 on a connection the server agreed to for HTTP/1.1 only;
        # httpcore has not taken the stream yet, so it is ours to close.
        if self.require_h2 and self.tls.alpn != "h2":
            await stream.aclose()
            agreed = self.tls.alpn or "none"
            raise ExchangeFailed(f"the server does not offer HTTP/2 (ALPN: {agreed})", tls=self.tls)


def describe(exc: BaseException) -> str:
    """The sentence for a failed exchange, from the deepest cause that says what happened."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {cause.verify_message} (--ca FILE trusts a CA)"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed: {cause.reason or cause}"
        if (words := os_error_words(cause)) is not None:
            return words
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.RemoteProtocolError | httpx.LocalProtocolError):
        return f"HTTP protocol error: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
