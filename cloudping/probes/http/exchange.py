"""One HTTP request and its response, whatever carries them: the seam between the probe and
its transports.

The redirect loop (:mod:`cloudping.probes.http.probe`) hands an :class:`Exchange` to a
:class:`Transport` (:mod:`httptcp`: HTTP/1.1 and HTTP/2 over TCP through httpx; :mod:`http3`:
HTTP/3 over QUIC through aioquic) with a :class:`Marks` to fill in, and gets a
:class:`Response`, or :class:`ExchangeFailed` for an expected failure (refused, TLS, protocol).
Tests hand the loop an in-memory transport instead.
"""

from __future__ import annotations

import errno
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol
from urllib.parse import SplitResult, urlsplit

from cloudping import __version__
from cloudping.events import HttpTimings, TlsInfo
from cloudping.probes.tls.trust import Trust

HttpVersion = Literal["1.1", "2", "3"]
Phase = Literal["dns", "connect", "tls", "request", "waiting", "body", "done"]
EXCERPT_BYTES = 512
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = f"cloudping/{__version__}"


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request to send to ``address``: the URL's host stays the Host header and the SNI."""

    method: str
    url: str
    address: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    max_body: int

    @property
    def parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        """The URL's host: a name, or an address literal (IPv6 without brackets)."""
        return self.parts.hostname or ""

    @property
    def port(self) -> int:
        return self.parts.port or DEFAULT_PORTS[self.parts.scheme.lower()]

    @property
    def authority(self) -> str:
        """``host[:port]`` for Host and ``:authority`` (RFC 9110 7.2); a default port left out."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return (
            shown
            if self.parts.port in (None, DEFAULT_PORTS[self.parts.scheme.lower()])
            else (f"{shown}:{self.parts.port}")
        )

    @property
    def target(self) -> str:
        """The request target in origin form: path and query (RFC 9112 section 3.2.1)."""
        parts = self.parts
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def request_headers(request: Exchange) -> list[tuple[str, str]]:
    """Host, User-Agent and Accept as curl sends them, then the asked headers (which win)."""
    given = {name.lower() for name, _ in request.headers}
    defaults = [("Host", request.authority), ("User-Agent", USER_AGENT), ("Accept", "*/*")]
    return [pair for pair in defaults if pair[0].lower() not in given] + list(request.headers)


@dataclass
class Marks:
    """When each phase of one request began and ended (``time.perf_counter`` seconds).

    Filled by the probe (start, DNS) and by the transport (connect, TLS, first byte, end);
    ``phase`` is what was running last, which a timeout message names.
    """

    start: float = field(default_factory=time.perf_counter)
    points: dict[str, float] = field(default_factory=dict)
    phase: Phase = "dns"

    def mark(self, name: str, phase: Phase | None = None, at: float | None = None) -> None:
        self.points[name] = time.perf_counter() if at is None else at
        if phase is not None:
            self.phase = phase

    def span(self, begin: str, end: str) -> float | None:
        """Milliseconds from ``begin`` to ``end``, or ``None`` when either did not happen."""
        if begin not in self.points or end not in self.points:
            return None
        return _ms(self.points[end] - self.points[begin])

    def since_start(self, name: str) -> float | None:
        return _ms(self.points[name] - self.start) if name in self.points else None

    def timings(self) -> HttpTimings:
        return HttpTimings(
            dns_ms=self.span("dns_start", "dns_end"),
            connect_ms=self.span("connect_start", "connect_end"),
            tls_ms=self.span("tls_start", "tls_end"),
            ttfb_ms=self.since_start("first_byte"),
            total_ms=self.since_start("end"),
        )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


@dataclass(frozen=True, slots=True)
class Response:
    """What came back: status line, headers, the body's head and size, the TLS facts."""

    status: int
    http_version: str
    headers: tuple[tuple[str, str], ...]
    head: bytes
    body_bytes: int
    truncated: bool
    tls: TlsInfo | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class ExchangeFailed(Exception):  # noqa: N818 (an outcome, reported as data by the probe)
    """An expected failure of one exchange, with the sentence the result shows."""

    def __init__(self, message: str, *, tls: TlsInfo | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.tls = tls


_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by the server",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
}


def os_error_words(exc: BaseException) -> str | None:
    """What a socket error means, for the errors a probe meets (``None``: not one of them)."""
    if isinstance(exc, OSError) and exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    return None


class BodySink:
    """Counts body bytes up to ``cap`` and keeps the head for the excerpt."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.count = 0
        self.truncated = False
        self._head = bytearray()

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk; ``False`` once the cap is reached (read no more)."""
        room = self.cap - self.count
        if len(chunk) > room:
            chunk, self.truncated = chunk[:room], True
        self.count += len(chunk)
        if len(self._head) < EXCERPT_BYTES + 3:  # + 3: a UTF-8 character cut at the end
            self._head += chunk[: EXCERPT_BYTES + 3 - len(self._head)]
        return not self.truncated and self.count < self.cap

    @property
    def head(self) -> bytes:
        return bytes(self._head)


class Transport(Protocol):
    """Carries exchanges for one URL's job (and its redirects); closed with the job."""

    async def exchange(self, request: Exchange, marks: Marks) -> Response:
        """Send ``request`` and read the response (the body up to ``max_body``).

        Raises:
            ExchangeFailed: refused, reset, TLS or protocol failure.
        """
        ...


TransportFactory = Callable[[Trust, HttpVersion | None], AbstractAsyncContextManager[Transport]]
"""Opens the transport of one job: ``factory(trust, version)``."""
