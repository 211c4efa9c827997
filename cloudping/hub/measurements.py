"""The hub's core: a command becomes jobs on chosen agents, and one merged, stored stream.

No sockets here. Agents are reached through their :class:`~cloudping.hub.registry.AgentHandle`;
what they send comes in through :meth:`Hub.job_event`, :meth:`Hub.job_end`,
:meth:`Hub.job_aborted` and :meth:`Hub.agent_lost`, plain synchronous calls the agent door makes
from its callback (and tests make directly). Callers (HTTP, MCP, Telegram, email) use
:meth:`Hub.run` to stream, :meth:`Hub.start` for a background run, :meth:`Hub.wait` to await one.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self

from cloudping.commands import Command, targets_of
from cloudping.events import Emit, Event
from cloudping.hub.jobs import plan_jobs
from cloudping.hub.observer import HubObserver, QuietHubObserver
from cloudping.hub.overdue import OVERDUE_SLACK
from cloudping.hub.registry import AgentHandle, AgentRegistry
from cloudping.hub.selection import choose_agents
from cloudping.hub.tracker import (
    Cancelled,
    Ended,
    ExpectedPaths,
    Failed,
    Inbound,
    MeasurementRun,
    Reported,
    RunContext,
    as_sent,
)
from cloudping.ids import new_measurement_id, new_read_key
from cloudping.store.base import MeasurementStore
from cloudping.wire.messages import JobLimits, JobStatus

DEFAULT_JOB_LIMITS = JobLimits(max_duration_ms=600_000, max_packets=10_000, max_rate_pps=1_000)


@dataclass(frozen=True, slots=True)
class HubSettings:
    """Bounds the hub applies to every measurement.

    Attributes:
        max_jobs: most jobs (agents x targets) in one measurement (``quota_exceeded`` above).
        job_limits: what every job's agent enforces (duration, packets, rate).
        grace_s: how long past ``job_limits.max_duration_ms`` a job may stay silent before
            the hub gives up on it with ``timeout`` (covers transit and the agent's last words).
        preferred_agent: where a command without FROM goes when it can (``local`` under
            ``cloudping up``).
        overdue_slack_s: how long past its probes' own end a ping or tcping job may stay
            unended before it ends ``agent_lost`` (``overdue``; see :mod:`cloudping.hub.overdue`).
    """

    max_jobs: int = 50
    job_limits: JobLimits = field(default_factory=lambda: DEFAULT_JOB_LIMITS)
    grace_s: float = 10.0
    preferred_agent: str | None = None
    overdue_slack_s: float = OVERDUE_SLACK

    @property
    def deadline_s(self) -> float:
        """The longest a measurement waits for its jobs."""
        return self.job_limits.max_duration_ms / 1000 + self.grace_s


class Hub:
    """Measurements over the registry's agents, written to the store.

    Use as ``async with Hub(registry, store) as hub``: measurements run as tasks of the hub's
    task group, so a background run outlives its caller but not the hub; leaving the block
    cancels the runs still going, and each ends its stream with ``end``.

    Args:
        clock: POSIX seconds (``time.time``); tests pass a fake.
        new_id: measurement ids; tests pass a counter.
        rng: the shuffle behind agent choice; tests pass ``random.Random(seed)``.
        observer: told what happens, for the metrics (default: nobody).
        annotate: what the hub adds to each event an agent sends (the network and place of
            its addresses, :func:`cloudping.ipinfo.annotate.annotated`).
        expected_paths: the AS paths the route store expects towards a path's address
            (:func:`cloudping.ipinfo.aspath.expected_paths`; blocking, run in a thread).
    """

    def __init__(
        self,
        registry: AgentRegistry,
        store: MeasurementStore,
        *,
        settings: HubSettings | None = None,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = new_measurement_id,
        rng: random.Random | None = None,
        observer: HubObserver | None = None,
        annotate: Callable[[Event], Event] = as_sent,
        expected_paths: ExpectedPaths | None = None,
    ) -> None:
        self.registry = registry
        self._annotate = annotate
        self._expected_paths = expected_paths
        self.store = store
        self.settings = settings or HubSettings()
        self._clock = clock
        self._new_id = new_id
        self._rng = rng or random.Random()  # noqa: S311 (spreads load; nothing secret)
        self.observer: HubObserver = observer or QuietHubObserver()
        self._group: asyncio.TaskGroup | None = None
        self._routes: dict[str, MeasurementRun] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._runs: dict[str, MeasurementRun] = {}

    async def __aenter__(self) -> Self:
        self._group = asyncio.TaskGroup()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.cancel_all("the hub is shutting down")
        group, self._group = self._group, None
        if group is not None:
            await group.__aexit__(kind, error, trace)

    # -- callers ------------------------------------------------------------------------------

    async def run(
        self,
        command: Command,
        subject: str | None,
        emit: Emit,
        *,
        background: bool = False,
        private: bool = False,
        read_key: str | None = None,
    ) -> str:
        """Run ``command``, emitting its whole stream; returns the measurement id.

        If the caller is cancelled (its client disconnected), its jobs are cancelled and the
        stream ends ``cancelled`` in the store, unless ``background``: then the measurement
        goes on, stored, without the caller. ``private``: the caller has the ``private``
        scope, so agents may probe the ranges they serve for it. ``read_key``: the key that
        lets others read it (a new one when not given; the ``measurement`` event carries it).

        Raises:
            CloudpingError: before any event, ``no_agent_matched``, ``quota_exceeded`` or
                ``not_a_measurement``; nothing is stored then.
        """
        run = await self._prepare(command, subject, emit, private=private, read_key=read_key)
        task = self._launch(run)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            run.detach()
            if not background:
                run.inbox.put_nowait(Cancelled("the caller went away"))
            raise
        return run.id

    async def start(
        self,
        command: Command,
        subject: str | None,
        *,
        private: bool = False,
        read_key: str | None = None,
    ) -> str:
        """Start a background measurement and return its id at once (``{"id": ...}``);
        ``private`` and ``read_key`` as for :meth:`run`.

        Raises:
            CloudpingError: as :meth:`run`.
        """
        run = await self._prepare(command, subject, None, private=private, read_key=read_key)
        self._launch(run)
        return run.id

    async def wait(self, measurement_id: str) -> None:
        """Until the measurement's stream has ended (at once if it is not running here)."""
        task = self._tasks.get(measurement_id)
        if task is not None:
            await asyncio.shield(task)

    def is_running(self, measurement_id: str) -> bool:
        """Whether the measurement runs on this hub now (its stream is not stored whole yet)."""
        return measurement_id in self._tasks

    def cancel_all(self, reason: str) -> None:
        """Cancel every running measurement; callers still listening get the end of their
        stream (design.md "Operations": graceful shutdown ends streams with ``end``)."""
        for run in list(self._runs.values()):
            run.inbox.put_nowait(Cancelled(reason))

    def handles_at_work(self) -> frozenset[AgentHandle]:
        """The agents (their handles) with a job open now."""
        return frozenset(
            run.handle_of(job_id) for run in self._runs.values() for job_id in run.open
        )

    def owner(self, measurement_id: str) -> str | None:
        """The subject of a measurement running here (``None``: not running here)."""
        run = self._runs.get(measurement_id)
        return run.subject if run is not None else None

    def cancel(self, measurement_id: str) -> bool:
        """Cancel a running measurement (a user's cancel button); whether it was running."""
        run = self._runs.get(measurement_id)
        if run is not None:
            run.inbox.put_nowait(Cancelled("cancelled by the user"))
        return run is not None

    # -- the agents' side (called by the agent door) -----------------------------------------

    def job_event(self, handle: AgentHandle, job_id: str, event: Mapping[str, Any]) -> None:
        """An agent sent an event of one of its jobs (a ``JobEvent``'s ``event``)."""
        received = asyncio.get_running_loop().time()
        self._route(handle, job_id, Reported(job_id, event, received))

    def job_end(self, handle: AgentHandle, job_id: str, status: JobStatus) -> None:
        """An agent ended a job (``JobEnd``)."""
        self._route(handle, job_id, Ended(job_id, status))

    def job_aborted(self, handle: AgentHandle, job_id: str, reason: str) -> None:
        """A job's stream broke while the agent stays connected (``JobAborted``)."""
        self._route(handle, job_id, Failed(job_id, "job_aborted", reason))

    def agent_lost(self, handle: AgentHandle, name: str, reason: str | None = None) -> None:
        """The agent's connection is gone: each of its unfinished jobs ends ``agent_lost`` with
        ``reason`` ``disconnected`` (the message ends with the cause, such as ``token revoked``,
        when given)."""
        message = f"agent {name} disconnected before its job ended"
        if reason:
            message += f": {reason}"
        for run in set(self._routes.values()):
            for job_id in run.jobs_on(handle):
                run.inbox.put_nowait(Failed(job_id, "agent_lost", message, "disconnected"))

    # -- inside -------------------------------------------------------------------------------

    async def _prepare(
        self,
        command: Command,
        subject: str | None,
        emit: Emit | None,
        *,
        private: bool,
        read_key: str | None,
    ) -> MeasurementRun:
        targets_of(command)  # refuse list/help/... before choosing agents
        entries = await self.registry.list()
        chosen = choose_agents(entries, command, self._rng, preferred=self.settings.preferred_agent)
        measurement_id = self._new_id()
        names = [entry.name for entry in chosen]
        jobs = plan_jobs(measurement_id, command, names, self.settings.max_jobs)
        handles = {entry.name: entry.handle for entry in chosen}
        limits = self.settings.job_limits
        if private:
            limits = replace(limits, private=True)
        context = RunContext(
            self.store,
            self._clock,
            limits,
            self.settings.deadline_s,
            self.settings.overdue_slack_s,
            self.observer,
            self._annotate,
            self._expected_paths,
        )
        return MeasurementRun(
            measurement_id,
            command,
            jobs,
            subject=subject,
            handles=handles,
            context=context,
            emit=emit,
            read_key=read_key or new_read_key(),
        )

    def _launch(self, run: MeasurementRun) -> asyncio.Task[None]:
        if self._group is None:
            raise RuntimeError("use the hub inside `async with Hub(...)`")
        self._runs[run.id] = run
        self._routes.update(dict.fromkeys(run.jobs, run))
        task = self._group.create_task(run.execute(), name=f"measurement {run.id}")
        self.observer.measurement_started(run.command.command)
        self._tasks[run.id] = task
        task.add_done_callback(lambda _: self._forget(run))
        return task

    def _forget(self, run: MeasurementRun) -> None:
        for job_id in run.jobs:
            self._routes.pop(job_id, None)
        self._runs.pop(run.id, None)
        self._tasks.pop(run.id, None)

    def _route(self, handle: AgentHandle, job_id: str, item: Inbound) -> None:
        run = self._routes.get(job_id)
        # Only the agent a job was offered to may speak for it; anything else is dropped.
        if run is not None and run.handle_of(job_id) is handle:
            run.inbox.put_nowait(item)
