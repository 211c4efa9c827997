"""An agent inside the hub's own process (``local`` under ``cloudping up``), with no QUIC.

:class:`LocalAgentBridge` is both ends of an in-memory connection: to the hub it is an
:class:`~cloudping.hub.registry.AgentHandle` (offers and cancels go straight to the agent
runtime), to the :class:`~cloudping.agent.runtime.Agent` it is a ``HubSender`` (what the jobs
send goes straight to the hub). The agent's own checks (its target policy, its rate cap, the
offer's limits) run exactly as they do on a remote agent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from cloudping import __version__
from cloudping.agent.admit import AgentRules
from cloudping.agent.observer import AgentObserver
from cloudping.agent.runtime import Agent
from cloudping.errors import CloudpingError
from cloudping.hub.measurements import Hub
from cloudping.hub.registry import AgentRegistry
from cloudping.probes.env import ProbeEnv
from cloudping.wire import (
    CAPABILITIES,
    AgentAttributes,
    Cancel,
    JobEnd,
    JobEvent,
    JobLimits,
    JobOffer,
    Message,
)

LOCAL_AGENT = "local"


@dataclass(frozen=True, slots=True)
class LocalAgentSettings:
    """The in-process agent: its rules and what it announces (capabilities, place, tags)."""

    rules: AgentRules = field(default_factory=AgentRules)
    attributes: AgentAttributes = field(
        default_factory=lambda: AgentAttributes(
            capabilities=CAPABILITIES, software=f"cloudping/{__version__}"
        )
    )


class LocalAgentBridge:
    """The hub and an in-process agent, joined in memory."""

    def __init__(self, hub: Hub, agent: Agent, name: str = LOCAL_AGENT) -> None:
        self._hub, self._agent, self.name = hub, agent, name
        self.closed = False

    # -- the hub's side (AgentHandle) --------------------------------------------------------

    def offer(self, job_id: str, command: Mapping[str, Any], limits: JobLimits) -> None:
        """Start the job on the agent runtime."""
        self._check_open()
        self._agent(self, JobOffer(job_id=job_id, command=dict(command), limits=limits))

    def cancel(self, job_id: str) -> None:
        """Cancel the job (its summary so far and ``cancelled`` still come back)."""
        self._check_open()
        self._agent(self, Cancel(job_id=job_id, reason="cancelled by the hub"))

    def _check_open(self) -> None:
        if self.closed:
            raise CloudpingError(f"agent {self.name} has stopped", code="agent_lost")

    # -- the agent's side (HubSender) --------------------------------------------------------

    def send(self, message: Message) -> None:
        """What a job sends goes straight to the hub, as the agent door would route it."""
        if isinstance(message, JobEvent):
            self._hub.job_event(self, message.job_id, message.event)
        elif isinstance(message, JobEnd):
            self._hub.job_end(self, message.job_id, message.status)


@asynccontextmanager
async def local_agent(
    hub: Hub,
    registry: AgentRegistry,
    settings: LocalAgentSettings,
    now: float,
    observer: AgentObserver | None = None,
) -> AsyncIterator[LocalAgentBridge]:
    """Run the in-process agent, registered as ``local``, until the block ends; its jobs
    are told to ``observer`` (the metrics).

    Leaving stops its jobs (each sends its end) and unregisters it.
    """
    async with (
        ProbeEnv(agent=LOCAL_AGENT) as env,
        Agent.running(env, settings.rules, observer) as agent,
    ):
        handle = LocalAgentBridge(hub, agent)
        await registry.register(LOCAL_AGENT, LOCAL_AGENT, settings.attributes, handle, now)
        try:
            yield handle
        finally:
            handle.closed = True
            await registry.unregister(LOCAL_AGENT, handle)
