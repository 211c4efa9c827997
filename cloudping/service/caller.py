"""Who is calling, whatever the channel: a verified token's subject, a guest, or an account
linked to a channel identity (``telegram:<user id>``, ``mail:<address>``, a web session).

Guests are told apart by address (design.md: "guests per address"): ``guest:198.18.0.5``,
``guest:2001:db8:1:2::/64`` (one IPv6 host has a whole /64 to pick from). Each has its own
quota and reads only its own measurements. The address is the peer's, or, when the peer is
a configured trusted proxy, the one its ``X-Forwarded-For`` names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from cloudping.auth import SCOPES, AuthError, Scope
from cloudping.service.settings import ApiSettings, ChannelAccess, Quota
from cloudping.special import Network

GUEST = "guest"
_IPV6_GUEST_PREFIX = 64


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


def token_caller(
    subject: str, scopes: Iterable[str], settings: ApiSettings, channel: str = "api"
) -> Caller:
    """The caller a verified token speaks for (its subject, the scopes cloudping knows of
    those it holds), with the user quota."""
    known = frozenset(scope for scope in SCOPES if scope in set(scopes))
    return Caller(subject, known, settings.user_quota, channel=channel)


def guest_caller(subject: str, settings: ApiSettings, channel: str = "api") -> Caller:
    """The guest ``subject`` (see :func:`guest_subject`): may measure, with the guest quota."""
    measure: frozenset[Scope] = frozenset({"measure"})
    return Caller(subject, measure, settings.guest_quota, guest=True, channel=channel)


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


def guest_subject(address: str) -> str:
    """The guest principal of a client address: per address for IPv4, per /64 for IPv6.

    Raises:
        ValueError: ``address`` is not an IP address.
    """
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address):
        return f"{GUEST}:{ipaddress.ip_network((ip, _IPV6_GUEST_PREFIX), strict=False)}"
    return f"{GUEST}:{ip}"


def client_address(
    peer: str | None, forwarded_for: str | None, trusted: tuple[Network, ...]
) -> str | None:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the
    right-most ``X-Forwarded-For`` entry that is not a trusted proxy (entries further left
    were written by the client, who can put anything there). ``None`` when unknown."""
    address = _ip(peer)
    hops = reversed([hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()])
    while address is not None and _trusted(address, trusted):
        following = next(hops, None)
        if following is None:
            break
        address = _ip(following)
    return None if address is None else str(address)


def guest_allowed(address: str | None, settings: ApiSettings, *, cross_site: bool = False) -> bool:
    """Whether a request without a token from ``address`` is a guest (else 401).

    ``cross_site``: a browser said a page on another site sent it (``Sec-Fetch-Site``); such
    a request never spends a visitor's guest quota.
    """
    ip = _ip(address)
    if settings.anonymous != "guest" or cross_site or ip is None:
        return False
    return not settings.guest_loopback_only or ip.is_loopback


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text or "")
    except ValueError:
        return None


def _trusted(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: tuple[Network, ...]
) -> bool:
    return any(ip in network for network in trusted)
