"""The frame of every measurement stream: its opening ``measurement`` event, the end status
its errors lead to, ``internal_error`` for a bug, and its closing ``end``.

Every runner (this process's own probes, the hub's jobs) writes these through one
:class:`StreamFrame`, so the first and last words of a stream mean the same wherever it ran.
Pure: times are arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cloudping.events.model import EndEvent, ErrorEvent, Event, MeasurementEvent
from cloudping.events.status import EndStatus


@dataclass(slots=True)
class StreamFrame:
    """One measurement's opening and end, and the status its stream has come to so far.

    Attributes:
        id: the measurement id.
        started: when it started, in seconds on the caller's clock.
        status: ``ok`` until an error passes (``error``) or it is cancelled (``cancelled``).
    """

    id: str
    started: float
    status: EndStatus = "ok"

    def opening(
        self, command: str, agents: Sequence[str], read_key: str | None = None
    ) -> MeasurementEvent:
        """The first event: the command as text, the agents chosen, and the key that lets
        anyone holding it read this one measurement (hub runs only)."""
        return MeasurementEvent(
            id=self.id, command=command, agents=tuple(agents), read_key=read_key
        )

    def saw(self, event: Event) -> None:
        """Note an event of the stream: the first error makes the end ``error``."""
        if isinstance(event, ErrorEvent) and self.status == "ok":
            self.status = "error"

    def cancel(self) -> None:
        """The measurement was cancelled: that is how it ends, whatever came before."""
        self.status = "cancelled"

    def internal_error(self, exc: BaseException) -> ErrorEvent:
        """The event that says a bug stopped the measurement (the trace goes to the log)."""
        error = ErrorEvent(code="internal_error", message=f"internal error: {type(exc).__name__}")
        self.saw(error)
        return error

    def ending(self, now: float) -> EndEvent:
        """The last event, at ``now`` on the clock ``started`` was read from."""
        elapsed = round((now - self.started) * 1000, 3)
        return EndEvent(id=self.id, status=self.status, duration_ms=elapsed)
