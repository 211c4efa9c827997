"""Who a verified token speaks for, and what it may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from cloudping.auth.errors import AuthError

Audience = Literal["api", "agent", "session"]
"""``session``: a signed-in person's browser session (a cookie), never a Bearer token."""
Scope = Literal["measure", "private", "admin", "mail"]
AUDIENCES: tuple[Audience, ...] = get_args(Audience)
SCOPES: tuple[Scope, ...] = get_args(Scope)


def parse_scope(claim: str) -> frozenset[Scope]:
    """The known scopes of a ``scope`` claim (RFC 8693 section 4.2: space-separated).

    Unknown words grant nothing and are dropped, so an older hub reads a newer token.
    """
    return frozenset(word for word in SCOPES if word in claim.split(" "))


def format_scope(scopes: frozenset[Scope] | tuple[Scope, ...]) -> str:
    """The ``scope`` claim of ``scopes``, in a stable order."""
    return " ".join(scope for scope in SCOPES if scope in scopes)


@dataclass(frozen=True, slots=True)
class Principal:
    """The subject of a verified token.

    Args:
        subject: ``sub``: a user, or an agent's name for audience ``agent``.
        audience: ``aud``: the service the token was issued for.
        scopes: what the token allows beyond its audience.
        token_id: ``jti``, by which the token can be revoked.
        issued_at: ``iat``, POSIX seconds.
        expires_at: ``exp``, POSIX seconds.
    """

    subject: str
    audience: Audience
    scopes: frozenset[Scope]
    token_id: str
    issued_at: float
    expires_at: float

    def has(self, scope: Scope) -> bool:
        """Whether the token carries ``scope``."""
        return scope in self.scopes

    def require(self, scope: Scope) -> None:
        """Raise unless the token carries ``scope``.

        Raises:
            AuthError: ``scope_missing``, naming the scope.
        """
        if scope not in self.scopes:
            raise AuthError(
                f"this needs the {scope!r} scope, which the token does not carry",
                code="scope_missing",
                scope=scope,
            )
