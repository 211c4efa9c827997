"""What both ends of the QUIC binding share: streams mapped onto the sans-IO channels.

Stream 0 (the agent's first bidirectional stream, RFC 9000 section 2.1) is the control
stream; every job gets a bidirectional stream the hub opens (ids 1, 5, 9, ...). Bytes go
into the channels, their events come out to a callback, and the channels' timers run on the
event loop's clock. Nothing here decides anything the channels could decide.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, Literal

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import (
    ConnectionTerminated,
    QuicEvent,
    StopSendingReceived,
    StreamDataReceived,
    StreamReset,
)

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
from cloudping.wire.jobstream import JobAborted, JobChannel, JobStreamEvent
from cloudping.wire.messages import Cancel, ControlMessage, JobEnd, JobMessage, Message, Refuse
from cloudping.wire.states import ControlState, Role

ALPN = "cloudping/1"
"""Names the framing (codec.py); message versions are negotiated by the hello."""
CONTROL_STREAM = 0

LinkEvent = Message | JobAborted | Disconnected


class AppError(IntEnum):
    """QUIC application error codes, in CONNECTION_CLOSE, RESET_STREAM and STOP_SENDING."""

    NO_ERROR = 0x0
    PROTOCOL_ERROR = 0x1
    REFUSED = 0x2
    CANCELLED = 0x3
    EXPIRED = 0x4
    UNTRUSTED = 0x5


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """Knobs of one connection (the liveness contract itself travels in the accept)."""

    hello_timeout: float = HELLO_TIMEOUT
    linger: float = REFUSE_LINGER
    quic_idle_timeout: float = 60.0  # above the protocol's idle timeout: ours says why
    max_frame_size: int = MAX_FRAME_SIZE


def stream_kind(stream_id: int) -> Literal["control", "job", "invalid"]:
    """What a stream carries, from its id alone (RFC 9000 section 2.1: the low two bits are
    the initiator and the direction; 0b01 = server-initiated bidirectional)."""
    if stream_id == CONTROL_STREAM:
        return "control"
    return "job" if stream_id % 4 == 1 else "invalid"


@dataclass(slots=True)
class JobStream:
    """One job's stream: its channel and which of its two directions are finished."""

    stream_id: int
    channel: JobChannel
    send_closed: bool = False
    receive_closed: bool = False


class Link(QuicConnectionProtocol):
    """One QUIC connection running the protocol; the hub's and the agent's ends subclass it."""

    role: ClassVar[Role]

    def __init__(self, quic: QuicConnection, *, settings: LinkSettings) -> None:
        super().__init__(quic)
        self.settings = settings
        self.control = ControlChannel(
            self.role,
            now=self._loop.time(),
            hello_timeout=settings.hello_timeout,
            linger=settings.linger,
            max_frame_size=settings.max_frame_size,
        )
        self.closed: asyncio.Future[Disconnected] = self._loop.create_future()
        self._streams: dict[int, JobStream] = {}
        self._jobs: dict[str, JobStream] = {}
        self._wire_timer: asyncio.TimerHandle | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._pings = 0
        self.control_seen = False  # whether stream 0 exists (the hub can answer only on it)

    @property
    def jobs(self) -> frozenset[str]:
        """Ids of the jobs whose streams are still open (in either direction)."""
        return frozenset(self._jobs)

    # -- to override -------------------------------------------------------------------------

    def deliver(self, event: LinkEvent) -> None:
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
            # QUIC stack reset its side at once: events in flight are discarded.
            self._quic.stop_stream(stream.stream_id, AppError.CANCELLED)
        self.tidy(stream)

    def write_control(self, data: bytes, *, end: bool = False) -> None:
        """Queue bytes on the control stream."""
        if data or end:
            self._quic.send_stream_data(CONTROL_STREAM, data, end_stream=end)
            self.flush_soon()

    def write(self, stream: JobStream, data: bytes, *, end: bool = False) -> None:
        """Queue bytes on a job stream, unless its sending side is finished or reset."""
        if stream.send_closed or not (data or end):
            return
        self._quic.send_stream_data(stream.stream_id, data, end_stream=end)
        stream.send_closed = end
        self.flush_soon()

    def register(self, stream: JobStream, job_id: str) -> None:
        """Map a job id to its stream (a job id is unique per connection)."""
        if job_id in self._jobs:
            raise WireError(f"job id {job_id!r} is already running", kind="unknown_job")
        self._jobs[job_id] = stream

    def flush_soon(self) -> None:
        """Send queued QUIC data at the next loop turn: one flush for a burst of writes."""
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        if not self.closed.done():
            self.transmit()

    # -- closing -----------------------------------------------------------------------------

    def close(self, error_code: int = AppError.NO_ERROR, reason_phrase: str = "") -> None:
        """Close the connection, saying why; reports :class:`Disconnected` at once."""
        super().close(error_code=error_code, reason_phrase=reason_phrase)
        self.finish(Disconnected(reason=reason_phrase or "closed", by_peer=False))

    def shutdown(self) -> None:
        """Stop every timer: the socket is about to close (no closing period is waited)."""
        for handle in (self._timer, self._wire_timer, self._flush_handle):
            if handle is not None:
                handle.cancel()
        self._timer = self._wire_timer = self._flush_handle = None

    def finish(self, gone: Disconnected) -> None:
        """Report the end once: every later QUIC event is ignored."""
        if self.closed.done():
            return
        if self._wire_timer is not None:
            self._wire_timer.cancel()
            self._wire_timer = None
        self.closed.set_result(gone)
        self.deliver(gone)

    # -- QUIC events in ----------------------------------------------------------------------

    def quic_event_received(self, event: QuicEvent) -> None:
        """aioquic's events, mapped onto the channels."""
        if self.closed.done():
            return
        if isinstance(event, ConnectionTerminated):
            reason = event.reason_phrase or f"closed with error 0x{event.error_code:x}"
            self.finish(Disconnected(reason=reason, by_peer=True))
            return
        if self.control.state is ControlState.CLOSED:
            return  # refused or expired: nothing the peer sends counts any more
        try:
            self._stream_event(event)
        except WireError as exc:
            self.protocol_error(exc)
        self.pump()

    def _stream_event(self, event: QuicEvent) -> None:
        if isinstance(event, StreamDataReceived):
            self._data(event)
        elif isinstance(event, StreamReset) and event.stream_id in self._streams:
            stream = self._streams[event.stream_id]
            stream.receive_closed = True
            stream.channel.receive_reset()
            self.drain(stream)
        elif isinstance(event, StopSendingReceived) and event.stream_id in self._streams:
            stream = self._streams[event.stream_id]
            stream.send_closed = True  # aioquic has reset our side already (RFC 9000 3.5)
            self.tidy(stream)

    def _data(self, event: StreamDataReceived) -> None:
        kind = stream_kind(event.stream_id)
        if kind == "control":
            self.control_seen = True
            self.control.receive_data(event.data, self._loop.time())
            if event.end_stream:
                self.control.receive_end()
        elif kind == "job":
            self._job_data(event)
        else:
            raise WireError(
                f"stream {event.stream_id} is not one of this protocol's (control: 0; jobs:"
                " streams the hub opens)",
                kind="unexpected_stream",
            )

    def _job_data(self, event: StreamDataReceived) -> None:
        stream = self._streams.get(event.stream_id)
        if stream is None:
            if not event.data:
                return  # a late FIN of a job already over and forgotten
            stream = self.new_job_stream(event.stream_id)
        stream.channel.receive_data(event.data)
        if event.end_stream:
            stream.receive_closed = True
            stream.channel.receive_end()
        self.drain(stream)

    def drain(self, stream: JobStream) -> None:
        """Hand a job stream's events over, then forget the stream if it is over."""
        while (event := stream.channel.next_event()) is not None:
            self.job_event(stream, event)
        self.tidy(stream)

    def job_event(self, stream: JobStream, event: JobStreamEvent) -> None:
        """One event of a job stream (subclasses add what their side does with it)."""
        self.deliver(event)

    def tidy(self, stream: JobStream) -> None:
        """Forget a stream once the job is over and both directions are finished."""
        if stream.channel.over and stream.send_closed and stream.receive_closed:
            self._streams.pop(stream.stream_id, None)
            if stream.channel.job_id is not None:
                self._jobs.pop(stream.channel.job_id, None)

    def add_stream(self, stream: JobStream) -> None:
        """Track a new job stream."""
        self._streams[stream.stream_id] = stream

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
            self._pings += 1
            self._quic.send_ping(self._pings)
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

    def peer_certificate(self) -> Any:
        """The peer's certificate (aioquic keeps it private; ``None`` before the handshake)."""
        return getattr(self._quic.tls, "_peer_certificate", None)

    def peer_chain(self) -> Any:
        """The intermediate certificates the peer sent."""
        return getattr(self._quic.tls, "_peer_certificate_chain", [])
