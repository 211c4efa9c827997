"""The page's routes: ``/`` for browsers, ``/m/<id>`` for a stored measurement, and the files
under ``/assets/<version>/``; everything else the page does goes through the API.

``/`` is the page only for a request that accepts HTML: any other client falls through to the
API's JSON index behind (links to the OpenAPI document, the agents, MCP). Every answer carries
a strict Content-Security-Policy: scripts, styles and fetches from this origin only, no inline
code, no third party, and Trusted Types required, so no string ever becomes HTML (the page
builds its DOM node by node).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from cloudping.channels.web.assets import ASSETS_PREFIX, Asset, Assets

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # /m/<id>?key=... holds a read key: no Referer may carry it anywhere.
    "Referrer-Policy": "no-referrer",
}
PAGE_CACHE = "no-cache"  # kept, but revalidated by its ETag on every visit
ASSET_CACHE = "public, max-age=31536000, immutable"  # a new release is a new path


class BrowserRoute(Route):
    """A route that matches only requests accepting HTML, so that other clients reach the
    route behind it on the same path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's match, for a request whose ``Accept`` names ``text/html``."""
        accept = dict(scope.get("headers", ())).get(b"accept", b"")
        if scope["type"] == "http" and b"text/html" not in accept:
            return Match.NONE, {}
        return super().matches(scope)


def page_routes(assets: Assets) -> Sequence[BaseRoute]:
    """The routes serving ``assets``."""

    async def page(request: Request) -> Response:
        return _served(request, assets.page, PAGE_CACHE)

    async def asset(request: Request) -> Response:
        found = assets.files.get(request.path_params["name"])
        if request.path_params["version"] != assets.version or found is None:
            return PlainTextResponse("not found", status_code=404, headers=SECURITY_HEADERS)
        return _served(request, found, ASSET_CACHE)

    return [
        BrowserRoute("/", page, methods=["GET"]),
        Route("/m/{id}", page, methods=["GET"]),
        Route(f"{ASSETS_PREFIX}/{{version}}/{{name:path}}", asset, methods=["GET"]),
    ]


def _served(request: Request, asset: Asset, cache: str) -> Response:
    """``asset``, or 304 when the browser's copy has its ETag (RFC 9110 section 13.1.2)."""
    headers = {**SECURITY_HEADERS, "ETag": asset.etag, "Cache-Control": cache}
    tags = _etags(request.headers.get("if-none-match", ""))
    if asset.etag in tags or "*" in tags:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def _etags(header: str) -> set[str]:
    # A weak validator (W/"...") matches too: If-None-Match uses the weak comparison.
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
