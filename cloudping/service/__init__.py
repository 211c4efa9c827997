"""Access to the hub for every channel: callers, quotas, admission, running a command.

A channel authenticates its way (a Bearer header, an MCP token verifier, a Telegram account)
and ends up with a :class:`Caller`; :class:`MeasurementService` does the rest the same for
all: quotas (:class:`Admission`), the hub, and reading back what the caller may see.
"""

from cloudping.service.admission import Admission
from cloudping.service.caller import (
    GUEST,
    Caller,
    client_address,
    guest_allowed,
    guest_caller,
    guest_subject,
    token_caller,
)
from cloudping.service.directory import public_agent, public_agents
from cloudping.service.measurements import MeasurementService
from cloudping.service.settings import Anonymous, ApiSettings, Network, Quota
from cloudping.service.window import HOUR, SlidingWindow

__all__ = [
    "GUEST",
    "HOUR",
    "Admission",
    "Anonymous",
    "ApiSettings",
    "Caller",
    "MeasurementService",
    "Network",
    "Quota",
    "SlidingWindow",
    "client_address",
    "guest_allowed",
    "guest_caller",
    "guest_subject",
    "public_agent",
    "public_agents",
    "token_caller",
]
