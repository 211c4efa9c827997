"""A signed-in person's browser session: a token of audience ``session`` in a cookie.

The hub's token service stays the one signer: a session is a JWT like any other (issuer,
audience, expiry, ``jti``), recorded in the registry, so logging out revokes it on the
server and "log out everywhere" revokes every session of the subject. It is never accepted
as a Bearer token (audience ``api``), and a Bearer token is never accepted as a session.

A cookie rides along with every request the browser makes to the hub, from any page, so a
request that changes state and is authenticated by the cookie must come from the hub's own
pages: its ``Origin`` (or, when a browser sends none, its ``Referer``) must be the hub's
origin exactly. With ``SameSite=Lax`` that is the CSRF defence (no token header needed).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cloudping.auth.errors import AuthError

SESSION_COOKIE = "cloudping_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an absolute URL (an ``Origin`` or a ``Referer``), lowercased;
    None for anything else (``null``, a relative reference)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_same_origin(
    method: str, own_origin: str, origin: str | None, referer: str | None
) -> None:
    """Refuse a state-changing request that a session cookie authenticates unless the hub's
    own pages sent it.

    Args:
        method: the request's method (safe methods pass).
        own_origin: the hub's origin as the request reached it (``http://127.0.0.1:8080``).
        origin, referer: the request's headers.

    Raises:
        AuthError: ``cross_site_request`` (403).
    """
    if method.upper() in SAFE_METHODS:
        return
    sent = origin_of(origin) if origin is not None else origin_of(referer)
    if sent != own_origin.lower():
        shown = origin or referer or "no Origin or Referer"
        raise AuthError(
            f"a request signed in by the session cookie must come from this hub's own pages "
            f"({own_origin}), not from {shown}",
            code="cross_site_request",
        )
