"""Who is calling the API: a verified Bearer token (audience ``api``), a signed-in person's
session cookie (audience ``session``, state changes only from the hub's own pages), or a
guest when allowed."""

from __future__ import annotations

from starlette.requests import Request

from cloudping.auth import TokenService, bearer_token
from cloudping.auth.sessions import SESSION_COOKIE, check_same_origin
from cloudping.edge import guest_of
from cloudping.service import ApiSettings, Caller, guest_caller, token_caller

SESSION_CHANNEL = "web"  # a session is the web page's way in


def authenticate(request: Request, tokens: TokenService, settings: ApiSettings) -> Caller:
    """The caller of ``request``, verified now.

    A Bearer token wins over a session cookie; either wins over the guest rule.

    Raises:
        AuthError: 401 for a missing (anonymous off), bad, expired or revoked token or
            session; 403 for a state change signed in by the cookie from another origin.
    """
    authorization = request.headers.get("authorization")
    session = request.cookies.get(SESSION_COOKIE)
    if authorization is None and session:
        own = f"{request.url.scheme}://{request.url.netloc}"
        check_same_origin(
            request.method, own, request.headers.get("origin"), request.headers.get("referer")
        )
        principal = tokens.verify(session, "session", settings.clock())
        return token_caller(principal.subject, principal.scopes, settings, SESSION_CHANNEL)
    guest = guest_of(request, settings)
    if guest is not None:
        return guest_caller(guest, settings)
    principal = tokens.verify(bearer_token(authorization), "api", settings.clock())
    return token_caller(principal.subject, principal.scopes, settings)
