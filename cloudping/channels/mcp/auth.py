"""Who calls an MCP tool: the hub's tokens through the SDK's auth, and the hub's guest rule.

:class:`HubTokenVerifier` is the SDK's ``TokenVerifier`` over the hub's
:class:`~cloudping.auth.TokenService` (signature, issuer, audience ``api``, expiry,
revocation); the SDK's middleware then answers 401 for a missing or bad token and 403 for a
token without the ``measure`` scope. :class:`GuestOrBearer` lets a request without any
``Authorization`` header in as the guest when the hub allows guests (``ApiSettings``), as
the HTTP API does. A tool reads its caller back with :func:`caller_of`, a resource (which
gets no ``Context``) with :func:`current_caller`.
"""

from __future__ import annotations

from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser, BearerAuthBackend
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import Context
from starlette.authentication import AuthCredentials, AuthenticationBackend, BaseUser
from starlette.requests import HTTPConnection

from cloudping.auth import AuthError, TokenService
from cloudping.edge import guest_of
from cloudping.service import ApiSettings, Caller, guest_caller, token_caller

_GUEST_CLAIM = "cloudping_guest"
CHANNEL = "mcp"  # what a caller over /mcp names as its channel (see Caller.channel)


class HubTokenVerifier:
    """Verifies Bearer tokens with the hub's token service (audience ``api``)."""

    def __init__(self, tokens: TokenService, settings: ApiSettings) -> None:
        self._tokens = tokens
        self._settings = settings

    @property
    def issuer(self) -> str:
        """``iss`` of the tokens it accepts (the SDK's auth settings name it)."""
        return self._tokens.issuer

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's access, or ``None`` (the SDK answers 401) when it does not verify."""
        try:
            principal = self._tokens.verify(token, "api", self._settings.clock())
        except AuthError:
            return None
        # expires_at stays unset: expiry was checked just now against the hub's clock, with
        # its leeway; the SDK would check it again against the wall clock without one.
        return AccessToken(
            token=token,
            client_id=principal.subject,
            subject=principal.subject,
            scopes=sorted(principal.scopes),
            claims={"iss": self._tokens.issuer},
        )


class GuestOrBearer(AuthenticationBackend):
    """Bearer tokens as the SDK checks them; no ``Authorization`` header at all is the guest
    of the client's address when the hub allows one (``anonymous="guest"``, loopback unless
    told, never cross-site)."""

    def __init__(self, verifier: HubTokenVerifier, settings: ApiSettings) -> None:
        self._bearer = BearerAuthBackend(verifier)
        self._settings = settings

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """The guest, or what the SDK's Bearer backend makes of the header."""
        guest = guest_of(conn, self._settings)
        if guest is not None:
            access = AccessToken(
                token="",
                client_id=guest,
                subject=guest,
                scopes=["measure"],
                claims={_GUEST_CLAIM: True},
            )
            return AuthCredentials(access.scopes), AuthenticatedUser(access)
        result: tuple[AuthCredentials, BaseUser] | None = await self._bearer.authenticate(conn)
        return result


def caller_of(ctx: Context[Any, Any], settings: ApiSettings, local: Caller | None) -> Caller:
    """The caller of the tool call in ``ctx``.

    An HTTP request carries the user the auth middleware made; a call without HTTP (an
    in-process client) is ``local``'s.

    Raises:
        AuthError: ``token_missing`` when there is neither.
    """
    request = ctx.request_context.request
    scope: dict[str, Any] = getattr(request, "scope", {})
    user = scope.get("user")
    if isinstance(user, AuthenticatedUser):
        return _caller(user.access_token, settings)
    if request is None and local is not None:
        return local
    raise AuthError("no bearer token was given", code="token_missing")


def current_caller(settings: ApiSettings, local: Caller | None) -> Caller:
    """The caller of the request being handled, where no ``Context`` is at hand (a static
    resource): the access the SDK's auth middleware keeps for the request, else ``local``'s.

    Raises:
        AuthError: ``token_missing`` when there is neither.
    """
    access = get_access_token()
    if access is not None:
        return _caller(access, settings)
    if local is not None:
        return local
    raise AuthError("no bearer token was given", code="token_missing")


def _caller(access: AccessToken, settings: ApiSettings) -> Caller:
    if (access.claims or {}).get(_GUEST_CLAIM):
        return guest_caller(access.subject or access.client_id, settings, CHANNEL)
    return token_caller(access.subject or access.client_id, access.scopes, settings, CHANNEL)
