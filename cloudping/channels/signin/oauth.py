"""The hub as an OAuth 2.1 authorization server for ``/mcp`` (the MCP authorization spec).

The MCP SDK serves the protocol (metadata, dynamic client registration, ``/authorize``,
``/token`` with PKCE, ``/revoke``); this is the provider behind it. An authorization request
waits for the person: ``/authorize`` sends the browser to the hub's consent page, which has
them sign in through a configured provider first when they have no session, then shows what
the client asks for; "Allow" makes a single-use code for that client, redirect URI and PKCE
challenge. The code buys an access token from the hub's one token service (audience ``api``,
the person's scopes, an hour) and a refresh token (kept hashed, rotated on every use).
Revoking either ends it; the hub's revocation list ends the access token at once.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    IdentityAssertionParams,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from cloudping.auth import SCOPES, AuthError, Scope, TokenService
from cloudping.channels.signin.expiring import Expiring
from cloudping.channels.signin.oauthstore import OAuthStore, RefreshGrant, client_json

ACCESS_TTL_S = 3600
REFRESH_TTL_S = 30 * 86_400
CONSENT_TTL_S = 600.0
CODE_TTL_S = 300.0
CONSENT_PATH = "/auth/authorize"
DEFAULT_SCOPES: frozenset[Scope] = frozenset({"measure"})


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """An MCP client's authorization request waiting for the person."""

    client_id: str
    client_name: str
    params: AuthorizationParams


class HubAuthorizationServer:
    """The SDK's ``OAuthAuthorizationServerProvider`` over the hub's tokens.

    Args:
        tokens: the hub's token service (the one signer).
        store: registered clients and refresh tokens.
        base_url: where the hub is reached (its consent page is under it).
        clock: POSIX seconds.
    """

    def __init__(
        self, tokens: TokenService, store: OAuthStore, base_url: str, clock: Callable[[], float]
    ) -> None:
        self.tokens = tokens
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.consents: Expiring[ConsentRequest] = Expiring(CONSENT_TTL_S)
        self.codes: Expiring[AuthorizationCode] = Expiring(CODE_TTL_S)

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        info = await asyncio.to_thread(self.store.client, client_id)
        return None if info is None else OAuthClientInformationFull.model_validate_json(info)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        if client_info.client_id is None:
            raise RegistrationError("invalid_client_metadata", "the client has no client_id")
        info = client_json(client_info.model_dump(mode="json", exclude_none=True))
        kept = await asyncio.to_thread(
            self.store.add_client, client_info.client_id, info, self.clock()
        )
        if not kept:
            raise RegistrationError("invalid_client_metadata", "this hub takes no more clients")

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        request_id = secrets.token_urlsafe(24)
        name = client.client_name or client.client_id or "an MCP client"
        self.consents.put(
            request_id, ConsentRequest(client.client_id or "", name, params), self.clock()
        )
        return f"{self.base_url}{CONSENT_PATH}/{request_id}"

    def consent(self, request_id: str) -> ConsentRequest | None:
        """The request waiting under ``request_id`` (for the consent page)."""
        return self.consents.peek(request_id, self.clock())

    def approve(self, request_id: str, subject: str, held: frozenset[Scope]) -> str | None:
        """The person allowed it: a code for the client, and where to send the browser with
        it (the client's redirect URI); None when the request is unknown or expired."""
        now = self.clock()
        request = self.consents.take(request_id, now)
        if request is None:
            return None
        asked = set(request.params.scopes) if request.params.scopes else set(DEFAULT_SCOPES)
        granted = [scope for scope in SCOPES if scope in asked and scope in held]
        code = secrets.token_urlsafe(32)
        self.codes.put(
            code,
            AuthorizationCode(
                code=code,
                scopes=granted,
                expires_at=now + CODE_TTL_S,
                client_id=request.client_id,
                code_challenge=request.params.code_challenge,
                redirect_uri=request.params.redirect_uri,
                redirect_uri_provided_explicitly=request.params.redirect_uri_provided_explicitly,
                resource=request.params.resource,
                subject=subject,
            ),
            now,
        )
        return construct_redirect_uri(
            str(request.params.redirect_uri), code=code, state=request.params.state
        )

    def deny(self, request_id: str) -> str | None:
        """The person refused: where to send the browser (``access_denied``)."""
        request = self.consents.take(request_id, self.clock())
        if request is None:
            return None
        return construct_redirect_uri(
            str(request.params.redirect_uri),
            error="access_denied",
            error_description="the person did not allow it",
            state=request.params.state,
        )

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        code = self.codes.peek(authorization_code, self.clock())
        return code if code is not None and code.client_id == client.client_id else None

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        if self.codes.take(authorization_code.code, self.clock()) is None:
            raise TokenError("invalid_grant", "the code was used already")
        if authorization_code.subject is None:
            raise TokenError("invalid_grant", "the code names no person")
        grant = RefreshGrant(
            client.client_id or "",
            authorization_code.subject,
            tuple(authorization_code.scopes),
            self.clock() + REFRESH_TTL_S,
        )
        return await self._tokens_for(client, grant)

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        grant = await asyncio.to_thread(self.store.refresh, refresh_token, self.clock())
        if grant is None or grant.client_id != client.client_id:
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=grant.client_id,
            scopes=list(grant.scopes),
            expires_at=int(grant.expires_at),
            subject=grant.subject,
        )

    async def exchange_refresh_token(
        self,
        client: OAuthClientInformationFull,
        refresh_token: RefreshToken,
        scopes: list[str],
    ) -> OAuthToken:
        # Rotation (OAuth 2.1 section 4.3.1): the old token is spent even if this fails after.
        if not await asyncio.to_thread(self.store.drop_refresh, refresh_token.token):
            raise TokenError("invalid_grant", "the refresh token was used already")
        if refresh_token.subject is None:
            raise TokenError("invalid_grant", "the refresh token names no person")
        narrowed = [s for s in refresh_token.scopes if not scopes or s in scopes]
        grant = RefreshGrant(
            refresh_token.client_id,
            refresh_token.subject,
            tuple(narrowed),
            self.clock() + REFRESH_TTL_S,
        )
        return await self._tokens_for(client, grant)

    async def load_access_token(self, token: str) -> AccessToken | None:
        try:
            principal = self.tokens.verify(token, "api", self.clock())
        except AuthError:
            return None
        client_id = await asyncio.to_thread(self.store.access_client, principal.token_id)
        return AccessToken(
            token=token,
            client_id=client_id or "",  # a token made otherwise is no client's to revoke
            scopes=sorted(principal.scopes),
            expires_at=int(principal.expires_at),
            subject=principal.subject,
        )

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "this hub takes no identity assertions")

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        if isinstance(token, RefreshToken):
            await asyncio.to_thread(self.store.drop_refresh, token.token)
            return
        jti = self.tokens.token_id(token.token)
        await asyncio.to_thread(self.tokens.revoke, jti, self.clock())

    async def _tokens_for(
        self, client: OAuthClientInformationFull, grant: RefreshGrant
    ) -> OAuthToken:
        scopes = tuple(scope for scope in SCOPES if scope in grant.scopes)
        label = f"MCP client {client.client_name or client.client_id}"[:100]
        now = self.clock()
        refresh = secrets.token_urlsafe(32)

        def issue() -> str:
            access = self.tokens.issue(
                grant.subject, "api", scopes=scopes, ttl=ACCESS_TTL_S, now=now, label=label
            )
            jti = self.tokens.token_id(access)
            self.store.add_access(jti, grant.client_id, now + ACCESS_TTL_S, now)
            self.store.add_refresh(refresh, grant)
            return access

        access = await asyncio.to_thread(issue)
        return OAuthToken(
            access_token=access,
            expires_in=ACCESS_TTL_S,
            scope=" ".join(scopes),
            refresh_token=refresh,
        )
