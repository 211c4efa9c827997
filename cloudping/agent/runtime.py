"""The agent's jobs: an offer becomes a task, its events go back as they come, and every
job ends with a ``JobEnd``.

The agent talks to the hub through anything with ``send(message)`` (:class:`HubSender`): the
QUIC connection :func:`cloudping.transport.quic.dial_hub` yields, or an in-memory twin in tests.
Its handler takes the binding's events (``JobOffer``, ``Cancel``, ``JobAborted``,
``Disconnected``) on the event loop, synchronously, so it only starts and cancels tasks; the
tasks live in one ``TaskGroup`` owned by :meth:`Agent.running` (no orphan tasks).

No job is lost silently: a job that cannot run ends with an ``error`` event and ``failed``;
a cancelled one still sends what its probe emits on the way out (the summary so far) and
``cancelled``. Only a lost connection ends jobs without a word, because none can be sent; the
hub reports those as ``agent_lost``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from cloudping.agent.admit import AgentRules, LimitExceededError, admit, job_policy
from cloudping.agent.observer import AgentObserver, QuietAgentObserver, packets_of
from cloudping.errors import CloudpingError
from cloudping.events import ErrorEvent, Event
from cloudping.probes.env import ProbeEnv
from cloudping.probes.registry import PROBE_NAMES, probe_for
from cloudping.transport.core import ConnectionEvent
from cloudping.wire import (
    Cancel,
    Disconnected,
    JobAborted,
    JobEnd,
    JobOffer,
    JobStatus,
    LocalProtocolError,
    Message,
)
from cloudping.wire.payloads import job_event

log = logging.getLogger(__name__)


class HubSender(Protocol):
    """The one thing the agent needs of a connection to its hub."""

    def send(self, message: Message) -> None:
        """Send ``message`` (raises ``LocalProtocolError`` once the connection is closed)."""


@dataclass(eq=False)
class _Job:
    """One running job: where its reports go and how it is doing."""

    hub: HubSender
    offer: JobOffer
    started: float  # on the loop's clock, for the probe's duration
    status: JobStatus = "completed"
    cancelled: bool = False  # asked to stop (a probe that swallowed it still ends cancelled)
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def job_id(self) -> str:
        return self.offer.job_id

    @property
    def command(self) -> str:
        """The command's name as offered (the metrics bound it to the known ones)."""
        return str(self.offer.command.get("command", ""))


class Agent:
    """Runs offered jobs on a shared :class:`ProbeEnv` (one ICMP socket per family for all).

    Build it with :meth:`running`; pass the instance as ``dial_hub``'s ``on_event``.
    ``observer`` is told how jobs end, for the metrics.
    """

    def __init__(
        self,
        env: ProbeEnv,
        rules: AgentRules,
        tasks: asyncio.TaskGroup,
        observer: AgentObserver | None = None,
    ) -> None:
        self.env, self.rules = env, rules
        self._tasks = tasks
        self._observer: AgentObserver = observer or QuietAgentObserver()
        self._jobs: dict[tuple[HubSender, str], _Job] = {}
        self._gone: set[HubSender] = set()  # hubs whose connection ended: nothing more to send

    @classmethod
    @asynccontextmanager
    async def running(
        cls, env: ProbeEnv, rules: AgentRules, observer: AgentObserver | None = None
    ) -> AsyncIterator[Agent]:
        """An agent whose jobs are cancelled (and ended) when the block ends."""
        async with asyncio.TaskGroup() as tasks:
            agent = cls(env, rules, tasks, observer)
            try:
                yield agent
            finally:
                agent.cancel_all("the agent is stopping")

    def jobs(self, hub: HubSender) -> frozenset[str]:
        """Ids of the jobs of ``hub`` that have not ended."""
        return frozenset(job_id for owner, job_id in self._jobs if owner is hub)

    def __call__(self, hub: HubSender, event: ConnectionEvent) -> None:
        """The binding's callback: act on one event of ``hub``."""
        if isinstance(event, JobOffer):
            self._start(hub, event)
        elif isinstance(event, Cancel | JobAborted):
            self._cancel(hub, event.job_id, event.reason)
        elif isinstance(event, Disconnected):
            self._gone.add(hub)
            for job_id in self.jobs(hub):
                self._cancel(hub, job_id, f"the hub connection is gone: {event.reason}")
            self._forget_if_idle(hub)

    def cancel_all(self, reason: str) -> None:
        """Cancel every job of every hub connection (each still ends with ``JobEnd``)."""
        for hub, job_id in list(self._jobs):
            self._cancel(hub, job_id, reason)

    async def finish(self, hub: HubSender, reason: str) -> None:
        """Cancel the jobs of ``hub`` and return once each has sent its end."""
        for job_id in self.jobs(hub):
            self._cancel(hub, job_id, reason)
        await self.ended(hub)

    async def ended(self, hub: HubSender) -> None:
        """Return once every job ``hub`` has now is over (and its end sent, if it could)."""
        tasks = [job.task for job in self._jobs.values() if job.hub is hub and job.task]
        if tasks:
            # asyncio.wait's own callback comes after each job's end callback (added first).
            await asyncio.wait(tasks)

    def _start(self, hub: HubSender, offer: JobOffer) -> None:
        key = (hub, offer.job_id)
        if key in self._jobs:  # the wire layer refuses a reused id; a twin might not
            log.warning("job %s is already running: offer ignored", offer.job_id)
            return
        job = self._jobs[key] = _Job(hub, offer, asyncio.get_running_loop().time())
        log.info(
            "job %s started: %s",
            offer.job_id,
            offer.command.get("command"),
            extra=self._context(offer.job_id),
        )
        job.task = self._tasks.create_task(self._run(job), name=f"job {offer.job_id}")
        # The end goes out from a done callback: it runs even for a task cancelled before
        # its first step, which no try/finally inside the task would see.
        job.task.add_done_callback(lambda task: self._ended(job, task))

    def _cancel(self, hub: HubSender, job_id: str, reason: str) -> None:
        job = self._jobs.get((hub, job_id))
        if job is not None and job.task is not None:
            log.info("job %s cancelled: %s", job_id, reason, extra=self._context(job_id))
            job.cancelled = True
            job.task.cancel(reason)

    async def _run(self, job: _Job) -> None:
        """Run the job's probe, turning every failure into an ``error`` event."""
        try:
            await self._probe(job)
        except CloudpingError as exc:
            if isinstance(exc, LimitExceededError):
                self._observer.limited(str(exc.fields.get("limit")))
            self._emit(job, ErrorEvent.of(exc, agent=self.env.agent))
        except Exception as exc:  # a bug: say so in the stream, keep the traceback in the log
            log.exception("job %s failed", job.job_id)
            message = f"internal error: {type(exc).__name__}"
            self._emit(
                job, ErrorEvent(code="internal_error", message=message, agent=self.env.agent)
            )
        # Said here, in the step that sent the last event, so both leave in one packet.
        self._end(job, "cancelled" if job.cancelled else job.status)

    async def _probe(self, job: _Job) -> None:
        cmd = admit(job.offer, self.rules)
        probe = probe_for(cmd.command)
        if probe is None:
            raise CloudpingError(
                f"{cmd.command} does not run on agents (they run: {', '.join(PROBE_NAMES)})",
                code="not_implemented",
            )
        # A per-job view of the shared environment: its own policy, the same sockets and
        # reverse-name cache (dataclasses.replace passes the same dict and cache along).
        env = dataclasses.replace(self.env, policy=job_policy(job.offer, self.rules))
        seconds = job.offer.limits.max_duration_ms / 1000
        deadline = asyncio.timeout(seconds)
        try:
            async with deadline:
                await probe(cmd, env, lambda event: self._emit(job, event))
        except TimeoutError:
            if not deadline.expired():
                raise
            raise LimitExceededError(
                f"the job ran past its limit of {seconds:g} s and was stopped (max_duration_ms)",
                limit="max_duration_ms",
                allowed=job.offer.limits.max_duration_ms,
            ) from None

    def _emit(self, job: _Job, event: Event) -> None:
        if isinstance(event, ErrorEvent):
            job.status = "failed"
        elif (counted := packets_of(event)) is not None:
            self._observer.packets(job.command, *counted)
        self._send(job.hub, job_event(job.job_id, event))

    def _ended(self, job: _Job, task: asyncio.Task[None]) -> None:
        """A job cancelled before it could say so itself ends ``cancelled`` here."""
        if (job.hub, job.job_id) in self._jobs:
            self._end(job, "cancelled" if task.cancelled() or job.cancelled else job.status)

    def _end(self, job: _Job, status: JobStatus) -> None:
        """Send the job's end; the job is forgotten."""
        del self._jobs[(job.hub, job.job_id)]
        context = self._context(job.job_id) | {"status": status}
        log.info("job %s ended: %s", job.job_id, status, extra=context)
        seconds = asyncio.get_running_loop().time() - job.started
        self._observer.job_ended(job.command, status, seconds)
        self._send(job.hub, JobEnd(job_id=job.job_id, status=status))
        self._forget_if_idle(job.hub)

    def _context(self, job_id: str) -> dict[str, str]:
        """The log fields of a job: the hub names jobs MEASUREMENT.N (``hub/jobs.py``)."""
        measurement = job_id.rpartition(".")[0] or None
        return {"job": job_id, "agent": self.env.agent} | (
            {"measurement": measurement} if measurement else {}
        )

    def _send(self, hub: HubSender, message: Message) -> None:
        if hub in self._gone:
            return  # the hub reports this job as agent_lost
        try:
            hub.send(message)
        except LocalProtocolError as exc:
            # The connection closed before the binding told us (its Disconnected follows).
            log.debug("not sent (%s): %s", exc.message, type(message).__name__)

    def _forget_if_idle(self, hub: HubSender) -> None:
        if hub in self._gone and not self.jobs(hub):
            self._gone.discard(hub)
