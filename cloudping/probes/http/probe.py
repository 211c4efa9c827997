"""The HTTP probe: fetch URLs, time every phase, follow redirects, report TLS and the response.

One job per URL, all at once. A job resolves the URL's host itself (``-4``/``-6`` honoured),
checks the address against the target policy, and has the transport connect to exactly that
address (the host stays the Host header and the TLS name), so DNS rebinding cannot slip past
the check. With ``-L`` every redirect target is resolved and checked the same way (design.md:
"checked on every HTTP redirect"). HTTP/1.1 and HTTP/2 go through httpx (:mod:`httptcp`),
HTTP/3 through aioquic (:mod:`http3`).

A response is a result whatever its status (a 503 included), and so is a refused connection,
a TLS failure or a timeout: an ``http`` event with ``error``. A name that does not resolve and
an address the policy refuses are ``error`` events with their codes (``resolve_failed``,
``policy_denied``), as for every probe; after redirects, the chain so far comes first.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from cloudping.commands import HttpCommand
from cloudping.commands.names import ip_literal
from cloudping.errors import CloudpingError
from cloudping.events import Emit, ErrorEvent, HttpEvent, HttpHop, TlsInfo
from cloudping.policy import DEFAULT_LIMITS
from cloudping.probes.env import ProbeEnv, resolve
from cloudping.probes.http.exchange import (
    Exchange,
    ExchangeFailed,
    HttpVersion,
    Marks,
    Phase,
    Response,
    Transport,
    TransportFactory,
)
from cloudping.probes.http.http3 import h3_transport
from cloudping.probes.http.redirects import (
    MAX_REDIRECTS,
    RedirectRefused,
    Request,
    is_redirect,
    next_request,
)
from cloudping.probes.http.result import bounded_headers, excerpt
from cloudping.probes.http.tcp import tcp_transport
from cloudping.probes.tls.trust import Trust

FORM = "application/x-www-form-urlencoded"  # what curl -d sends unless told otherwise
_PHASE_WORDS: dict[Phase, str] = {
    "dns": "resolving the name",
    "connect": "connecting",
    "tls": "in the TLS handshake",
    "request": "sending the request",
    "waiting": "waiting for the response",
    "body": "reading the body",
    "done": "closing",
}


def default_transports(version: HttpVersion | None) -> TransportFactory:
    """HTTP/3 over QUIC for ``--http 3``, httpx over TCP otherwise."""
    return h3_transport if version == "3" else tcp_transport


async def run(
    cmd: HttpCommand, env: ProbeEnv, emit: Emit, *, transports: TransportFactory | None = None
) -> list[HttpEvent]:
    """Fetch every URL of ``cmd`` concurrently; emits and returns one ``http`` event each.

    Raises:
        UsageError: OpenSSL cannot load ``ca_pem``.
    """
    trust = Trust(cmd.ca_pem, cmd.insecure)
    trust.check()  # bad certificates are bad input: refused before any request
    factory = transports or default_transports(cmd.http)
    async with asyncio.TaskGroup() as group:
        jobs = [_HttpJob(cmd, url, trust, env, emit) for url in cmd.urls]
        tasks = [group.create_task(job.run(factory)) for job in jobs]
    return [event for task in tasks if (event := task.result()) is not None]


def first_request(cmd: HttpCommand, url: str) -> Request:
    """The request of ``cmd`` for ``url``: a body from ``-d`` is a form unless a type is given."""
    headers = tuple(cmd.headers)
    body = cmd.data.encode() if cmd.data is not None else None
    if body is not None and all(name.lower() != "content-type" for name, _ in headers):
        headers += (("Content-Type", FORM),)
    return Request(cmd.method, url, headers, body)


class _HttpJob:
    """One URL: its requests (redirects included), each bound to a checked address."""

    def __init__(self, cmd: HttpCommand, url: str, trust: Trust, env: ProbeEnv, emit: Emit) -> None:
        self.cmd, self.url, self.trust, self.env, self.emit = cmd, url, trust, env, emit
        self.request = first_request(cmd, url)
        self.marks = Marks()
        self.address: str | None = None
        self.hops: list[HttpHop] = []

    async def run(self, transports: TransportFactory) -> HttpEvent | None:
        try:
            async with (
                transports(self.trust, self.cmd.http) as transport,
                asyncio.timeout(self.cmd.timeout),
            ):
                event = await self._follow(transport)
        except TimeoutError:
            words = _PHASE_WORDS[self.marks.phase]
            event = self._event(error=f"timed out after {self.cmd.timeout:g} s {words}")
        except CloudpingError as exc:  # does not resolve, or the policy refuses the address
            return self._refused(exc)
        self.emit(event)
        return event

    async def _follow(self, transport: Transport) -> HttpEvent:
        while True:  # at most MAX_REDIRECTS + 1 rounds: every redirect adds a hop
            self.marks = Marks()
            exchange = await self._bind(self.request)
            try:
                response = await transport.exchange(exchange, self.marks)
            except ExchangeFailed as exc:
                return self._event(error=exc.message, tls=exc.tls)
            location = response.header("location")
            if location is None or not (self.cmd.follow and is_redirect(response.status, location)):
                return self._event(response)
            if len(self.hops) == MAX_REDIRECTS:
                return self._event(response, error=f"stopped after {MAX_REDIRECTS} redirects")
            try:
                following = next_request(self.request, response.status, location)
            except RedirectRefused as exc:
                return self._event(response, error=str(exc))
            self.hops.append(self._hop(response, location))
            self.request = following

    async def _bind(self, request: Request) -> Exchange:
        """Resolve the request's host and check the address (raises CloudpingError if not)."""
        host = urlsplit(request.url).hostname or ""
        self.address = None
        named = ip_literal(host) is None
        if named:
            self.marks.mark("dns_start", "dns")
        resolved = await resolve(host, self.cmd.family)
        if named:
            self.marks.mark("dns_end")
        self.env.check_target(resolved.address, what="HTTP target")
        self.address = resolved.address
        return Exchange(
            method=request.method,
            url=request.url,
            address=resolved.address,
            headers=request.headers,
            body=request.body,
            max_body=self.cmd.max_body or DEFAULT_LIMITS.http_max_body,
        )

    def _hop(self, response: Response, location: str) -> HttpHop:
        timings = self.marks.timings()
        return HttpHop(
            url=self.request.url,
            status=response.status,
            location=location,
            total_ms=timings.total_ms,
            address=self.address,
            timings=timings,
        )

    def _event(
        self,
        response: Response | None = None,
        *,
        error: str | None = None,
        tls: TlsInfo | None = None,
    ) -> HttpEvent:
        return HttpEvent(
            agent=self.env.agent,
            target=self.url,
            url=self.request.url,
            method=self.request.method,
            address=self.address,
            redirects=tuple(self.hops),
            timings=self.marks.timings(),
            error=error,
            **(_response_fields(response) if response is not None else {"tls": tls}),
        )

    def _refused(self, exc: CloudpingError) -> HttpEvent | None:
        event = None
        if self.hops:  # the chain so far is a result; the refusal keeps its stable code
            event = self._event(error=f"redirect not followed: {exc.message}")
            self.emit(event)
        self.emit(ErrorEvent.of(exc, agent=self.env.agent, target=self.url))
        return event


def _response_fields(response: Response) -> dict[str, Any]:
    return {
        "status": response.status,
        "http_version": response.http_version,
        "tls": response.tls,
        "headers": bounded_headers(response.headers),
        "body_excerpt": excerpt(response.head, response.header("content-type")),
        "body_bytes": response.body_bytes,
        "truncated": response.truncated,
    }
