"""The agents the hub knows about: who each one is, where it is, and how to reach it.

The registry is a seam (:class:`AgentRegistry`) so that a Redis-backed registry shared by
several hubs is an added backend, not a rewrite; :class:`MemoryRegistry` is the one-hub
implementation and the twin tests use. The hub never holds a connection: it talks to an agent
through its :class:`AgentHandle` (the QUIC connection in production, an in-memory twin in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from cloudping.errors import CloudpingError
from cloudping.hub.selection import Profile, profile_of
from cloudping.wire.messages import AgentAttributes, JobLimits


class RegistryError(CloudpingError):
    """An agent the registry refuses; ``code`` is the wire ``Refuse`` code to answer with."""

    code = "registry_error"


class AgentHandle(Protocol):
    """How the hub reaches one connected agent. Both calls are fire-and-forget: what the
    agent does comes back through the hub's ``job_event``/``job_end``/``agent_lost``."""

    def offer(self, job_id: str, command: Mapping[str, Any], limits: JobLimits) -> None:
        """Send a job offer (``command`` is the structured JSON form, one target)."""
        ...

    def cancel(self, job_id: str) -> None:
        """Tell the agent to stop the job: the hub wants no more of its events."""
        ...


@dataclass(frozen=True, slots=True)
class AgentEntry:
    """One connected agent: its name, the identity that proved it, its attributes, its handle.

    ``connected_at`` is POSIX seconds, as the caller's clock gave it. ``profile`` is what
    selection matches on, made from the name and attributes when the entry is (at register,
    and again at every update of the attributes), not at every selection.
    """

    name: str
    identity: str
    attributes: AgentAttributes
    handle: AgentHandle
    connected_at: float
    profile: Profile = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "profile", profile_of(self.name, self.attributes))


class AgentRegistry(Protocol):
    """The live agents, by name. Methods are async so a networked backend fits behind them."""

    async def register(
        self, name: str, identity: str, attributes: AgentAttributes, handle: AgentHandle, now: float
    ) -> AgentEntry:
        """Add a connected agent whose hello was accepted.

        Raises:
            RegistryError: ``unauthorized`` when ``identity`` is not ``name`` (a token's
                subject is the agent's name), ``name_in_use`` when another live connection
                holds the name.
        """
        ...

    async def unregister(self, name: str, handle: AgentHandle) -> bool:
        """Remove the agent if ``handle`` is still its connection; whether it was removed."""
        ...

    async def update(
        self, name: str, handle: AgentHandle, attributes: AgentAttributes
    ) -> AgentEntry:
        """Replace the attributes the agent announced (``not_found`` if it is not live)."""
        ...

    async def get(self, name: str) -> AgentEntry | None:
        """The live agent of that name, if any."""
        ...

    async def list(self) -> tuple[AgentEntry, ...]:
        """Every live agent, sorted by name."""
        ...


class MemoryRegistry:
    """Live agents in a dict; each method runs without awaiting, so each is atomic.

    :meth:`list` runs twice per measurement (the quota check, then the hub's choice) and
    for every agent listing, while agents come and go far less often: the sorted listing is
    kept, and made again only after a change.
    """

    def __init__(self) -> None:
        self._agents: dict[str, AgentEntry] = {}
        self._listing: tuple[AgentEntry, ...] | None = None

    async def register(
        self, name: str, identity: str, attributes: AgentAttributes, handle: AgentHandle, now: float
    ) -> AgentEntry:
        """See :meth:`AgentRegistry.register`."""
        if identity != name:
            message = f"agent {name!r} presented the identity of {identity!r}"
            raise RegistryError(message, code="unauthorized", name=name)
        if name in self._agents:
            message = f"an agent named {name!r} is already connected"
            raise RegistryError(message, code="name_in_use", name=name)
        entry = AgentEntry(name, identity, attributes, handle, now)
        self._agents[name] = entry
        self._listing = None
        return entry

    async def unregister(self, name: str, handle: AgentHandle) -> bool:
        """See :meth:`AgentRegistry.unregister`."""
        # Matching the handle keeps a late disconnect of an old connection from removing the
        # agent's new one.
        entry = self._agents.get(name)
        if entry is None or entry.handle is not handle:
            return False
        del self._agents[name]
        self._listing = None
        return True

    async def update(
        self, name: str, handle: AgentHandle, attributes: AgentAttributes
    ) -> AgentEntry:
        """See :meth:`AgentRegistry.update`."""
        entry = self._agents.get(name)
        if entry is None or entry.handle is not handle:
            raise RegistryError(f"no live agent {name!r}", code="not_found", name=name)
        updated = replace(entry, attributes=attributes)
        self._agents[name] = updated
        self._listing = None
        return updated

    async def get(self, name: str) -> AgentEntry | None:
        """See :meth:`AgentRegistry.get`."""
        return self._agents.get(name)

    async def list(self) -> tuple[AgentEntry, ...]:
        """See :meth:`AgentRegistry.list`."""
        if self._listing is None:
            self._listing = tuple(self._agents[name] for name in sorted(self._agents))
        return self._listing
