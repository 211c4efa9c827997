"""Who is calling the API: a verified Bearer token (audience ``api``), or the guest when allowed."""

from __future__ import annotations

from starlette.requests import Request

from cloudping.auth import TokenService, bearer_token
from cloudping.service import ApiSettings, Caller, guest_allowed, guest_caller, token_caller


def authenticate(request: Request, tokens: TokenService, settings: ApiSettings) -> Caller:
    """The caller of ``request``, verified now.

    Raises:
        AuthError: 401 for a missing (anonymous off), bad, expired or revoked token.
    """
    header = request.headers.get("authorization")
    host = request.client.host if request.client else None
    if header is None and guest_allowed(host, settings):
        return guest_caller(settings)
    principal = tokens.verify(bearer_token(header), "api", settings.clock())
    return token_caller(principal, settings)
