"""Label values bounded by construction: each label takes its value from a closed set, and
anything else is ``other``. A target, a subject or a message can never become a series."""

from __future__ import annotations

from collections.abc import Collection

from cloudping.commands import MEASUREMENT_COMMANDS
from cloudping.events.status import END_STATUSES

OTHER = "other"
COMMANDS = frozenset(MEASUREMENT_COMMANDS)
END_STATUS = frozenset(END_STATUSES)
# How a job ends: the agent's JobEnd status, or the error the hub ended it with.
JOB_RESULTS = frozenset(
    {"completed", "failed", "cancelled", "agent_lost", "timeout", "job_aborted"}
)
CHANNELS = frozenset({"api", "mcp", "telegram", "email", "web", "probe", "cli"})
# A request ends ok or with one of the command service's error codes (see
# CommandService.run/start/answer and the auth errors a channel passes on).
REQUEST_STATUS = frozenset(
    {
        "ok",
        "bad_command",
        "is_a_measurement",
        "not_a_measurement",
        "no_agent_matched",
        "not_implemented",
        "quota_exceeded",
        "scope_missing",
        "token_not_issued",
    }
)
REFUSALS = frozenset({"quota", "scope", "policy"})
LIMITS = frozenset({"max_duration_ms", "max_packets", "max_rate_pps"})
TRANSPORTS = ("quic", "websocket", "local")
AGENT_STATES = ("idle", "busy")


def bounded(value: str, allowed: Collection[str]) -> str:
    """``value`` when it is one of ``allowed``, else ``other``."""
    return value if value in allowed else OTHER
