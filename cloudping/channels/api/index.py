"""``GET /``: what this server is and where to go, when no web page takes the root (``--no-web``,
or a client that does not ask for HTML).

A browser (``Accept: text/html``) gets a small page; anything else a JSON index with the
same links. The page loads nothing: no script, no third-party resource; its one style block
is allowed by hash in a strict Content-Security-Policy.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from cloudping.channels.api.openapi import PREFIX

_STYLE = "body{font-family:sans-serif;max-width:42em;margin:2em auto;padding:0 1em}"
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept",
}
ABOUT = "cloudping: network diagnostics (ping, traceroute, mtr, DNS, HTTP) from its agents"


def links(mcp_path: str | None) -> dict[str, tuple[str, str]]:
    """Name -> (path, what it is); MCP only when it is served."""
    found = {
        "openapi": (f"{PREFIX}/openapi.json", "the HTTP API, as an OpenAPI document"),
        "agents": (f"{PREFIX}/agents", "the agents connected now"),
        "measurements": (f"{PREFIX}/measurements", "POST a command here (JSON) to run it"),
        "healthz": ("/healthz", "liveness"),
    }
    if mcp_path is not None:
        found["mcp"] = (mcp_path, "MCP over StreamableHTTP, for AI assistants")
    return found


def index(mcp_path: str | None) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of ``GET /`` for a server that serves MCP at ``mcp_path`` (or not)."""
    known = links(mcp_path)

    async def endpoint(request: Request) -> Response:
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(page(known), headers=_HEADERS)
        body = {"about": ABOUT, "links": {name: path for name, (path, _) in known.items()}}
        return JSONResponse(body, headers=_HEADERS)

    return endpoint


def page(known: dict[str, tuple[str, str]]) -> str:
    """The HTML page listing ``known``."""
    items = "".join(
        f'<li><a href="{html.escape(path)}">{html.escape(path)}</a>: {html.escape(what)}</li>'
        for path, what in known.values()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>cloudping</title><style>{_STYLE}</style></head><body>"
        f"<h1>cloudping</h1><p>{html.escape(ABOUT)}.</p><ul>{items}</ul>"
        "<p>This hub serves no web page (<code>--no-web</code>): use the API, MCP or the "
        "<code>cloudping</code> command line.</p></body></html>"
    )
