"""What the hub tells whoever watches it (the Prometheus metrics, ``cloudping/metrics/``).

The hub calls these hooks at the few places where something countable happens; it never
imports a metrics library. Each hook is synchronous and cheap (it runs on the event loop, in
the middle of a measurement). Labels handed over are bounded by construction: a command
name, a status, a result, a channel, an error code; never a target, a subject or free text.
"""

from __future__ import annotations

from typing import Protocol


class HubObserver(Protocol):
    """Hooks the hub, its runs and the command service call."""

    def measurement_started(self, command: str) -> None:
        """A measurement of ``command`` (``ping``, ``http``, ...) was launched."""
        ...

    def measurement_ended(self, command: str, status: str, seconds: float) -> None:
        """It ended with ``end.status`` ``status`` after ``seconds``."""
        ...

    def job_ended(self, result: str) -> None:
        """A job ended: ``completed``, ``failed``, ``cancelled`` (the agent said so), or an
        error code the hub gave it (``agent_lost``, ``timeout``, ``job_aborted``)."""
        ...

    def event_lag(self, seconds: float) -> None:
        """An agent's event reached the stream ``seconds`` after the hub received it."""
        ...

    def refused(self, reason: str) -> None:
        """A measurement or a job was refused: ``quota``, ``scope`` or ``policy``."""
        ...

    def request(self, channel: str, status: str) -> None:
        """A command came through ``channel`` (``api``, ``mcp``, ...) and ended ``ok`` or
        with the error code ``status``."""
        ...


class QuietHubObserver:
    """The observer of a hub nobody watches: every hook does nothing."""

    def measurement_started(self, command: str) -> None:
        """See :class:`HubObserver`."""

    def measurement_ended(self, command: str, status: str, seconds: float) -> None:
        """See :class:`HubObserver`."""

    def job_ended(self, result: str) -> None:
        """See :class:`HubObserver`."""

    def event_lag(self, seconds: float) -> None:
        """See :class:`HubObserver`."""

    def refused(self, reason: str) -> None:
        """See :class:`HubObserver`."""

    def request(self, channel: str, status: str) -> None:
        """See :class:`HubObserver`."""
