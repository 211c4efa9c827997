"""What an agent tells whoever watches it (the Prometheus metrics, ``cloudping/metrics/``).

The agent's runtime calls these hooks when a job ends and when a probe reports packets; it
never imports a metrics library. Labels handed over are bounded: a command name, a job
status, a limit's name; never a target or free text.
"""

from __future__ import annotations

from typing import Protocol

from cloudping.events import Event, PathSummaryEvent, PingSummaryEvent, ScanSummaryEvent


class AgentObserver(Protocol):
    """Hooks the agent's runtime calls."""

    def job_ended(self, command: str, result: str, seconds: float) -> None:
        """A job of ``command`` ended ``completed``/``failed``/``cancelled`` after its probe
        ran ``seconds``."""
        ...

    def packets(self, command: str, sent: int, received: int) -> None:
        """A probe's summary counted ``sent`` probes and ``received`` answers."""
        ...

    def limited(self, limit: str) -> None:
        """A job was refused or stopped by one of its limits (``max_rate_pps``,
        ``max_packets``, ``max_duration_ms``)."""
        ...


class QuietAgentObserver:
    """The observer of an agent nobody watches: every hook does nothing."""

    def job_ended(self, command: str, result: str, seconds: float) -> None:
        """See :class:`AgentObserver`."""

    def packets(self, command: str, sent: int, received: int) -> None:
        """See :class:`AgentObserver`."""

    def limited(self, limit: str) -> None:
        """See :class:`AgentObserver`."""


def packets_of(event: Event) -> tuple[int, int] | None:
    """``(sent, received)`` counted by a probe's summary; None for any other event."""
    if isinstance(event, PingSummaryEvent):
        return event.sent, event.received
    if isinstance(event, PathSummaryEvent):
        return sum(hop.sent for hop in event.hops), sum(hop.received for hop in event.hops)
    if isinstance(event, ScanSummaryEvent):
        return event.sent, event.alive
    return None
