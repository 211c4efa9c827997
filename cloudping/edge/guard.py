"""The guard in front of the whole HTTP surface (the API, ``/ping``, ``/mcp``, the web page).

An ASGI middleware that refuses, before any route runs: a ``Host`` that is not allowed (421,
DNS rebinding; routes with their own secret are exempt), an ``Origin`` that is not allowed
(403, a page on another site), a body of another media type than the route takes (415, e.g.
``text/plain``, which a browser sends cross-site without asking), and a body over the
route's limit (413, from ``Content-Length`` at once, else as soon as the limit is passed:
the app never sees the rest, nor is it kept). Refusals are the API's JSON errors.
"""

from __future__ import annotations

from collections import deque

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloudping.edge.errors import EDGE_STATUS, json_error
from cloudping.edge.policy import RoutePolicies, RoutePolicy
from cloudping.edge.rules import HostRules
from cloudping.errors import CloudpingError


class HttpGuard:
    """ASGI middleware: the ``Host``/``Origin`` rules and each route's body policy."""

    def __init__(self, app: ASGIApp, rules: HostRules, policies: RoutePolicies) -> None:
        self.app = app
        self.rules = rules
        self.policies = policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.policies.for_path(scope["path"])
        refusal = refusal_of(Headers(scope=scope), policy, self.rules)
        messages = None if refusal else await _read_body(receive, policy.body_limit)
        if messages is None:
            await _answer(refusal or _too_large(policy.body_limit))(scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)


def refusal_of(headers: Headers, policy: RoutePolicy, rules: HostRules) -> CloudpingError | None:
    """Why a request with these headers is refused before its body is read, or ``None``."""
    host = headers.get("host")
    if not policy.own_secret and not rules.host_allowed(host):
        return CloudpingError(f"this server does not answer for {host!r}", code="host_not_allowed")
    origin = headers.get("origin")
    if not rules.origin_allowed(origin, host):
        message = f"requests from pages on {origin!r} are not allowed"
        return CloudpingError(message, code="origin_not_allowed")
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.body_limit:
        return _too_large(policy.body_limit)
    has_body = (declared.isdigit() and int(declared) > 0) or "transfer-encoding" in headers
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    if has_body and media_type not in policy.media_types:
        expected = " or ".join(policy.media_types)
        return CloudpingError(
            f"the body must be {expected}, not {media_type or 'untyped'}",
            code="unsupported_media_type",
            expected=list(policy.media_types),
        )
    return None


def _too_large(limit: int) -> CloudpingError:
    return CloudpingError(f"the body is over {limit} bytes", code="body_too_large", limit=limit)


def _answer(error: CloudpingError) -> JSONResponse:
    # No "Connection: close": closing over unread bytes resets the connection, and a client
    # still sending would lose this answer. The server drops what follows, for a bounded
    # time (cloudping.serve.protocol).
    return json_error(error, EDGE_STATUS[error.code])


async def _read_body(receive: Receive, limit: int) -> deque[Message] | None:
    """The request's messages up to its end, or ``None`` once the body passes ``limit`` bytes
    (nothing more is read then: that is what keeps a huge body out of memory)."""
    messages: deque[Message] = deque()
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # the client went away: the app sees that
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: deque[Message], receive: Receive) -> Receive:
    """``receive`` for the app: the messages already read, then the server's own."""

    async def replayed() -> Message:
        return messages.popleft() if messages else await receive()

    return replayed
