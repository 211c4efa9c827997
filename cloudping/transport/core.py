"""What every binding shares: streams mapped onto the sans-IO channels, timers on the loop.

:class:`WireConnection` is one connection running the protocol, whatever carries it: bytes of
the control stream go into the :class:`~cloudping.wire.connection.ControlChannel`, bytes of
job streams into one :class:`~cloudping.wire.jobstream.JobChannel` each, their events come
out to :meth:`WireConnection.deliver`, and the control channel's timers run on the event
loop's clock. It holds its :class:`Binding` as a field, as aioquic's ``H0Connection`` holds
its ``QuicConnection``: the binding (QUIC in :mod:`cloudping.transport.quicbinding`, WebSocket
in :mod:`cloudping.transport.wsbinding`) feeds it
:data:`~cloudping.wire.streams.StreamInput` events and implements the primitives below (send
on a stream, stop a stream, probe the path, flush, close). The hub's and the agent's ends
(:mod:`cloudping.transport.ends`) subclass it with what each side does. Nothing here decides
anything the channels could decide.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import ClassVar, Protocol

from cloudping.wire.codec import MAX_FRAME_SIZE
from cloudping.wire.connection import (
    HELLO_TIMEOUT,
    REFUSE_LINGER,
    ControlChannel,
    ControlEvent,
    Disconnected,
    Expired,
    KeepaliveDue,
)
from cloudping.wire.errors import LocalProtocolError, WireError
from cloudping.wire.jobstream import JobAborted, JobStreamEvent
from cloudping.wire.messages import Cancel, ControlMessage, JobEnd, JobMessage, Message, Refuse
from cloudping.wire.states import ControlState, Role
from cloudping.wire.streams import (
    CONTROL_STREAM,
    AppError,
    JobStream,
    StopSending,
    StreamData,
    StreamInput,
    StreamReset,
    stream_kind,
)

ConnectionEvent = Message | JobAborted | Disconnected


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    """Knobs of one connection (the liveness contract itself travels in the accept)."""

    hello_timeout: float = HELLO_TIMEOUT
    linger: float = REFUSE_LINGER
    quic_idle_timeout: float = 60.0  # above the protocol's idle timeout: ours says why
    max_frame_size: int = MAX_FRAME_SIZE


class Binding(Protocol):
    """What carries one connection's streams: the asyncio protocol of a QUIC connection or a
    WebSocket. It hands what it receives to the :class:`WireConnection` attached to it
    (``stream_event``, ``path_answered``, ``finish``)."""

    def attach(self, connection: WireConnection) -> None:
        """Hand what arrives to ``connection`` from now on (it attaches itself when made)."""

    @property
    def peer_host(self) -> str | None:
        """The address the peer connects from, as text (``None`` until known)."""

    def send_stream(self, stream_id: int, data: bytes, *, end: bool) -> None:
        """Queue bytes on a stream (``end``: finish this side's direction after them)."""

    def stop_stream(self, stream_id: int, error_code: int) -> None:
        """Ask the peer to stop sending on a stream (its side is reset in answer)."""

    def send_keepalive(self) -> None:
        """Probe the path below the protocol (a QUIC PING, a WebSocket ping)."""

    def next_stream_id(self) -> int:
        """The id of the next job stream this side opens (the hub's)."""

    def transmit(self) -> None:
        """Send what is queued now."""

    def close_transport(self, error_code: int, reason: str) -> None:
        """Close the connection below, telling the peer ``error_code`` and ``reason``."""

    def shutdown(self) -> None:
        """Stop the transport's own timers: the socket is about to close."""


class BindingBase:
    """What both bindings share: the connection they hand their events to. Mixed into an
    asyncio protocol, holding only this reference (no layer of the protocol itself)."""

    _connection: WireConnection | None = None
    _peer_host: str | None = None

    def attach(self, connection: WireConnection) -> None:
        """Hand what arrives to ``connection`` from now on."""
        self._connection = connection

    @property
    def peer_host(self) -> str | None:
        """The address the peer connects from (the hub places an agent by it)."""
        return self._peer_host

    @property
    def connection(self) -> WireConnection:
        """The connection this binding carries (attached when it was made)."""
        assert self._connection is not None, "no connection attached"
        return self._connection


class WireConnection:
    """One connection running the protocol over ``binding``; the ends (hub or agent)
    subclass it.

    Args:
        binding: what carries the streams (this connection attaches itself to it).
        loop: the event loop whose clock and timers the channels use.
        settings: the connection's knobs.
    """

    role: ClassVar[Role]

    def __init__(
        self, binding: Binding, loop: asyncio.AbstractEventLoop, settings: ConnectionSettings
    ) -> None:
        self.binding = binding
        binding.attach(self)
        self._loop = loop
        self.settings = settings
        self.control = ControlChannel(
            self.role,
            now=loop.time(),
            hello_timeout=settings.hello_timeout,
            linger=settings.linger,
            max_frame_size=settings.max_frame_size,
        )
        self.closed: asyncio.Future[Disconnected] = loop.create_future()
        self._streams: dict[int, JobStream] = {}
        self._jobs: dict[str, JobStream] = {}
        self._wire_timer: asyncio.TimerHandle | None = None
        self._flush_handle: asyncio.Handle | None = None
        self.control_seen = False  # whether stream 0 exists (the hub can answer only on it)
        self._arm()  # the hello deadline counts from now, whether or not a byte ever comes

    @property
    def jobs(self) -> frozenset[str]:
        """Ids of the jobs whose streams are still open (in either direction)."""
        return frozenset(self._jobs)

    # -- the end (hub or agent) overrides these ----------------------------------------------

    def deliver(self, event: ConnectionEvent) -> None:
        """Hand an event to the application."""
        raise NotImplementedError

    def protocol_error(self, error: WireError) -> None:
        """The peer broke the protocol."""
        raise NotImplementedError

    def new_job_stream(self, stream_id: int) -> JobStream:
        """A job stream this side does not know yet carries data (the agent makes one)."""
        raise NotImplementedError

    # -- sending -----------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send ``message`` on its stream. A cancel of a finished job is ignored.

        Raises:
            LocalProtocolError: the connection is closed or the state does not allow it.
        """
        if self.closed.done():
            if isinstance(message, Cancel):
                return
            raise LocalProtocolError("the connection is closed", kind="unexpected_message")
        if isinstance(message, ControlMessage):
            frame = self.control.send(message, self._loop.time())
            self.write_control(frame, end=isinstance(message, Refuse))
            self._arm()  # not pump(): no event may reach the application from inside its call
        else:
            self.send_job(message)

    def send_job(self, message: JobMessage) -> None:
        """Send a job's message on that job's stream."""
        stream = self._jobs.get(message.job_id)
        if stream is None:
            if isinstance(message, Cancel):
                return  # the job is over and forgotten: "Cancel of a finished job is ignored"
            raise LocalProtocolError(f"no job {message.job_id!r} here", kind="unknown_job")
        frame = stream.channel.send(message)
        self.write(stream, frame, end=isinstance(message, JobEnd | Cancel))
        if isinstance(message, Cancel) and frame and not stream.receive_closed:
            # design.md: cancelling a job resets its stream. STOP_SENDING makes the agent's
            # side reset its direction at once: events in flight are discarded.
            self.binding.stop_stream(stream.stream_id, AppError.CANCELLED)
        self.tidy(stream)

    def write_control(self, data: bytes, *, end: bool = False) -> None:
        """Queue bytes on the control stream."""
        if data or end:
            self.binding.send_stream(CONTROL_STREAM, data, end=end)
            self.flush_soon()

    def write(self, stream: JobStream, data: bytes, *, end: bool = False) -> None:
        """Queue bytes on a job stream, unless its sending side is finished or reset."""
        if stream.send_closed or not (data or end):
            return
        self.binding.send_stream(stream.stream_id, data, end=end)
        stream.send_closed = end
        self.flush_soon()

    def register(self, stream: JobStream, job_id: str) -> None:
        """Map a job id to its stream (a job id is unique per connection)."""
        if job_id in self._jobs:
            raise WireError(f"job id {job_id!r} is already running", kind="unknown_job")
        self._jobs[job_id] = stream
        self._busy_changed()

    def _busy_changed(self) -> None:
        """While jobs run, the hub watches the agent closely (see ``ControlChannel.set_busy``)."""
        self.control.set_busy(bool(self._jobs), self._loop.time())
        self._arm()

    def path_answered(self) -> None:
        """The peer's stack answered a probe of the path (a QUIC ACK, a WebSocket pong)."""
        if not self.closed.done():
            self.control.path_answered(self._loop.time())
            self._arm()

    def transmit(self) -> None:
        """Send what is queued now, rather than at the next loop turn."""
        self.binding.transmit()

    def flush_soon(self) -> None:
        """Send queued data at the next loop turn: one flush for a burst of writes."""
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        if not self.closed.done():
            self.binding.transmit()

    # -- closing -----------------------------------------------------------------------------

    def close(self, error_code: int = AppError.NO_ERROR, reason_phrase: str = "") -> None:
        """Close the connection, saying why; reports :class:`Disconnected` at once."""
        if not self.closed.done():
            self.binding.close_transport(error_code, reason_phrase)
        self.finish(Disconnected(reason=reason_phrase or "closed", by_peer=False))

    def shutdown(self) -> None:
        """Stop every timer, the binding's too: the socket is about to close (no closing
        period is waited)."""
        self.stop_timers()
        self.binding.shutdown()

    def stop_timers(self) -> None:
        """Stop the channels' timer and a pending flush (the connection is going)."""
        for handle in (self._wire_timer, self._flush_handle):
            if handle is not None:
                handle.cancel()
        self._wire_timer = self._flush_handle = None

    def finish(self, gone: Disconnected) -> None:
        """Report the end once: every later event of the transport is ignored."""
        if self.closed.done():
            return
        if self._wire_timer is not None:
            self._wire_timer.cancel()
            self._wire_timer = None
        self.closed.set_result(gone)
        self.deliver(gone)

    # -- stream events in --------------------------------------------------------------------

    def stream_event(self, event: StreamInput) -> None:
        """One event of the transport's streams, mapped onto the channels."""
        if self.closed.done() or self.control.state is ControlState.CLOSED:
            return  # refused or expired: nothing the peer sends counts any more
        try:
            self._stream_event(event)
        except WireError as exc:
            self.protocol_error(exc)
        self.pump()

    def _stream_event(self, event: StreamInput) -> None:
        if isinstance(event, StreamData):
            self.control.path_answered(self._loop.time())  # any byte says the peer is alive
            self._data(event)
        elif isinstance(event, StreamReset) and event.stream_id in self._streams:
            stream = self._streams[event.stream_id]
            stream.receive_closed = True
            stream.channel.receive_reset()
            self.drain(stream)
        elif isinstance(event, StopSending) and event.stream_id in self._streams:
            stream = self._streams[event.stream_id]
            stream.send_closed = True  # the transport has reset our side (RFC 9000 3.5)
            self.tidy(stream)

    def _data(self, event: StreamData) -> None:
        kind = stream_kind(event.stream_id)
        if kind == "control":
            self.control_seen = True
            self.control.receive_data(event.data, self._loop.time())
            if event.end:
                self.control.receive_end()
        elif kind == "job":
            self._job_data(event)
        else:
            raise WireError(
                f"stream {event.stream_id} is not one of this protocol's (control: 0; jobs:"
                " streams the hub opens)",
                kind="unexpected_stream",
            )

    def _job_data(self, event: StreamData) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is None:
            if not event.data:
                return  # a late FIN of a job already over and forgotten
            stream = self.new_job_stream(event.stream_id)
        stream.channel.receive_data(event.data)
        if event.end:
            stream.receive_closed = True
            stream.channel.receive_end()
        self.drain(stream)

    def drain(self, stream: JobStream) -> None:
        """Hand a job stream's events over, then forget the stream if it is over."""
        while (event := stream.channel.next_event()) is not None:
            self.job_event(stream, event)
        self.tidy(stream)

    def job_event(self, stream: JobStream, event: JobStreamEvent) -> None:
        """One event of a job stream (the ends add what their side does with it)."""
        self.deliver(event)

    def tidy(self, stream: JobStream) -> None:
        """Forget a stream once the job is over and both directions are finished."""
        if stream.channel.over and stream.send_closed and stream.receive_closed:
            self._streams.pop(stream.stream_id, None)
            job_id = stream.channel.job_id
            if job_id is not None and self._jobs.pop(job_id, None) is not None:
                self._busy_changed()

    def add_stream(self, stream: JobStream) -> None:
        """Track a new job stream."""
        self._streams[stream.stream_id] = stream

    def stream(self, stream_id: int) -> JobStream | None:
        """The job stream of that id, while it is tracked."""
        return self._streams.get(stream_id)

    # -- the control channel's events and timers ---------------------------------------------

    def pump(self) -> None:
        """Hand the control channel's events over, send what it wrote, re-arm its timer."""
        while not self.closed.done() and (event := self.control.next_event()) is not None:
            self.control_event(event)
        if not self.closed.done():
            self.write_control(self.control.data_to_send())
            self._arm()

    def control_event(self, event: ControlEvent) -> None:
        """Timer events are the binding's to act on; messages go to the application."""
        if isinstance(event, Expired):
            self.close(AppError.EXPIRED, event.reason)
        elif isinstance(event, KeepaliveDue):
            self.binding.send_keepalive()
            self.flush_soon()
        else:
            self.deliver(event)

    def _arm(self) -> None:
        if self._wire_timer is not None:
            self._wire_timer.cancel()
            self._wire_timer = None
        at = self.control.next_timer()
        if at is not None and not self.closed.done():
            self._wire_timer = self._loop.call_at(at, self._on_timer, at)

    def _on_timer(self, at: float) -> None:
        self._wire_timer = None
        self.control.handle_timer(max(at, self._loop.time()))
        self.pump()
