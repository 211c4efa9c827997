"""``POST /api/v1/mail``: a raw RFC 5322 message (``message/rfc822``), as Cloudflare Email
Workers, Mailgun routes and SES forward it, from a gateway holding a token with the ``mail``
scope. The guard (cloudping/edge) holds the body to ``--mail-max-size`` and the media type.

The answer says what became of the message (``accepted``, ``refused``, ``ignored``,
``unauthenticated``, ``unreadable``): the gateway authenticated itself, and its operator
needs to see why a mail got no reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cloudping.auth import AuthError, bearer_token
from cloudping.channels.email.route import MAIL_PATH
from cloudping.edge.errors import json_error
from cloudping.errors import CloudpingError

if TYPE_CHECKING:
    from cloudping.channels.email.channel import MailChannel


def mail_routes(channel: MailChannel) -> Sequence[BaseRoute]:
    """The route taking forwarded mail."""

    async def post_mail(request: Request) -> Response:
        tokens, clock = channel.context.tokens, channel.context.service.settings.clock
        try:
            header = request.headers.get("authorization")
            principal = tokens.verify(bearer_token(header), "api", clock())
            if "mail" not in principal.scopes:
                message = "this needs the 'mail' scope, which the caller does not hold"
                raise AuthError(message, code="scope_missing", scope="mail")
        except AuthError as exc:
            headers = {"WWW-Authenticate": 'Bearer realm="cloudping"'}
            return json_error(exc, exc.http_status, headers if exc.http_status == 401 else None)
        raw = await _body(request, channel.settings.max_size)
        if raw is None:
            size = channel.settings.max_size
            message = f"a message may have at most {size} bytes (--mail-max-size)"
            error = CloudpingError(message, code="body_too_large", limit=size)
            return json_error(error, 413)
        received = await channel.receive(raw, None)
        body = {"decision": received.decision, "reason": received.reason}
        return JSONResponse(body, status_code=202 if received.decision == "accepted" else 200)

    return [Route(MAIL_PATH, post_mail, methods=["POST"])]


async def _body(request: Request, most: int) -> bytes | None:
    """The body, or None past ``most`` bytes (read no further)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > most:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
