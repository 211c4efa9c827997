"""The command service every channel calls: callers, quotas, admission, every command.

A channel authenticates its way (a Bearer header, an MCP token verifier, a Telegram account)
and ends up with a :class:`Caller`; :class:`CommandService` does the rest the same for
all: measurements (quotas, then the hub), the other commands (an :class:`Answer`), cancels,
and reading back what the caller may see. Channels reach the hub only through here.
"""

from cloudping.commands.answer import Answer
from cloudping.service.admission import Admission
from cloudping.service.answers import NOT_BUILT
from cloudping.service.caller import (
    GUEST,
    Caller,
    account_caller,
    client_address,
    guest_allowed,
    guest_caller,
    guest_subject,
    token_caller,
)
from cloudping.service.commands import CommandService
from cloudping.service.directory import public_agent, public_agents
from cloudping.service.runner import ServiceRunner
from cloudping.service.settings import Anonymous, ApiSettings, ChannelAccess, Quota
from cloudping.service.window import HOUR, SlidingWindow

__all__ = [
    "GUEST",
    "HOUR",
    "NOT_BUILT",
    "Admission",
    "Anonymous",
    "Answer",
    "ApiSettings",
    "Caller",
    "ChannelAccess",
    "CommandService",
    "Quota",
    "ServiceRunner",
    "SlidingWindow",
    "account_caller",
    "client_address",
    "guest_allowed",
    "guest_caller",
    "guest_subject",
    "public_agent",
    "public_agents",
    "token_caller",
]
