"""The two ends of a connection, whatever carries it: what the hub's end and the agent's
end do with the channels' events.

:class:`AgentConnection` is the hub's end of one agent's connection: it opens a stream per
job offer, refuses a peer that broke the protocol (saying why), and finishes a job's stream
once the job ended. :class:`HubConnection` is the agent's end: a new stream from the hub is a
new job, the hub's accept or refuse answers the hello, and the trust check runs before a byte
is sent. Each holds the binding that carries it (QUIC: :mod:`cloudping.transport.quic`,
WebSocket: :mod:`cloudping.transport.ws`); both hand events to a plain callback
``(connection, event)``, and the listeners are both a :class:`Listener`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from cloudping.transport.core import Binding, ConnectionEvent, ConnectionSettings, WireConnection
from cloudping.transport.trust import HubTrust, untrusted_because
from cloudping.wire.errors import (
    HubRefusedError,
    HubUnreachableError,
    HubUntrustedError,
    LocalProtocolError,
    WireError,
)
from cloudping.wire.jobstream import JobChannel, JobStreamEvent
from cloudping.wire.messages import MAX_REASON, Accept, Hello, JobEnd, JobOffer, Message, Refuse
from cloudping.wire.states import ControlState, Role
from cloudping.wire.streams import AppError, JobStream

OnAgentEvent = Callable[["AgentConnection", ConnectionEvent], None]
OnHubEvent = Callable[["HubConnection", ConnectionEvent], None]


class AgentConnection(WireConnection):
    """The hub's end of one agent's connection (what the hub's callback gets).

    Args:
        binding: what carries it (QUIC or WebSocket).
        loop: the event loop.
        settings: the connection's knobs.
        on_event: the hub's callback.
        live: the listener's set of live connections (this one leaves it when it ends).
    """

    role = Role.HUB

    def __init__(
        self,
        binding: Binding,
        loop: asyncio.AbstractEventLoop,
        settings: ConnectionSettings,
        on_event: OnAgentEvent,
        live: set[AgentConnection],
    ) -> None:
        super().__init__(binding, loop, settings)
        self._on_event, self._live = on_event, live
        live.add(self)

    @property
    def peer_host(self) -> str | None:
        """The address the agent connects from (the hub places an agent by it)."""
        return self.binding.peer_host

    def send(self, message: Message) -> None:
        """Send ``Accept``, ``Refuse``, ``JobOffer`` (opens the job's stream) or ``Cancel``
        (a cancel of a finished job is ignored).

        Raises:
            LocalProtocolError: the state does not allow it (an offer before the accept, a
                job id in use, a closed connection).
        """
        if isinstance(message, JobOffer) and not self.closed.done():
            self._offer(message)
        else:
            super().send(message)

    def _offer(self, offer: JobOffer) -> None:
        if self.control.state is not ControlState.OPEN:
            raise LocalProtocolError(
                "jobs are offered only to an accepted agent", kind="unexpected_message"
            )
        if offer.job_id in self._jobs:
            raise LocalProtocolError(f"job id {offer.job_id!r} is in use", kind="unknown_job")
        stream = JobStream(self.binding.next_stream_id(), JobChannel(Role.HUB))
        frame = stream.channel.send(offer)
        self.add_stream(stream)
        self.register(stream, offer.job_id)
        self.write(stream, frame)

    def deliver(self, event: ConnectionEvent) -> None:
        """To the hub's callback; a gone agent leaves the server's set first."""
        if self.closed.done():
            self._live.discard(self)
        self._on_event(self, event)

    def protocol_error(self, error: WireError) -> None:
        """Refuse (saying why) and let the agent leave; close now if it cannot be told."""
        if not self.control_seen or self.control.state is ControlState.CLOSED:
            self.close(AppError.PROTOCOL_ERROR, error.message)
            return
        code = "unsupported_version" if error.kind == "unsupported_version" else "protocol_error"
        self.send(Refuse(code=code, reason=error.message[:MAX_REASON]))

    def new_job_stream(self, stream_id: int) -> JobStream:
        """Only streams the hub opened carry jobs: data on another is a protocol error."""
        raise WireError(f"data on stream {stream_id}, which carries no job", kind="unknown_job")

    def job_event(self, stream: JobStream, event: JobStreamEvent) -> None:
        """A job's end finishes the hub's side of its stream too."""
        if isinstance(event, JobEnd):
            self.write(stream, b"", end=True)
        self.deliver(event)


@dataclass(frozen=True, slots=True)
class Listener:
    """A listening hub, over either binding: its bound address and the live agent
    connections."""

    address: tuple[str, int]
    connections: set[AgentConnection]

    @property
    def port(self) -> int:
        """The bound port, UDP or TCP (useful after binding port 0)."""
        return self.address[1]


class HubConnection(WireConnection):
    """The agent's end of its connection to the hub (what the agent's callback gets).

    Args:
        binding: what carries it (QUIC or WebSocket).
        loop: the event loop.
        settings: the connection's knobs.
        on_event: the agent's callback.
    """

    role = Role.AGENT

    def __init__(
        self,
        binding: Binding,
        loop: asyncio.AbstractEventLoop,
        settings: ConnectionSettings,
        on_event: OnHubEvent,
    ) -> None:
        super().__init__(binding, loop, settings)
        self._on_event = on_event
        self.answer: asyncio.Future[Accept | Refuse | None] = loop.create_future()

    @property
    def accepted(self) -> Accept:
        """The hub's accept (the liveness contract, the session id)."""
        assert self.control.accepted is not None  # the dial returns only once accepted
        return self.control.accepted

    def check_hub(
        self,
        trust: HubTrust,
        certificate: x509.Certificate | None,
        chain: list[x509.Certificate],
        server_name: str,
    ) -> None:
        """Check the hub's certificate (and the chain it sent) before a byte is sent.

        Raises:
            HubUntrustedError: it is not the trusted one (the connection is closed).
        """
        problem = untrusted_because(trust, certificate, chain, server_name)
        if problem is not None:
            self.close(AppError.UNTRUSTED, "the hub's certificate is not trusted")
            raise HubUntrustedError(problem)

    async def say_hello(self, hello: Hello) -> Accept:
        """Send the hello and wait for the hub's answer.

        Raises:
            HubRefusedError: the hub refused it.
            HubUnreachableError: the connection ended first.
        """
        self.send(hello)
        answer = await self.answer
        if isinstance(answer, Refuse):
            raise HubRefusedError(
                f"the hub refused: {answer.reason} ({answer.code})", refuse_code=answer.code
            )
        if answer is None:
            raise HubUnreachableError(f"the hub did not accept the hello: {self.why()}")
        return answer

    def why(self) -> str:
        """Why the connection ended (``no answer`` while it is open)."""
        return self.closed.result().reason if self.closed.done() else "no answer"

    def deliver(self, event: ConnectionEvent) -> None:
        """To the agent's callback; an accept or refuse also answers the handshake; a refuse
        closes the connection (the hub said its last word)."""
        self._answer(event)
        self._on_event(self, event)
        if isinstance(event, Refuse):
            self.close(AppError.REFUSED, f"refused: {event.code}")

    def _answer(self, event: ConnectionEvent) -> None:
        if self.answer.done():
            return
        if isinstance(event, Accept | Refuse):
            self.answer.set_result(event)
        elif self.closed.done():
            self.answer.set_result(None)

    def protocol_error(self, error: WireError) -> None:
        """The hub broke the protocol: leave, saying why."""
        self.close(AppError.PROTOCOL_ERROR, error.message)

    def new_job_stream(self, stream_id: int) -> JobStream:
        """A new stream from the hub is a new job (its first message must be the offer)."""
        stream = JobStream(stream_id, JobChannel(Role.AGENT))
        self.add_stream(stream)
        return stream

    def job_event(self, stream: JobStream, event: JobStreamEvent) -> None:
        """An offer names the stream's job."""
        if isinstance(event, JobOffer):
            self.register(stream, event.job_id)
        self.deliver(event)
