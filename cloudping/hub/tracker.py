"""One measurement in flight: its jobs, the events coming back, and the stream it writes.

A :class:`MeasurementRun` is driven by one task (:meth:`MeasurementRun.execute`); everything
else reaches it through its inbox, put from synchronous callbacks (the agent door, the caller's
cancellation), so the stream is written by one writer in one order. Each event goes to the
caller at once and, with a growing ``seq``, to a :class:`~cloudping.store.MeasurementWriter`
that stores the stream behind it, in that order, in batches; the run ends (``Hub.run``
returns) only once the store holds every event and the finish.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from pydantic import ValidationError

from cloudping.commands import Command, format_command, to_json
from cloudping.errors import CloudpingError
from cloudping.events import (
    Emit,
    ErrorEvent,
    Event,
    ExpectedPath,
    PathSummaryEvent,
    from_dict,
    to_dict,
)
from cloudping.events.frame import StreamFrame
from cloudping.events.status import FINAL_OF_END
from cloudping.hub.jobs import JobPlan
from cloudping.hub.observer import HubObserver, QuietHubObserver
from cloudping.hub.overdue import OVERDUE_SLACK, Deadlines, overdue_at
from cloudping.hub.registry import AgentHandle
from cloudping.store.base import MeasurementStore
from cloudping.store.writer import MeasurementWriter
from cloudping.wire.messages import JobLimits, JobStatus

log = logging.getLogger(__name__)
# An agent speaks for its own jobs only: the hub writes the stream's first and last events.
_HUB_ONLY = frozenset({"measurement", "end"})


@dataclass(frozen=True, slots=True)
class Reported:
    """An event an agent sent for one of its jobs, still in its JSON form, and when the hub
    received it (on the loop's clock: the stream's lag behind the agents is measured from it;
    None: not measured)."""

    job_id: str
    event: Mapping[str, Any]
    received: float | None = None


@dataclass(frozen=True, slots=True)
class Ended:
    """The agent ended a job (``completed``/``failed``/``cancelled``)."""

    job_id: str
    status: JobStatus


LostReason = Literal["disconnected", "overdue"]


@dataclass(frozen=True, slots=True)
class Failed:
    """A job that will send nothing more, and why (``agent_lost`` with its ``reason``,
    ``job_aborted``)."""

    job_id: str
    code: str
    message: str
    reason: LostReason | None = None


@dataclass(frozen=True, slots=True)
class Cancelled:
    """Stop every open job: the caller went away, or the hub is shutting down."""

    reason: str


Inbound = Reported | Ended | Failed | Cancelled
ExpectedPaths = Callable[[str], tuple[ExpectedPath, ...]]
"""The AS paths the hub's route store expects towards an address (blocking: SQLite I/O)."""


def as_sent(event: Event) -> Event:
    """An agent's event unchanged (a hub without IP info)."""
    return event


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a run needs from the hub: where to write, the clock, the job bounds, and what
    the hub adds to an agent's events (network and place of every address, issue 17; the
    AS paths the route store expects towards a path's address, issue 18)."""

    store: MeasurementStore
    clock: Callable[[], float]
    limits: JobLimits
    deadline_s: float
    overdue_slack_s: float = OVERDUE_SLACK
    observer: HubObserver = dataclasses.field(default_factory=QuietHubObserver)
    annotate: Callable[[Event], Event] = as_sent
    expected_paths: ExpectedPaths | None = None


class MeasurementRun:
    """The jobs of one measurement and the stream they make (one task drives it)."""

    def __init__(
        self,
        measurement_id: str,
        command: Command,
        jobs: tuple[JobPlan, ...],
        *,
        subject: str | None,
        handles: Mapping[str, AgentHandle],
        context: RunContext,
        emit: Emit | None,
        read_key: str | None = None,
    ) -> None:
        self.id = measurement_id
        self.command = command
        self.subject = subject
        self.read_key = read_key
        self.jobs = {job.job_id: job for job in jobs}
        self.handles = dict(handles)
        self.agents = tuple(dict.fromkeys(job.agent for job in jobs))
        self.open: set[str] = set(self.jobs)
        self.inbox: asyncio.Queue[Inbound] = asyncio.Queue()
        self._context = context
        self._writer = MeasurementWriter(context.store, measurement_id)
        self._emit = emit
        self._seq = 0
        self._summaries: list[dict[str, Any]] = []
        self._frame = StreamFrame(measurement_id, context.clock())
        self._due = Deadlines()  # when each job is overdue, on the loop's clock
        self._expected: dict[str, tuple[ExpectedPath, ...]] = {}  # per address: asked once

    def detach(self) -> None:
        """The caller is gone: the stream still goes to the store, no longer to the caller."""
        self._emit = None

    def jobs_on(self, handle: AgentHandle) -> tuple[str, ...]:
        """The open jobs running through ``handle``, in the order they were offered."""
        return tuple(j for j in self.open_jobs() if self.handle_of(j) is handle)

    def open_jobs(self) -> tuple[str, ...]:
        """The jobs not over yet, in the order they were offered."""
        return tuple(job_id for job_id in self.jobs if job_id in self.open)

    def handle_of(self, job_id: str) -> AgentHandle:
        """The handle the job was offered through."""
        return self.handles[self.jobs[job_id].agent]

    async def execute(self) -> None:
        """Open the stream, offer the jobs, merge what comes back, end the stream.

        Never raises for what happens to a job or to the store: the hub's task group would
        cancel every other measurement. Returns once the store has the whole stream.
        """
        try:
            self._open()
            self._offer_all()
            await self._follow()
        except asyncio.CancelledError:  # the hub's task group is going down: still end
            self._cancel("the hub is shutting down")
            await self._end()
            raise
        except Exception as exc:  # a bug: say so in the stream, keep the traceback in the log
            log.exception("measurement %s failed", self.id)
            self._write(self._frame.internal_error(exc))
        await self._end()

    def _open(self) -> None:
        text = format_command(self.command)
        self._writer.create(
            command=text,
            command_json=to_json(self.command),
            subject=self.subject,
            agents=self.agents,
            created_at=self._frame.started,
            read_key=self.read_key,
        )
        self._write(self._frame.opening(text, self.agents, self.read_key))
        # The command's name only: its words may hold a caller's secret (an http -H header).
        log.info(
            "measurement %s started: %s, %d job(s) on %s, for %s",
            self.id,
            self.command.command,
            len(self.jobs),
            ",".join(self.agents) or "no agent",
            self.subject,
            extra={"measurement": self.id, "agent": ",".join(self.agents)},
        )

    def _offer_all(self) -> None:
        now = asyncio.get_running_loop().time()
        for job in self.jobs.values():
            try:
                self.handle_of(job.job_id).offer(
                    job.job_id, to_json(job.command), self._context.limits
                )
            except CloudpingError as exc:  # the handle died between selection and offer
                failed = Failed(job.job_id, "agent_lost", exc.message, "disconnected")
                self.inbox.put_nowait(failed)
            else:
                at = overdue_at(job.command, now, self._context.overdue_slack_s)
                if at is not None:
                    self._due.add(job.job_id, at)

    async def _follow(self) -> None:
        try:
            async with asyncio.timeout(self._context.deadline_s):
                while self.open:
                    await self._next()
        except TimeoutError:
            self._time_out()

    async def _next(self) -> None:
        """Handle the next inbound item, or the jobs that became overdue meanwhile."""
        loop = asyncio.get_running_loop()
        due = self._due.next_due(self.open)
        try:
            async with asyncio.timeout_at(due):  # None: no job here can be overdue
                item = await self.inbox.get()
        except TimeoutError:
            for job_id in self._due.overdue(self.open, loop.time()):
                self._overdue(job_id)
            return
        await self._handle(item)

    def _overdue(self, job_id: str) -> None:
        agent = self.jobs[job_id].agent
        self._tell_cancel(job_id, "overdue")
        message = f"agent {agent} sent no end for its job long after the job's own end"
        self._fail(job_id, "agent_lost", message, "overdue")

    async def _handle(self, item: Inbound) -> None:
        if isinstance(item, Cancelled):
            self._cancel(item.reason)
        elif item.job_id not in self.open:
            return  # a late word about a job already over (after a cancel, a timeout)
        elif isinstance(item, Reported):
            if item.received is not None:
                lag = asyncio.get_running_loop().time() - item.received
                self._context.observer.event_lag(lag)
            self._write(await self._with_expected(self._checked(item)))
        elif isinstance(item, Ended):
            self.open.discard(item.job_id)
            self._context.observer.job_ended(item.status)
        else:
            self._fail(item.job_id, item.code, item.message, item.reason)

    def _checked(self, item: Reported) -> Event:
        """The typed event, named after the agent that really sent it; junk becomes an error."""
        agent = self.jobs[item.job_id].agent
        try:
            event = from_dict(item.event)
        except ValidationError as exc:
            message = f"agent {agent} sent a malformed event ({exc.error_count()} errors)"
            return ErrorEvent(code="bad_event", message=message, agent=agent)
        if event.type in _HUB_ONLY:
            message = f"agent {agent} sent a {event.type!r} event, which only the hub writes"
            return ErrorEvent(code="bad_event", message=message, agent=agent)
        return self._context.annotate(_named(event, agent))

    async def _with_expected(self, event: Event) -> Event:
        """A path summary with the AS paths the route store expects towards its address; the
        store is asked once per address of the run, off the loop (agents tracing one target
        share the answer)."""
        lookup = self._context.expected_paths
        if lookup is None or not isinstance(event, PathSummaryEvent) or not event.address:
            return event
        paths = self._expected.get(event.address)
        if paths is None:
            paths = await asyncio.to_thread(lookup, event.address)
            self._expected[event.address] = paths
        return dataclasses.replace(event, expected_paths=paths) if paths else event

    def _fail(self, job_id: str, code: str, message: str, reason: LostReason | None = None) -> None:
        self.open.discard(job_id)
        self._context.observer.job_ended(code)
        job = self.jobs[job_id]
        error = ErrorEvent(
            code=code, message=message, agent=job.agent, target=job.target, reason=reason
        )
        log.info(
            "measurement %s: job %s on %s ended %s%s",
            self.id,
            job_id,
            job.agent,
            code,
            f" ({reason})" if reason else "",
            extra={
                "measurement": self.id,
                "agent": job.agent,
                "job": job_id,
                "code": code,
                "reason": reason,
            },
        )
        self._write(error)

    def _cancel(self, reason: str) -> None:
        for job_id in self.open_jobs():
            self._tell_cancel(job_id, reason)
            self._context.observer.job_ended("cancelled")
        self.open.clear()
        self._frame.cancel()

    def _tell_cancel(self, job_id: str, reason: str) -> None:
        try:
            self.handle_of(job_id).cancel(job_id)
        except CloudpingError as exc:  # the agent is gone already: nothing to stop
            log.info("cancel of job %s (%s) not sent: %s", job_id, reason, exc.message)

    def _time_out(self) -> None:
        for job_id in self.open_jobs():
            self._tell_cancel(job_id, "deadline")
            message = f"job {job_id} sent no end within {self._context.deadline_s:g} s"
            self._fail(job_id, "timeout", message)

    async def _end(self) -> None:
        """Write ``end``, then the finish behind every event; wait until the store has them.

        The caller gets ``end`` before the store does; the wait is not cancelled with the
        run (:meth:`MeasurementWriter.drain`), so a cancelled run is still stored whole.
        """
        ending = self._frame.ending(self._context.clock())
        self._write(ending)
        self._context.observer.measurement_ended(
            self.command.command, ending.status, ending.duration_ms / 1000
        )
        status = FINAL_OF_END[self._frame.status]
        log.info(
            "measurement %s ended: %s",
            self.id,
            status,
            extra={"measurement": self.id, "status": status},
        )
        self._writer.finish(
            status=status,
            summary={"jobs": len(self.jobs), "summaries": self._summaries},
            ended_at=self._context.clock(),
        )
        await self._writer.drain()

    def _write(self, event: Event) -> None:
        """Queue the event for the store with the next ``seq`` and hand it to the caller."""
        self._frame.saw(event)
        if isinstance(event, ErrorEvent) and event.code == "policy_denied":
            self._context.observer.refused("policy")
        stored = to_dict(event)
        if event.type == "summary":
            self._summaries.append(stored)
        self._seq += 1
        self._writer.append(self._seq, stored)
        self._deliver(event)

    def _deliver(self, event: Event) -> None:
        if self._emit is None:
            return
        try:
            self._emit(event)
        except Exception:  # a broken sink must not stop the jobs or the store
            log.exception("measurement %s: the caller's sink failed; detaching it", self.id)
            self._emit = None


def _named(event: Event, agent: str) -> Event:
    """``event`` as sent by ``agent``: the hub, not the agent, says who an event is from."""
    # Every event an agent may send has an ``agent`` field (the hub-only ones were refused).
    renamed: Event = dataclasses.replace(cast("Any", event), agent=agent)
    return renamed
