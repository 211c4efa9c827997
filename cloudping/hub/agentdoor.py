"""The agents' door: the glue between their listeners (QUIC:
:func:`cloudping.transport.quic.serve_agents`; WebSocket:
:func:`cloudping.transport.ws.serve_agents_ws`) and the hub, the same for both.

:class:`WireAgentHandle` is the hub's :class:`~cloudping.hub.registry.AgentHandle` over one agent
connection, whatever carries it. :class:`AgentDoor` is either listener's ``on_event``: it
checks each hello (the token's audience is ``agent`` and its subject is the name the agent
claims), registers the agent, accepts it, then routes its job messages to the
:class:`~cloudping.hub.Hub`; when the connection ends, its jobs end ``agent_lost`` and its
name is free again.

The listener calls ``on_event`` synchronously while the registry is async (a Redis registry
must fit behind it), so events go through one queue drained by one task: they are handled in
the order they arrived, and a hello is settled before anything else of its connection is.
A job's message (event, end, abort) needs no await: when nothing waits in the queue or is being
handled, it goes to the hub at once, sparing every job event a hop through the queue.

The door keeps the claims of each accepted agent's token: :meth:`AgentDoor.expel_lapsed`,
called periodically with the time, refuses and drops an agent whose token has since been
revoked or has expired (its jobs end ``agent_lost``, saying why).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from cloudping.auth import AuthError, Principal, TokenService
from cloudping.errors import CloudpingError
from cloudping.hub.measurements import Hub
from cloudping.hub.registry import AgentRegistry, RegistryError
from cloudping.transport.core import ConnectionEvent
from cloudping.transport.ends import AgentConnection
from cloudping.wire import (
    Accept,
    Attributes,
    Cancel,
    Disconnected,
    Hello,
    JobAborted,
    JobEnd,
    JobEvent,
    JobLimits,
    JobOffer,
    LocalProtocolError,
    Refuse,
)
from cloudping.wire.messages import MAX_REASON, AgentAttributes

log = logging.getLogger(__name__)
_JOB_MESSAGES = (JobEvent, JobEnd, JobAborted)


@dataclass(frozen=True, slots=True)
class Liveness:
    """The liveness contract every accepted agent gets (in its ``Accept``).

    Attributes:
        heartbeat_interval_s: how often the agent sends a heartbeat.
        idle_timeout_s: silence after which either side gives the other up; the hub drops
            silent agents after it (design.md "Hub and agents").
    """

    heartbeat_interval_s: float = 15.0
    idle_timeout_s: float = 45.0

    def __post_init__(self) -> None:
        # Checked here rather than when the first agent says hello (Accept checks it too).
        if not 0 < self.heartbeat_interval_s < self.idle_timeout_s <= 86_400:
            raise ValueError("need 0 < heartbeat_interval_s < idle_timeout_s <= 86400")

    def accept(self) -> Accept:
        """A fresh ``Accept`` carrying this contract and a new session id."""
        return Accept(
            session_id=secrets.token_urlsafe(12),
            heartbeat_interval_ms=round(self.heartbeat_interval_s * 1000),
            idle_timeout_ms=round(self.idle_timeout_s * 1000),
        )


class WireAgentHandle:
    """The hub's way to one accepted agent, over QUIC or WebSocket: offers and cancels
    become wire messages."""

    def __init__(self, connection: AgentConnection, name: str) -> None:
        self.connection = connection
        self.name = name

    def offer(self, job_id: str, command: Mapping[str, Any], limits: JobLimits) -> None:
        """Send the job offer (it opens the job's stream).

        Raises:
            CloudpingError: ``agent_lost`` when the connection cannot take it any more.
        """
        self._send(JobOffer(job_id=job_id, command=dict(command), limits=limits))

    def cancel(self, job_id: str) -> None:
        """Ask the agent to stop the job (a cancel of a finished job is ignored by the wire).

        Raises:
            CloudpingError: ``agent_lost`` when the connection is gone.
        """
        self._send(Cancel(job_id=job_id, reason="cancelled by the hub"))

    def _send(self, message: JobOffer | Cancel) -> None:
        try:
            self.connection.send(message)
        except LocalProtocolError as exc:  # closed under us; its Disconnected is on its way
            message_text = f"agent {self.name} cannot be reached: {exc.message}"
            raise CloudpingError(message_text, code="agent_lost", agent=self.name) from exc


Place = Callable[[AgentAttributes, str | None], AgentAttributes]


def as_declared(attributes: AgentAttributes, peer: str | None) -> AgentAttributes:
    """An agent's attributes as it declared them (a hub without IP data)."""
    return attributes


class AgentDoor:
    """The ``on_event`` of ``serve_agents`` and ``serve_agents_ws``: who gets in, and where
    their messages go.

    Use :meth:`open` to run its queue; events that arrive outside it are dropped (the hub is
    starting or stopping).

    Args:
        hub: where job messages and lost agents go.
        registry: the live agents (the same the hub selects from).
        tokens: verifies the hello's token.
        liveness: the contract sent in every ``Accept``.
        clock: POSIX seconds, for token expiry and ``connected_at``.
        place: fills what an agent does not declare (ASN, network, country, city) from the
            address it connects from (:func:`cloudping.ipinfo.placement.placed`).
    """

    def __init__(
        self,
        hub: Hub,
        registry: AgentRegistry,
        tokens: TokenService,
        *,
        liveness: Liveness,
        clock: Callable[[], float],
        place: Place = as_declared,
    ) -> None:
        self._hub, self._registry, self._tokens = hub, registry, tokens
        self._liveness, self._clock = liveness, clock
        self._place = place
        self._handles: dict[AgentConnection, WireAgentHandle] = {}
        self._claims: dict[AgentConnection, Principal] = {}
        self._queue: asyncio.Queue[tuple[AgentConnection, ConnectionEvent]] | None = None
        self._handling = False  # the drain task is in the middle of an event

    @property
    def handles(self) -> tuple[WireAgentHandle, ...]:
        """The handles of the agents accepted and still connected."""
        return tuple(self._handles.values())

    @asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        """Handle events while the block runs (one task, drained in arrival order)."""
        self._queue = asyncio.Queue()
        task = asyncio.create_task(self._drain(self._queue), name="agent door")
        try:
            yield
        finally:
            queue, self._queue = self._queue, None
            await queue.join()  # what arrived before the end is still handled
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def __call__(self, connection: AgentConnection, event: ConnectionEvent) -> None:
        """Handle or queue one event of ``connection`` (called by the listener, on the event
        loop): a job's message at once when nothing is ahead of it, anything else in turn."""
        if self._queue is None:
            return
        if isinstance(event, _JOB_MESSAGES) and self._queue.empty() and not self._handling:
            try:
                self._route(connection, event)
            except Exception:  # as in the drain: a bug must not reach the listener
                log.exception("agent event %s not handled", type(event).__name__)
            return
        self._queue.put_nowait((connection, event))

    def expel_lapsed(self, now: float) -> None:
        """Refuse every accepted agent whose token no longer holds at ``now`` (revoked,
        expired) and drop it: its jobs end ``agent_lost`` with the reason."""
        for connection, principal in list(self._claims.items()):
            reason = self._tokens.lapsed(principal, now)
            if reason is None:
                continue
            del self._claims[connection]
            log.info(
                "agent %r expelled: %s",
                principal.subject,
                reason,
                extra={"agent": principal.subject, "reason": reason},
            )
            self._answer(connection, Refuse(code="unauthorized", reason=reason))
            # Queued like the transport's own end, so it is settled in order; the real
            # Disconnected that follows the refuse then finds no handle and is ignored.
            self(connection, Disconnected(reason=reason, by_peer=False))

    async def _drain(self, queue: asyncio.Queue[tuple[AgentConnection, ConnectionEvent]]) -> None:
        while True:
            connection, event = await queue.get()
            self._handling = True
            try:
                await self._handle(connection, event)
            except Exception:  # a bug must not stop every other agent's messages
                log.exception("agent event %s not handled", type(event).__name__)
            finally:
                self._handling = False
                queue.task_done()

    async def _handle(self, connection: AgentConnection, event: ConnectionEvent) -> None:
        if isinstance(event, Hello):
            await self._hello(connection, event)
            return
        if isinstance(event, _JOB_MESSAGES):
            self._route(connection, event)
            return
        handle = self._handles.get(connection)
        if handle is None:
            return  # nothing counts before the hello is accepted (design.md "Hub and agents")
        if isinstance(event, Attributes):
            await self._update(handle, event)
        elif isinstance(event, Disconnected):
            await self._lost(connection, handle, event)

    def _route(self, connection: AgentConnection, event: JobEvent | JobEnd | JobAborted) -> None:
        """A job's message to the hub (nothing counts before the hello is accepted)."""
        handle = self._handles.get(connection)
        if handle is None:
            return
        if isinstance(event, JobEvent):
            self._hub.job_event(handle, event.job_id, event.event)
        elif isinstance(event, JobEnd):
            self._hub.job_end(handle, event.job_id, event.status)
        else:
            self._hub.job_aborted(handle, event.job_id, event.reason)

    async def _hello(self, connection: AgentConnection, hello: Hello) -> None:
        """Verify, register, accept; or refuse, saying why (never the token itself)."""
        handle = WireAgentHandle(connection, hello.name)
        try:
            principal = self._tokens.verify(hello.token, "agent", self._clock())
            attributes = self._place(hello.attributes, connection.peer_host)
            await self._registry.register(
                hello.name, principal.subject, attributes, handle, self._clock()
            )
        except (AuthError, RegistryError) as exc:
            code = "name_in_use" if exc.code == "name_in_use" else "unauthorized"
            log.info(
                "agent %r refused (%s): %s",
                hello.name,
                exc.code,
                exc.message,
                extra={"agent": hello.name, "code": exc.code},
            )
            self._answer(connection, Refuse(code=code, reason=exc.message[:MAX_REASON]))
            return
        self._handles[connection] = handle
        self._claims[connection] = principal
        log.info("agent %r connected", hello.name, extra={"agent": hello.name})
        self._answer(connection, self._liveness.accept())
        if connection.closed.done():  # gone while we were registering: undo it now
            await self._lost(connection, handle, connection.closed.result())

    async def _update(self, handle: WireAgentHandle, event: Attributes) -> None:
        try:
            await self._registry.update(handle.name, handle, event.attributes)
        except RegistryError as exc:  # it left meanwhile (its Disconnected is queued)
            log.info("attributes of agent %r not updated: %s", handle.name, exc.message)

    async def _lost(
        self, connection: AgentConnection, handle: WireAgentHandle, gone: Disconnected
    ) -> None:
        self._claims.pop(connection, None)
        if self._handles.pop(connection, None) is None:
            return
        log.info(
            "agent %r lost: %s",
            handle.name,
            gone.reason,
            extra={"agent": handle.name, "reason": gone.reason},
        )
        self._hub.agent_lost(handle, handle.name, gone.reason)
        await self._registry.unregister(handle.name, handle)

    @staticmethod
    def _answer(connection: AgentConnection, message: Accept | Refuse) -> None:
        try:
            connection.send(message)
        except LocalProtocolError as exc:  # the agent left before hearing the answer
            log.info("answer to an agent not sent: %s", exc.message)
