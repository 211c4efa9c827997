"""Who is calling, whatever the channel: a verified token's subject, the guest, or an account
linked to a channel identity (``telegram:<user id>``, ``mail:<address>``, a web session)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cloudping.auth import AuthError, Principal, Scope
from cloudping.service.settings import ApiSettings, ChannelAccess, Quota

GUEST = "guest"


@dataclass(frozen=True, slots=True)
class Caller:
    """The subject of a request, what it may do, the quota it spends, and the channel it
    came through (``api``, ``mcp``, ``telegram``, ...)."""

    subject: str
    scopes: frozenset[Scope]
    quota: Quota
    guest: bool = False
    channel: str = "api"

    @property
    def private(self) -> bool:
        """Whether agents may probe the non-public ranges they serve for this caller."""
        return "private" in self.scopes

    def require(self, scope: Scope) -> None:
        """Raise ``scope_missing`` (403) unless the caller holds ``scope``."""
        if scope not in self.scopes:
            message = f"this needs the {scope!r} scope, which the caller does not hold"
            raise AuthError(message, code="scope_missing", scope=scope)

    def may_read(self, owner: str | None) -> bool:
        """Whether the caller may see a measurement asked for by ``owner``."""
        return owner == self.subject or "admin" in self.scopes


def token_caller(principal: Principal, settings: ApiSettings, channel: str = "api") -> Caller:
    """The caller a verified token speaks for, with the user quota."""
    return Caller(principal.subject, principal.scopes, settings.user_quota, channel=channel)


def guest_caller(settings: ApiSettings, channel: str = "api") -> Caller:
    """The guest: may measure, with the small quota every guest shares."""
    measure: frozenset[Scope] = frozenset({"measure"})
    return Caller(GUEST, measure, settings.guest_quota, guest=True, channel=channel)


def account_caller(identity: str, access: ChannelAccess) -> Caller:
    """The caller of an account linked to a channel identity (``telegram:<user id>``), with
    the scopes and quota configured for that channel.

    Raises:
        ValueError: an identity of another channel (a channel's bug, not a caller's).
    """
    kind, _, name = identity.partition(":")
    if kind != access.channel or not name:
        raise ValueError(f"{identity!r} is not a {access.channel}:<id> identity")
    return Caller(identity, access.scopes, access.quota, channel=access.channel)


def guest_allowed(client_host: str | None, settings: ApiSettings) -> bool:
    """Whether a request without a token from ``client_host`` is the guest (else 401)."""
    if settings.anonymous != "guest":
        return False
    if not settings.guest_loopback_only:
        return True
    try:
        return ipaddress.ip_address(client_host or "").is_loopback
    except ValueError:
        return False
