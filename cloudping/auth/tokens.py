"""The token service: Ed25519-signed JWTs for the API and for agents.

A token is a JWT (RFC 7519) signed with EdDSA over Ed25519 (RFC 8037), carrying ``iss``,
``sub``, ``aud`` (``api`` or ``agent``), ``iat``, ``exp``, ``jti`` and the RFC 8693
``scope`` claim. Verification follows RFC 8725 (JWT best current practice): one algorithm is
accepted and it is fixed here, never taken from the token (section 3.1: no ``alg: none``, no
HS256 made with the public key as the secret); the key is chosen by ``kid`` among our own
keys only (``jku``, ``jwk`` and ``x5u`` headers are never followed); issuer and audience are
always checked (sections 3.8, 3.9); every claim above is required.

Time is an argument: :meth:`TokenService.issue` and :meth:`TokenService.verify` take ``now``
(POSIX seconds) and PyJWT's own clock checks are switched off in favour of ours.

Every token issued is recorded in the service's :class:`~cloudping.auth.registry.TokenRegistry`
(claims and a label, never the token), which :meth:`TokenService.revoke` marks.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import jwt
from jwt.types import Options

from cloudping.auth.errors import AuthError
from cloudping.auth.keys import ALGORITHM, KeyRing, SigningKey
from cloudping.auth.principal import (
    AUDIENCES,
    SCOPES,
    Audience,
    Principal,
    Scope,
    format_scope,
    parse_scope,
)
from cloudping.auth.registry import MemoryTokenRegistry, TokenRecord, TokenRegistry
from cloudping.auth.revocations import MemoryRevocations, Revocations

DEFAULT_ISSUER = "http://127.0.0.1:8080"  # the hub of `cloudping up`
DEFAULT_LEEWAY = 30.0  # seconds of clock skew tolerated on iat, nbf and exp (RFC 7519 4.1.4)
MAX_TTL = 366 * 86_400
DEFAULT_TTL = 30 * 86_400  # a token's lifetime unless its issuer says otherwise
MAX_TOKEN_CHARS = 8_192  # far above ours (~400): refuse before parsing anything bigger
REQUIRED_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "jti")
# Tokens whose signature was verified, kept so a client's next request costs no Ed25519
# verification (~1 ms in Python, most of an API call's own time); times and revocations are
# checked on every use all the same.
VERIFIED_KEEP = 4096


@dataclass
class TokenService:
    """Issues and verifies tokens with the keys of one hub.

    Args:
        keys: the signing keys; replace the attribute with the new ring after a rotation.
        issuer: ``iss``, the hub's public URL (a setting).
        revocations: where revoked tokens and subjects are looked up.
        leeway: seconds of clock skew accepted.
        registry: where every issued token is recorded (blocking calls: :meth:`issue` and
            :meth:`revoke` belong off the event loop when it is a file).
    """

    keys: KeyRing
    issuer: str = DEFAULT_ISSUER
    revocations: Revocations = field(default_factory=MemoryRevocations)
    leeway: float = DEFAULT_LEEWAY
    registry: TokenRegistry = field(default_factory=MemoryTokenRegistry)
    _verified: dict[tuple[str, Audience], tuple[str, dict[str, Any]]] = field(
        default_factory=dict, repr=False
    )

    def jwks(self) -> dict[str, Any]:
        """The JWK Set of the public keys (RFC 7517 section 5), for ``/auth/jwks.json``."""
        return self.keys.jwks()

    def issue(
        self,
        sub: str,
        aud: Audience,
        *,
        scopes: Iterable[Scope] = (),
        ttl: int,
        now: float,
        jti: str | None = None,
        label: str = "",
    ) -> str:
        """A token for ``sub``, signed with the active key, and recorded in the registry.

        Args:
            sub: the subject: a user, or the agent's name for audience ``agent``.
            aud: ``api`` or ``agent``.
            scopes: what the token allows (``measure``, ``private``, ``admin``).
            ttl: lifetime in seconds, 1 to :data:`MAX_TTL`.
            now: the issue time, POSIX seconds.
            jti: the token id; 128 random bits in hex when not given (hex, not base64url:
                an id starting with "-" would read as an option in `token revoke ID`).
            label: a note for the token's list ("laptop"), at most ``MAX_LABEL`` characters.

        Raises:
            ValueError: an empty subject, an unknown audience or scope, a ttl out of range,
                a label too long.
        """
        granted = _checked_grant(sub, aud, scopes, ttl)
        issued_at = int(now)
        record = TokenRecord(
            jti or secrets.token_hex(16), sub, aud, granted, issued_at, issued_at + ttl, label
        )
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": aud,
            "iat": issued_at,
            "exp": issued_at + ttl,
            "jti": record.jti,
        }
        if granted:
            claims["scope"] = format_scope(granted)
        key = self.keys.active
        headers = {"kid": key.kid, "typ": "JWT"}
        token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers=headers)
        self.registry.record(record)
        return token

    def revoke(self, jti: str, now: float) -> TokenRecord | None:
        """Refuse the token ``jti`` from now on; its record, ``None`` if not issued here.

        A ``jti`` the registry does not know (issued before it existed) is revoked for the
        longest lifetime a token can have.
        """
        record = self.registry.mark_revoked(jti, now)
        self.revocations.revoke_token(jti, now + MAX_TTL if record is None else record.expires_at)
        return record

    def token_id(self, token: str) -> str:
        """The ``jti`` of one of our tokens, once its signature and issuer are checked.

        Its audience and times are not checked: revoking an expired token is harmless.

        Raises:
            AuthError: ``token_invalid`` (not ours, malformed, no ``jti``).
        """
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthError("the token is too long to be one of ours", code="token_invalid")
        claims = self._decode(token, self._key_for(token), None)
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("the token's 'jti' claim is empty", code="token_invalid")
        return jti

    def lapsed(self, principal: Principal, now: float) -> str | None:
        """Why an accepted token no longer holds at ``now`` (``token revoked``, ``token
        expired``), or ``None``: a connection accepted with it is checked again with this."""
        if self.revocations.is_revoked(
            jti=principal.token_id, subject=principal.subject, issued_at=principal.issued_at
        ):
            return "token revoked"
        if principal.expires_at <= now - self.leeway:
            return "token expired"
        return None

    def verify(self, token: str | None, audience: Audience, now: float) -> Principal:
        """The principal of a valid token meant for ``audience``.

        Raises:
            AuthError: ``token_missing``, ``token_invalid`` (malformed, bad signature, unknown
                key, wrong issuer, a required claim missing, not valid yet),
                ``token_expired``, ``token_wrong_audience`` or ``token_revoked``.
        """
        if not token:
            raise AuthError("no token was given", code="token_missing")
        if audience not in AUDIENCES:
            raise ValueError(f"unknown audience {audience!r}")
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthError("the token is too long to be one of ours", code="token_invalid")
        claims = self._verified_claims(token, audience)
        _check_times(claims, now, self.leeway)
        principal = _principal(claims, audience)
        if self.revocations.is_revoked(
            jti=principal.token_id, subject=principal.subject, issued_at=principal.issued_at
        ):
            raise AuthError("the token has been revoked", code="token_revoked")
        return principal

    def _verified_claims(self, token: str, audience: Audience) -> dict[str, Any]:
        """The claims of ``token`` for ``audience``, its signature verified once.

        A verified token is used again only while its key is in the ring: a token of a key
        rotated out fails as before.
        """
        known = self._verified.get((token, audience))
        if known is not None and self.keys.get(known[0]) is not None:
            return known[1]
        key = self._key_for(token)
        claims = self._decode(token, key, audience)
        if len(self._verified) >= VERIFIED_KEEP:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[(token, audience)] = (key.kid, claims)
        return claims

    def _key_for(self, token: str) -> SigningKey:
        """Our key named by the token's ``kid``, once its header asks for EdDSA."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("the token is not a well-formed JWT", code="token_invalid") from exc
        # RFC 8725 section 3.1: the algorithm is ours to choose, not the token's.
        if header.get("alg") != ALGORITHM:
            raise AuthError(f"only {ALGORITHM} tokens are accepted", code="token_invalid")
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            message = "the token is signed by a key this hub does not know"
            raise AuthError(message, code="token_invalid")
        return key

    def _decode(self, token: str, key: SigningKey, audience: Audience | None) -> dict[str, Any]:
        """The claims, once signature, issuer, audience (unless ``None``) and the required
        claims are checked."""
        options: Options = {
            "require": list(REQUIRED_CLAIMS),
            "verify_aud": audience is not None,
            "strict_aud": audience is not None,  # one audience per token, as we issue them
            "verify_exp": False,  # checked against the `now` we are given instead
            "verify_nbf": False,
            "verify_iat": False,
        }
        try:
            return jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                options=options,
            )
        except jwt.InvalidAudienceError as exc:
            raise AuthError(
                f"the token is not meant for the {audience!r} audience",
                code="token_wrong_audience",
                audience=audience,
            ) from exc
        except jwt.MissingRequiredClaimError as exc:
            message = f"the token lacks the {exc.claim!r} claim"
            raise AuthError(message, code="token_invalid", claim=exc.claim) from exc
        except jwt.InvalidIssuerError as exc:
            raise AuthError("the token was issued by another issuer", code="token_invalid") from exc
        except jwt.PyJWTError as exc:
            message = "the token's signature or claims are invalid"
            raise AuthError(message, code="token_invalid") from exc


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer TOKEN`` header (RFC 6750 section 2.1).

    Raises:
        AuthError: ``token_missing`` when there is no header or it is not a Bearer one.
    """
    scheme, _, token = (authorization or "").strip().partition(" ")
    # RFC 9110 section 11.1: the scheme name is case-insensitive.
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("no bearer token was given", code="token_missing")
    return token.strip()


def _checked_grant(sub: str, aud: str, scopes: Iterable[str], ttl: int) -> frozenset[Scope]:
    if not sub:
        raise ValueError("a token needs a subject")
    if aud not in AUDIENCES:
        raise ValueError(f"unknown audience {aud!r} (one of: {', '.join(AUDIENCES)})")
    granted = frozenset(scopes)
    unknown = sorted(granted.difference(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r} (known: {', '.join(SCOPES)})")
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be 1 to {MAX_TTL} seconds, not {ttl}")
    return cast(frozenset[Scope], granted)


def _number(claims: dict[str, Any], name: str) -> float:
    """A NumericDate claim (RFC 7519 section 2): a JSON number of seconds."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AuthError(f"the token's {name!r} claim is not a number", code="token_invalid")
    return float(value)


def _check_times(claims: dict[str, Any], now: float, leeway: float) -> None:
    """RFC 7519 sections 4.1.4-4.1.6, with ``leeway`` seconds of clock skew."""
    if _number(claims, "exp") <= now - leeway:
        raise AuthError("the token has expired", code="token_expired")
    if _number(claims, "iat") > now + leeway:
        raise AuthError("the token is not valid yet (issued in the future)", code="token_invalid")
    if "nbf" in claims and _number(claims, "nbf") > now + leeway:
        raise AuthError("the token is not valid yet (nbf)", code="token_invalid")


def _principal(claims: dict[str, Any], audience: Audience) -> Principal:
    sub, jti, scope = claims["sub"], claims["jti"], claims.get("scope", "")
    if not (isinstance(sub, str) and sub and isinstance(jti, str) and jti):
        raise AuthError("the token's 'sub' or 'jti' claim is empty", code="token_invalid")
    if not isinstance(scope, str):
        raise AuthError("the token's 'scope' claim is not a string", code="token_invalid")
    return Principal(
        subject=sub,
        audience=audience,
        scopes=parse_scope(scope),
        token_id=jti,
        issued_at=_number(claims, "iat"),
        expires_at=_number(claims, "exp"),
    )
