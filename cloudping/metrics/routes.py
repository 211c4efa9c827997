"""``GET /metrics`` as a Starlette route: open on a listener only the scraper reaches
(``--metrics-listen``), or behind a bearer token with the ``admin`` scope on the API's."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cloudping.auth import AuthError, TokenService, bearer_token
from cloudping.edge.errors import json_error
from cloudping.metrics.exposition import CONTENT_TYPE, Scrape

METRICS_PATH = "/metrics"


def metrics_route(
    scrape: Scrape,
    tokens: TokenService | None = None,
    clock: Callable[[], float] = time.time,
) -> Route:
    """The route; with ``tokens``, only for an ``api`` token holding ``admin`` (401/403)."""

    async def metrics(request: Request) -> Response:
        if tokens is not None:
            try:
                _admin(request, tokens, clock())
            except AuthError as exc:
                headers = {"WWW-Authenticate": 'Bearer realm="cloudping"'}
                return json_error(exc, exc.http_status, headers if exc.http_status == 401 else None)
        return Response(await scrape(), media_type=CONTENT_TYPE)

    return Route(METRICS_PATH, metrics, methods=["GET"])


def _admin(request: Request, tokens: TokenService, now: float) -> None:
    """Verify the request's token and its ``admin`` scope.

    Raises:
        AuthError: no, bad, expired or revoked token (401); no ``admin`` scope (403).
    """
    token = bearer_token(request.headers.get("authorization"))
    tokens.verify(token, "api", now).require("admin")
