"""What every HTTP route of the hub shares, whatever channel it serves: the guard in front
(``Host``/``Origin`` rules, media types, body limits), the per-route policies it applies,
and which guest a request without a token is."""

from cloudping.channels.http.guard import HttpGuard, refusal_of
from cloudping.channels.http.guests import guest_of
from cloudping.channels.http.policy import (
    COMMAND_BODY_LIMIT,
    JSON,
    RoutePolicies,
    RoutePolicy,
)
from cloudping.channels.http.rules import HostRules, host_rules
from cloudping.channels.http.settings import HttpSettings

__all__ = [
    "COMMAND_BODY_LIMIT",
    "JSON",
    "HostRules",
    "HttpGuard",
    "HttpSettings",
    "RoutePolicies",
    "RoutePolicy",
    "guest_of",
    "host_rules",
    "refusal_of",
]
