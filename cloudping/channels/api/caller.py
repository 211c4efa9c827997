"""Who is calling: a verified Bearer token (audience ``api``), or the guest when allowed."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from starlette.requests import Request

from cloudping.auth import AuthError, Scope, TokenService, bearer_token
from cloudping.channels.api.settings import ApiSettings, Quota

GUEST = "guest"


@dataclass(frozen=True, slots=True)
class Caller:
    """The subject of a request, what it may do, and the quota it spends."""

    subject: str
    scopes: frozenset[Scope]
    quota: Quota
    guest: bool = False

    def require(self, scope: Scope) -> None:
        """Raise ``scope_missing`` (403) unless the caller holds ``scope``."""
        if scope not in self.scopes:
            message = f"this needs the {scope!r} scope, which the caller does not hold"
            raise AuthError(message, code="scope_missing", scope=scope)

    def may_read(self, owner: str | None) -> bool:
        """Whether the caller may see a measurement asked for by ``owner``."""
        return owner == self.subject or "admin" in self.scopes


def authenticate(request: Request, tokens: TokenService, settings: ApiSettings) -> Caller:
    """The caller of ``request``, verified now.

    Raises:
        AuthError: 401 for a missing (anonymous off), bad, expired or revoked token.
    """
    header = request.headers.get("authorization")
    if header is None and _guest_allowed(request, settings):
        return Caller(GUEST, frozenset({"measure"}), settings.guest_quota, guest=True)
    principal = tokens.verify(bearer_token(header), "api", settings.clock())
    return Caller(principal.subject, principal.scopes, settings.user_quota)


def _guest_allowed(request: Request, settings: ApiSettings) -> bool:
    if settings.anonymous != "guest":
        return False
    if not settings.guest_loopback_only:
        return True
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
