"""The hub: the agents it knows (registry), who runs a command (selection), and measurements
(jobs out to the agents, one merged event stream back, every event stored).

No I/O here: agents are reached through :class:`AgentHandle` objects the agent door
provides, and callers (HTTP, MCP, Telegram, email) call :class:`Hub`.
"""

from cloudping.hub.jobs import JobPlan, plan_jobs
from cloudping.hub.measurements import DEFAULT_JOB_LIMITS, Hub, HubSettings
from cloudping.hub.registry import (
    AgentEntry,
    AgentHandle,
    AgentRegistry,
    MemoryRegistry,
    RegistryError,
)
from cloudping.hub.selection import choose_agents, needed_capabilities, selection_matches

__all__ = [
    "DEFAULT_JOB_LIMITS",
    "AgentEntry",
    "AgentHandle",
    "AgentRegistry",
    "Hub",
    "HubSettings",
    "JobPlan",
    "MemoryRegistry",
    "RegistryError",
    "choose_agents",
    "needed_capabilities",
    "plan_jobs",
    "selection_matches",
]
