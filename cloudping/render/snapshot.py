"""The measurement so far: a fold of its events that every medium redraws after each batch.

A chat message, a web view or an email renders from a :class:`Snapshot`, never from the raw
stream: ``snapshot.add(events)`` takes the next batch (in stream order), and the renderers read
per job (agent x target, in the order jobs first appeared) the rows, hops and answers so far,
the job's state, and the ``end`` once it came. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from cloudping.events import (
    DnsEvent,
    EndEvent,
    ErrorEvent,
    Event,
    HopEvent,
    HttpEvent,
    MeasurementEvent,
    PathSummaryEvent,
    PingSummaryEvent,
    ReplyEvent,
    ScanEvent,
    ScanSummaryEvent,
    StartEvent,
    TimeoutEvent,
)

JobKey = tuple[str, str]
JobState = Literal["running", "done", "error"]
Outcome = PingSummaryEvent | PathSummaryEvent | ScanSummaryEvent | DnsEvent | HttpEvent
Row = ReplyEvent | TimeoutEvent
# The events that are a job's result (those events.verdict.answered() judges).
_OUTCOMES = (PingSummaryEvent, PathSummaryEvent, ScanSummaryEvent, DnsEvent, HttpEvent)


@dataclass
class JobView:
    """One job so far: how it started, its probe rows or hops, its results and errors."""

    agent: str
    target: str
    start: StartEvent | None = None
    rows: list[Row] = field(default_factory=list)
    hops: list[HopEvent] = field(default_factory=list)
    found: list[ScanEvent] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)
    ended: bool = False  # the measurement's end came: nothing more will arrive for this job

    @property
    def state(self) -> JobState:
        """``done`` once its result came (a ``--trace``'s steps: at the end), ``error`` when it
        failed or the stream ended without a result, ``running`` before."""
        if self.outcomes and (self.ended or not _is_trace_step(self.outcomes[-1])):
            return "done"
        if self.errors or self.ended:
            return "error"
        return "running"

    def outcome(self, kind: type[Outcome]) -> Outcome | None:
        """The last result of class ``kind`` (a summary, a DNS answer, an HTTP response)."""
        return next((o for o in reversed(self.outcomes) if isinstance(o, kind)), None)

    def take(self, event: Event) -> None:
        """File one event of this job where it belongs."""
        if isinstance(event, StartEvent):
            self.start = event
        elif isinstance(event, ReplyEvent | TimeoutEvent):
            self.rows.append(event)
        elif isinstance(event, HopEvent):
            self.hops.append(event)
        elif isinstance(event, ScanEvent):
            self.found.append(event)
        elif isinstance(event, ErrorEvent):
            self.errors.append(event)
        elif isinstance(event, _OUTCOMES):
            self.outcomes.append(event)


@dataclass
class Snapshot:
    """A measurement's events so far, sorted by job."""

    measurement: MeasurementEvent | None = None
    end: EndEvent | None = None
    jobs: dict[JobKey, JobView] = field(default_factory=dict)
    errors: list[ErrorEvent] = field(default_factory=list)  # those of the whole measurement
    count: int = 0

    @classmethod
    def of(cls, events: Iterable[Event]) -> Snapshot:
        """The snapshot of ``events`` (in stream order)."""
        return cls().add(events)

    @property
    def agents(self) -> list[str]:
        """The agents chosen (from the first event), then any other that reported, in order."""
        chosen = list(self.measurement.agents) if self.measurement else []
        return list(dict.fromkeys([*chosen, *(agent for agent, _ in self.jobs)]))

    @property
    def targets(self) -> list[str]:
        """The targets in the order their jobs first appeared."""
        return list(dict.fromkeys(target for _, target in self.jobs))

    def add(self, events: Iterable[Event]) -> Snapshot:
        """Take the next events; returns ``self`` so a first batch reads ``Snapshot().add(...)``."""
        for event in events:
            self._add(event)
        return self

    def _add(self, event: Event) -> None:
        self.count += 1
        if isinstance(event, MeasurementEvent):
            self.measurement = event
        elif isinstance(event, EndEvent):
            self.end = event
            for job in self.jobs.values():
                job.ended = True
        elif event.agent is None or event.target is None:
            if isinstance(event, ErrorEvent):
                self.errors.append(event)
        else:
            key = (event.agent, event.target)
            self.jobs.setdefault(key, JobView(*key)).take(event)


def _is_trace_step(outcome: Outcome) -> bool:
    return isinstance(outcome, DnsEvent) and outcome.step is not None
