"""Access to the hub for every channel: callers, quotas, admission, running a command.

A channel authenticates its way (a Bearer header, an MCP token verifier, a Telegram account)
and ends up with a :class:`Caller`; :class:`MeasurementService` does the rest the same for
all: quotas (:class:`Admission`), the hub, and reading back what the caller may see.
"""

from cloudping.channels.access.admission import Admission
from cloudping.channels.access.caller import (
    GUEST,
    Caller,
    guest_allowed,
    guest_caller,
    token_caller,
)
from cloudping.channels.access.directory import public_agent, public_agents
from cloudping.channels.access.service import MeasurementService
from cloudping.channels.access.settings import Anonymous, ApiSettings, Quota
from cloudping.channels.access.window import HOUR, SlidingWindow

__all__ = [
    "GUEST",
    "HOUR",
    "Admission",
    "Anonymous",
    "ApiSettings",
    "Caller",
    "MeasurementService",
    "Quota",
    "SlidingWindow",
    "guest_allowed",
    "guest_caller",
    "public_agent",
    "public_agents",
    "token_caller",
]
