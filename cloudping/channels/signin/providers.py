"""Talking to the providers: the authorization URL out, the person's identity back.

OpenID Connect providers (``google``, ``entra``, ``oidc``) are found by discovery and answer
an ID token, verified here (signature from the provider's JWKS, issuer, audience, expiry,
nonce) before anything in it is believed; the name and email come from the token or, when it
carries only ``sub`` (as many providers' do), from the userinfo endpoint. GitHub speaks OAuth
2.0 without ID tokens: its user API names the person, by a numeric id that never changes
(the login can). Every flow uses PKCE (S256). Discovery documents and key sets are cached;
a provider that cannot be reached is a :class:`SignInError` naming it, never a crash.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client

from cloudping.channels.signin.settings import (
    GITHUB_API,
    GITHUB_AUTHORIZE,
    GITHUB_EXCHANGE,
    ProviderConfig,
)
from cloudping.errors import CloudpingError

TIMEOUT_S = 10.0
CACHE_S = 3600.0
LEEWAY_S = 60.0
# Asymmetric algorithms only: an HMAC "signature" made with the client secret proves nothing
# about the provider (RFC 8725 section 3.1), and "none" proves nothing at all.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
OIDC_SCOPE = "openid email profile"
GITHUB_SCOPE = "read:user user:email"


class SignInError(CloudpingError):
    """A sign-in that cannot finish; the message is for the person (no secrets in it)."""

    code = "signin_failed"


@dataclass(frozen=True, slots=True)
class Identity:
    """A person as a provider names them.

    Attributes:
        subject: the principal (``github:583231``, ``oidc-corp:7f3a``).
        name, email: what the provider says, when it does.
    """

    subject: str
    name: str | None
    email: str | None


class Provider:
    """One configured provider and its cached discovery document and keys.

    Args:
        config: the provider's settings.
        secret: the client secret (read from ``config.client_secret_file``).
        transport: an httpx transport (tests), else the network's.
    """

    def __init__(
        self,
        config: ProviderConfig,
        secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self._secret = secret
        self._transport = transport
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, jwt.PyJWKSet] | None = None

    async def authorization_url(
        self, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        """Where to send the person to sign in.

        Raises:
            SignInError: the provider's discovery document cannot be had.
        """
        endpoint = await self._endpoint("authorization_endpoint")
        async with self._client(redirect_uri) as client:
            extra = {} if self.config.kind == "github" else {"nonce": nonce}
            url, _ = client.create_authorization_url(
                endpoint, state=state, code_verifier=code_verifier, **extra
            )
        return str(url)

    async def identity(
        self, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> Identity:
        """The person who signed in, from the authorization ``code``.

        Raises:
            SignInError: the code is refused, the provider is down, or its answer does not
                verify (signature, issuer, audience, expiry, nonce).
        """
        token_endpoint = await self._endpoint("token_endpoint")
        async with self._client(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    token_endpoint, code=code, code_verifier=code_verifier
                )
            except OAuthError as exc:
                raise self._failed(f"refused the sign-in ({exc.error})") from exc
            except httpx.HTTPError as exc:
                raise self._failed("cannot be reached") from exc
            if self.config.kind == "github":
                return await self._github_user(client)
            return await self._oidc_identity(client, token, nonce)

    def _client(self, redirect_uri: str) -> AsyncOAuth2Client:
        scope = GITHUB_SCOPE if self.config.kind == "github" else OIDC_SCOPE
        return AsyncOAuth2Client(
            self.config.client_id,
            self._secret,
            scope=scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=TIMEOUT_S,
            transport=self._transport,
        )

    async def _endpoint(self, name: str) -> str:
        override = self.config.endpoints.get(name)
        if override:
            return override
        if self.config.kind == "github":
            return GITHUB_AUTHORIZE if name == "authorization_endpoint" else GITHUB_EXCHANGE
        value = (await self._discovery()).get(name)
        if not isinstance(value, str) or not value:
            raise self._failed(f"names no {name} in its discovery document")
        return value

    async def _discovery(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._metadata is not None and now - self._metadata[0] < CACHE_S:
            return self._metadata[1]
        url = f"{self.config.issuer}/.well-known/openid-configuration"
        document = await self._get_json(url)
        if document.get("issuer") != self.config.issuer:
            raise self._failed("answers discovery for another issuer")
        self._metadata = (now, document)
        return document

    async def _key_set(self, refresh: bool) -> jwt.PyJWKSet:
        now = time.monotonic()
        if not refresh and self._keys is not None and now - self._keys[0] < CACHE_S:
            return self._keys[1]
        document = await self._get_json(await self._endpoint("jwks_uri"))
        try:
            keys = jwt.PyJWKSet.from_dict(document)
        except jwt.PyJWKSetError as exc:
            raise self._failed("publishes no usable signing keys") from exc
        self._keys = (now, keys)
        return keys

    async def _oidc_identity(
        self, client: AsyncOAuth2Client, token: Mapping[str, Any], nonce: str
    ) -> Identity:
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise self._failed("answered without an ID token")
        claims = await self._verified(id_token, nonce)
        claim = "oid" if self.config.kind == "entra" else "sub"
        subject = claims.get(claim)
        if not isinstance(subject, str) or not subject:
            raise self._failed(f"sent an ID token without {claim!r}")
        name, email = claims.get("name"), claims.get("email")
        if (name is None or email is None) and isinstance(token.get("access_token"), str):
            info = await self._userinfo(client)
            if info.get("sub") == claims["sub"]:  # OIDC Core 5.3.2: else ignore it
                name, email = name or info.get("name"), email or info.get("email")
        return Identity(self.config.principal(subject), _text(name), _text(email))

    async def _verified(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise self._failed("sent an ID token that is not a JWT") from exc
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise self._failed(f"signed its ID token with {algorithm!r}, which is not accepted")
        key = await self._signing_key(header.get("kid"))
        issuer = (await self._discovery()).get("issuer") if self.config.issuer else None
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=[algorithm],
                audience=self.config.client_id,
                issuer=issuer,
                leeway=LEEWAY_S,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise self._failed(f"sent an ID token that does not verify ({exc})") from exc
        if claims.get("nonce") != nonce:
            raise self._failed("sent an ID token for another sign-in (nonce)")
        return claims

    async def _signing_key(self, kid: Any) -> jwt.PyJWK:
        for refresh in (False, True):  # a key rotated in since the last fetch: fetch again
            keys = await self._key_set(refresh)
            found = [k for k in keys.keys if kid is None or k.key_id == kid]
            if len(found) == 1 or (kid is None and found):
                return found[0]
        raise self._failed("signed its ID token with a key it does not publish")

    async def _userinfo(self, client: AsyncOAuth2Client) -> dict[str, Any]:
        endpoint = await self._endpoint("userinfo_endpoint")
        try:
            answer = await client.get(endpoint)
            answer.raise_for_status()
            info = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise self._failed("did not answer its userinfo endpoint") from exc
        return info if isinstance(info, dict) else {}

    async def _github_user(self, client: AsyncOAuth2Client) -> Identity:
        api = self.config.endpoints.get("api_url", GITHUB_API).rstrip("/")
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        try:
            answer = await client.get(f"{api}/user", headers=headers)
            answer.raise_for_status()
            user = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise self._failed("did not say who signed in (its user API failed)") from exc
        number = user.get("id") if isinstance(user, dict) else None
        if isinstance(number, bool) or not isinstance(number, int):
            raise self._failed("named no numeric user id")
        name = _text(user.get("name")) or _text(user.get("login"))
        return Identity(self.config.principal(str(number)), name, _text(user.get("email")))

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S, transport=self._transport) as http:
                answer = await http.get(url)
                answer.raise_for_status()
                document = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise self._failed("cannot be reached") from exc
        if not isinstance(document, dict):
            raise self._failed("answered something that is not a JSON object")
        return document

    def _failed(self, what: str) -> SignInError:
        return SignInError(f"{self.config.label} {what}", provider=self.config.name)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
