"""Agents as plain selection candidates; the scripted agents come from cloudping.testing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudping.hub.selection import Profile, profile_of
from cloudping.wire import CAPABILITIES
from cloudping.wire.messages import AgentAttributes


@dataclass(frozen=True)
class Agent:
    """A selection candidate without a link."""

    name: str
    attributes: AgentAttributes

    @property
    def profile(self) -> Profile:
        """What selection matches on (made at each use: a test fleet is small)."""
        return profile_of(self.name, self.attributes)


def agent(name: str, **attributes: Any) -> Agent:
    """A candidate; every capability unless ``capabilities`` says otherwise."""
    attributes.setdefault("capabilities", CAPABILITIES)
    return Agent(name, AgentAttributes(**attributes))
