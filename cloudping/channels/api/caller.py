"""Who is calling the API: a verified Bearer token (audience ``api``), or a guest when allowed."""

from __future__ import annotations

from starlette.requests import Request

from cloudping.auth import TokenService, bearer_token
from cloudping.edge import guest_of
from cloudping.service import ApiSettings, Caller, guest_caller, token_caller


def authenticate(request: Request, tokens: TokenService, settings: ApiSettings) -> Caller:
    """The caller of ``request``, verified now.

    Raises:
        AuthError: 401 for a missing (anonymous off), bad, expired or revoked token.
    """
    guest = guest_of(request, settings)
    if guest is not None:
        return guest_caller(guest, settings)
    principal = tokens.verify(
        bearer_token(request.headers.get("authorization")), "api", settings.clock()
    )
    return token_caller(principal.subject, principal.scopes, settings)
