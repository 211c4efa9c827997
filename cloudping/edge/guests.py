"""Which guest an HTTP request without a token is (the API and MCP ask the same way)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from cloudping.service import ApiSettings, client_address, guest_allowed, guest_subject


def guest_of(conn: HTTPConnection, settings: ApiSettings) -> str | None:
    """The guest subject of ``conn``, or ``None`` when it is none (a token is given, guests
    are off or not from this address, or a browser says another site sent it)."""
    if "authorization" in conn.headers:
        return None
    peer = conn.client.host if conn.client else None
    forwarded = conn.headers.get("x-forwarded-for")
    address = client_address(peer, forwarded, settings.trusted_proxies)
    cross_site = conn.headers.get("sec-fetch-site") == "cross-site"
    if address is None or not guest_allowed(address, settings, cross_site=cross_site):
        return None
    return guest_subject(address)
