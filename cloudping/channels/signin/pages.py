"""The few pages sign-in shows: the providers, the consent to an MCP client, a failure.

Plain HTML, every value escaped, no script and no style from anywhere (the CSP says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from starlette.responses import HTMLResponse

# No form-action: a consent form's answer redirects to the MCP client's own address, and
# Chromium applies form-action to that redirect too.
CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_HEAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title} - cloudping</title></head><body><main><h1>{title}</h1>"
)
_TAIL = "</main></body></html>"


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """An HTML page; ``body`` is HTML already escaped by the caller."""
    html = _HEAD.format(title=escape(title)) + body + _TAIL
    headers = {
        "Content-Security-Policy": CSP,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def providers_page(providers: Sequence[tuple[str, str]], next_path: str) -> HTMLResponse:
    """``GET /auth/login``: one link per provider (name, label)."""
    if not providers:
        return page("Sign in", "<p>This hub has no sign-in configured.</p>", 404)
    target = "" if next_path == "/" else f"?next={quote(next_path, safe='')}"
    links = "".join(
        f'<li><a href="/auth/login/{escape(name)}{escape(target)}">{escape(label)}</a></li>'
        for name, label in providers
    )
    return page("Sign in", f"<p>Sign in with:</p><ul>{links}</ul>")


def failure_page(message: str, status: int = 400) -> HTMLResponse:
    """A sign-in that cannot go on, and the way back."""
    body = f'<p role="alert">{escape(message)}</p><p><a href="/auth/login">Sign in again</a></p>'
    return page("Sign-in failed", body, status)


def consent_page(
    request_id: str, client: str, redirect_host: str, who: str, scopes: Sequence[str]
) -> HTMLResponse:
    """What an MCP client asks for, with Allow and Deny."""
    shown = ", ".join(scopes) or "nothing"
    body = (
        f"<p><strong>{escape(client)}</strong> (at {escape(redirect_host)}) asks to use "
        f"cloudping as <strong>{escape(who)}</strong> with: {escape(shown)}.</p>"
        f'<form method="post" action="/auth/authorize/{escape(request_id)}">'
        '<button type="submit" name="answer" value="allow">Allow</button> '
        '<button type="submit" name="answer" value="deny">Deny</button></form>'
    )
    return page("Allow access", body)
