"""HTTP/3 over QUIC through aioquic: the QUIC side of the HTTP probe (RFC 9114, RFC 9000).

A connected UDP socket to the checked address (so an ICMP port unreachable comes back as a
refused connection), a QUIC connection with ALPN ``h3`` whose server name is the URL's host,
and one request stream. aioquic's own event hooks give the phases: ``connect`` ends with the
first datagram back from the server (its Initial, one round trip, like a SYN-ACK), ``tls``
with the handshake (RFC 9001), ``ttfb`` at the response's HEADERS frame.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, H3Event, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import NetworkAddress, QuicConnection
from aioquic.quic.events import ConnectionTerminated, HandshakeCompleted, QuicEvent, StreamReset
from aioquic.tls import CipherSuite
from cryptography import x509
from OpenSSL.crypto import X509Store

from cloudping.events import TlsInfo
from cloudping.probes.http.exchange import (
    BodySink,
    Exchange,
    ExchangeFailed,
    HttpVersion,
    Marks,
    Response,
    os_error_words,
    request_headers,
)
from cloudping.probes.tls.info import tls_from_quic
from cloudping.probes.tls.quictrust import store_for, untrusted_because
from cloudping.probes.tls.trust import Trust

# aioquic logs a peer's or our own close as a warning; the result already says it. A handler
# keeps Python's last-resort handler from printing it on a CLI's stderr (propagation stays).
logging.getLogger("quic").addHandler(logging.NullHandler())

CRYPTO_ERROR = 0x100  # RFC 9001 section 4.8: TLS alert N closes QUIC with error 0x100 + N
BAD_CERTIFICATE = 42  # RFC 8446 section 6.2
# RFC 8446 section 6.2: alerts about the peer's certificate (bad, unsupported, revoked,
# expired, unknown, unknown CA).
_CERTIFICATE_ALERTS = frozenset({42, 43, 44, 45, 46, 48})
# RFC 9114 section 4.2: connection-specific fields are malformed in HTTP/3; Host becomes
# :authority (section 4.3.1).
_NOT_IN_H3 = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                        "upgrade", "te", "host"})  # fmt: skip


class H3Transport:
    """Exchanges over QUIC, one connection each; :func:`h3_transport` opens it."""

    def __init__(self, trust: Trust) -> None:
        # Loaded here, once, so that no request's TLS phase carries the loading.
        self.store = None if trust.insecure else store_for(trust)

    async def exchange(self, request: Exchange, marks: Marks) -> Response:
        """Connect, send ``request`` on one stream, read the response (body up to the cap)."""
        if request.parts.scheme.lower() != "https":  # a redirect to http://
            raise ExchangeFailed(f"HTTP/3 runs over QUIC with TLS only: {request.url} not fetched")
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in request.address else socket.AF_INET
        quic = _Connection(configuration=_configuration(request))
        client = _H3Client(quic, request, marks, self.store)
        transport, _ = await loop.create_datagram_endpoint(
            lambda: client, remote_addr=(request.address, request.port), family=family
        )
        try:
            # QUIC must send to the very sockaddr the socket is connected to (asyncio checks).
            client.start(transport.get_extra_info("peername"))
            return await client.outcome
        finally:
            client.shutdown()
            transport.close()


@asynccontextmanager
async def h3_transport(trust: Trust, version: HttpVersion | None) -> AsyncIterator[H3Transport]:
    """An :class:`H3Transport` for one job (nothing is shared between its exchanges)."""
    yield H3Transport(trust)


def _configuration(request: Exchange) -> QuicConfiguration:
    config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name=request.host)
    config.verify_mode = ssl.CERT_NONE  # checked by _H3Client with a store loaded once
    return config


class _Connection(QuicConnection):
    """A QUIC connection that says at once when it closes itself (aioquic reports its own
    close only after the closing period, RFC 9000 section 10.2: three probe timeouts)."""

    on_close: Callable[[int, str], None] | None = None

    def close(
        self, error_code: int = 0, frame_type: int | None = None, reason_phrase: str = ""
    ) -> None:
        super().close(error_code=error_code, frame_type=frame_type, reason_phrase=reason_phrase)
        if self.on_close is not None:
            self.on_close(error_code, reason_phrase)


class _H3Client(QuicConnectionProtocol):
    """One request over one QUIC connection; ``outcome`` resolves to the response."""

    def __init__(
        self, quic: _Connection, request: Exchange, marks: Marks, store: X509Store | None
    ) -> None:
        super().__init__(quic)
        self.store = store
        quic.on_close = self._closed_by_us
        self._h3 = H3Connection(quic)
        self.request, self.marks = request, marks
        self.outcome: asyncio.Future[Response] = self._loop.create_future()
        self._sink = BodySink(request.max_body)
        self._stream_id: int | None = None
        self._status: int | None = None
        self._headers: tuple[tuple[str, str], ...] = ()
        self._tls: TlsInfo | None = None

    def start(self, sockaddr: NetworkAddress) -> None:
        self.marks.mark("connect_start", "connect")
        self.connect(sockaddr)

    def shutdown(self) -> None:
        """Close the connection now and stop its timer (no closing period is waited for)."""
        if not self.outcome.done():
            self.outcome.cancel()
        self.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- asyncio -----------------------------------------------------------------------------

    def datagram_received(self, data: bytes | str, addr: NetworkAddress) -> None:
        if "connect_end" not in self.marks.points:
            self.marks.mark("connect_end")
            self.marks.mark("tls_start", "tls")
        super().datagram_received(data, addr)

    def error_received(self, exc: Exception) -> None:
        # A connected UDP socket reports the ICMP errors about what it sent (port unreachable).
        words = os_error_words(exc) or str(exc)
        if isinstance(exc, ConnectionRefusedError):
            words += f": nothing answers QUIC on UDP port {self.request.port}"
        self._fail(ExchangeFailed(words))

    # -- QUIC and HTTP/3 events --------------------------------------------------------------

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, HandshakeCompleted):
            self._handshake_done(event.alpn_protocol)
        elif isinstance(event, ConnectionTerminated):
            self._fail(
                ExchangeFailed(closed_words(event.error_code, event.reason_phrase), tls=self._tls)
            )
        elif isinstance(event, StreamReset) and event.stream_id == self._stream_id:
            self._fail(
                ExchangeFailed(f"the server reset the stream (error 0x{event.error_code:x})")
            )
        for h3_event in self._h3.handle_event(event):
            self._h3_event(h3_event)

    def _handshake_done(self, alpn: str | None) -> None:
        tls = self._quic.tls
        # aioquic keeps the peer's certificates private (they are what its verifier would check).
        cert: x509.Certificate | None = getattr(tls, "_peer_certificate", None)
        problem = self._untrusted(cert, getattr(tls, "_peer_certificate_chain", []))
        self.marks.mark("tls_end")
        verified = self.store is not None and problem is None
        self._tls = _tls_facts(self._quic, alpn, cert, verified=verified)
        if problem is not None:  # RFC 9001 section 4.8: a TLS alert as QUIC error 0x100 + N
            self.close(error_code=CRYPTO_ERROR + BAD_CERTIFICATE, reason_phrase=problem)
            return
        self._send_request()

    def _untrusted(
        self, cert: x509.Certificate | None, chain: list[x509.Certificate]
    ) -> str | None:
        if self.store is None:  # -k
            return None
        if cert is None:
            return "the server sent no certificate"
        return untrusted_because(cert, chain, self.request.host, self.store)

    def _send_request(self) -> None:
        self._stream_id = self._quic.get_next_available_stream_id()
        body = self.request.body
        self.marks.mark("request_start", "request")
        self._h3.send_headers(self._stream_id, h3_headers(self.request), end_stream=body is None)
        if body is not None:
            self._h3.send_data(self._stream_id, body, end_stream=True)
        self.marks.phase = "waiting"

    def _h3_event(self, event: H3Event) -> None:
        if getattr(event, "stream_id", None) != self._stream_id or self.outcome.done():
            return
        if isinstance(event, HeadersReceived) and self._status is None:
            self._response_head(event.headers)
        elif isinstance(event, DataReceived) and not self._sink.feed(event.data):
            self._finish()
        if getattr(event, "stream_ended", False):
            self._finish()

    def _response_head(self, fields: list[tuple[bytes, bytes]]) -> None:
        headers = [(k.decode("latin-1"), v.decode("utf-8", "replace")) for k, v in fields]
        status = int(dict(headers).get(":status", "0"))
        if 100 <= status < 200:  # an interim response (RFC 9110 section 15.2): wait on
            return
        self._status = status
        self._headers = tuple(pair for pair in headers if not pair[0].startswith(":"))
        self.marks.mark("first_byte", "body")

    def _finish(self) -> None:
        if self._status is None:
            self._fail(ExchangeFailed("the stream ended without a response", tls=self._tls))
            return
        self.marks.mark("end", "done")
        self.outcome.set_result(
            Response(
                status=self._status,
                http_version="HTTP/3",
                headers=self._headers,
                head=self._sink.head,
                body_bytes=self._sink.count,
                truncated=self._sink.truncated,
                tls=self._tls,
            )
        )

    def _closed_by_us(self, error_code: int, reason: str) -> None:
        if error_code:  # our TLS stack refused the certificate, or a protocol error
            self._fail(ExchangeFailed(closed_words(error_code, reason), tls=self._tls))

    def _fail(self, failure: ExchangeFailed) -> None:
        if not self.outcome.done():
            self.outcome.set_exception(failure)


def h3_headers(request: Exchange) -> list[tuple[bytes, bytes]]:
    """The request's fields: pseudo-headers first (RFC 9114 section 4.3.1), names lowercase."""
    pairs = request_headers(request)
    authority = next(value for name, value in pairs if name.lower() == "host")
    fields = [
        (b":method", request.method.encode()),
        (b":scheme", b"https"),
        (b":authority", authority.encode()),
        (b":path", request.target.encode()),
    ]
    fields += [(k.lower().encode(), v.encode()) for k, v in pairs if k.lower() not in _NOT_IN_H3]
    if request.body is not None:
        fields.append((b"content-length", str(len(request.body)).encode()))
    return fields


def closed_words(error_code: int, reason: str) -> str:
    """The sentence for a QUIC connection closed with ``error_code`` (RFC 9000 section 20)."""
    alert = error_code - CRYPTO_ERROR
    if alert in _CERTIFICATE_ALERTS:
        return f"TLS certificate not trusted: {reason} (--ca FILE trusts a CA)"
    if 0 <= alert < 256:
        return f"TLS handshake failed: {reason or f'alert {alert}'}"
    return f"QUIC connection closed: {reason or 'no reason given'} (error 0x{error_code:x})"


def _tls_facts(
    quic: QuicConnection, alpn: str | None, cert: x509.Certificate | None, *, verified: bool
) -> TlsInfo:
    suite = getattr(getattr(quic.tls, "key_schedule", None), "cipher_suite", None)
    cipher = f"TLS_{CipherSuite(suite).name}" if suite is not None else None
    return tls_from_quic(
        alpn=alpn, cipher=cipher, cert=cert, verified=verified, now=datetime.now(UTC)
    )
