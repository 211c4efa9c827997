"""The hub's HTTP edge: what every HTTP route shares, whatever channel it serves.

The guard in front (``Host``/``Origin`` rules, media types, body limits), the per-route
policies it applies, and which guest a request without a token is. Not a channel: the
channels that speak HTTP (api, mcp, and next web, telegram webhooks, mail) sit behind it.
"""

from cloudping.edge.guard import HttpGuard, refusal_of
from cloudping.edge.guests import guest_of
from cloudping.edge.policy import (
    COMMAND_BODY_LIMIT,
    JSON,
    MAIL_BODY_LIMIT,
    MAIL_PATH,
    MESSAGE_RFC822,
    RoutePolicies,
    RoutePolicy,
)
from cloudping.edge.rules import HostRules, host_rules
from cloudping.edge.settings import HttpSettings

__all__ = [
    "COMMAND_BODY_LIMIT",
    "JSON",
    "MAIL_BODY_LIMIT",
    "MAIL_PATH",
    "MESSAGE_RFC822",
    "HostRules",
    "HttpGuard",
    "HttpSettings",
    "RoutePolicies",
    "RoutePolicy",
    "guest_of",
    "host_rules",
    "refusal_of",
]
