"""Who may use the bot, and as which caller (sans-IO).

Every Telegram user is the principal ``telegram:<user id>``. The hub's guest rule decides
who gets in: when it admits guests from anywhere (``--anonymous guest --guest-anywhere``)
anyone, else only the users and chats the operator named (``--telegram-allow``). Guests
from loopback only (``cloudping up``'s default) say nothing about strangers on Telegram.
Either way a user gets the guest scopes and quota, unless the operator granted more
(``--telegram-grant ID=SCOPES``: those scopes, the user quota).
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudping.auth import Scope
from cloudping.service import ApiSettings, Caller, ChannelAccess, account_caller

from .settings import TelegramSettings

CHANNEL = "telegram"
GUEST_SCOPES: frozenset[Scope] = frozenset({"measure"})


@dataclass(frozen=True, slots=True)
class Admitted:
    """A user the bot serves, and whether the operator named them (only those get tokens)."""

    caller: Caller
    named: bool


@dataclass(frozen=True, slots=True)
class Refused:
    """A user the bot does not serve, and why (what the user is told)."""

    reason: str


def identity(user_id: int) -> str:
    """The principal of a Telegram user."""
    return f"{CHANNEL}:{user_id}"


def admit(
    user_id: int, chat_id: int, settings: TelegramSettings, api: ApiSettings
) -> Admitted | Refused:
    """Whether ``user_id`` (writing in ``chat_id``) may use the bot, and as whom."""
    granted = settings.granted(user_id)
    if granted is not None:
        access = ChannelAccess(CHANNEL, granted, api.user_quota)
        return Admitted(account_caller(identity(user_id), access), named=True)
    named = user_id in settings.allow or chat_id in settings.allow
    if not (named or _guests_welcome(api)):
        return Refused(
            "This bot answers only the people its operator allowed. Your Telegram id is "
            f"{user_id}: ask the operator to add it to --telegram-allow."
        )
    access = ChannelAccess(CHANNEL, GUEST_SCOPES, api.guest_quota)
    return Admitted(account_caller(identity(user_id), access), named=named)


def _guests_welcome(api: ApiSettings) -> bool:
    return api.anonymous == "guest" and not api.guest_loopback_only
