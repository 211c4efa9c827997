"""The protocol's state machines, one per stream, with no I/O and no clock (sans-IO).

design.md: "one control stream (hello, heartbeat, attributes) and one stream per job;
cancelling a job resets its stream". So a connection is one :class:`ControlChannel` plus one
:class:`~cloudping.wire.jobstream.JobChannel` per job, on each side; a binding (QUIC in
:mod:`cloudping.transport.quic`) maps its streams onto them. The shape is h11's: bytes go in with
``receive_data``, events come out of ``next_event``, ``send(message)`` gives the bytes to
write. Time is aioquic's way: every call that depends on it takes ``now`` (seconds of any
monotonic clock), ``next_timer()`` says when to call ``handle_timer(now)`` again.

Liveness: once accepted the agent sends a heartbeat every ``heartbeat_interval_ms`` and the
hub echoes it; either side gives the other up after ``idle_timeout_ms`` without a byte
(:class:`Expired`). The hub also reports :class:`KeepaliveDue` when a heartbeat is half an
interval late, so the binding can probe the path (aioquic sends no keepalive of its own).

While the hub has jobs on the connection (:meth:`ControlChannel.set_busy`), 45 s of silence
is too long to notice a dead agent: a measurement would wait that long for it. So the hub
then probes the path every :data:`BUSY_PROBE_INTERVAL` the agent is silent and, when neither
a byte nor the probes' answers (:meth:`ControlChannel.path_answered`: a QUIC PING's ACK, a
WebSocket pong, sent by the agent's own stack) were heard for :data:`BUSY_TIMEOUT`, gives the
agent up (:class:`Expired`, ``unanswered``). Up to four probes fit in that time: a path that
drops 30 % of packets loses all four PINGs 0.8 % of the time (ACKs are cumulative, so a lost
ACK is repaired by the next).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from cloudping.wire.codec import MAX_FRAME_SIZE, FrameDecoder, encode, message_name
from cloudping.wire.errors import LocalProtocolError, WireError
from cloudping.wire.messages import (
    Accept,
    ControlMessage,
    Heartbeat,
    HeartbeatAck,
    Hello,
    Message,
    Refuse,
)
from cloudping.wire.states import CONTROL_TRANSITIONS, ControlState, Role

HELLO_TIMEOUT = 10.0
"""Seconds from connecting to an accepted hello, on both sides."""
REFUSE_LINGER = 2.0
"""Seconds the hub leaves a refused agent to read the refuse and close by itself."""
KEEPALIVE_FACTOR = 1.5
"""The hub probes the path when a heartbeat is this many intervals away from the last one."""
BUSY_PROBE_INTERVAL = 0.5
"""Seconds of silence between the hub's probes of the path while the agent runs jobs."""
BUSY_TIMEOUT = 2.0
"""Seconds of silence (no byte, no answer to a probe) after which a busy agent is given up."""


ExpiryCause = Literal["hello", "idle", "linger", "unanswered"]


@dataclass(frozen=True, slots=True)
class Expired:
    """A deadline passed; the binding closes the connection, saying ``reason``.

    ``cause``: ``hello`` (no accepted hello in time), ``idle`` (the peer fell silent),
    ``linger`` (a refused agent did not leave), ``unanswered`` (an agent running jobs
    answered no probe of the path for :data:`BUSY_TIMEOUT`).
    """

    cause: ExpiryCause
    reason: str


@dataclass(frozen=True, slots=True)
class KeepaliveDue:
    """The hub has heard nothing for a while, or its agent runs jobs: the binding probes the
    path (a QUIC PING, a WebSocket ping)."""


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The connection is gone; a binding reports it once, last. Its jobs are lost."""

    reason: str
    by_peer: bool


ControlEvent = ControlMessage | Expired | KeepaliveDue


class _Timer(Enum):
    HELLO = "hello"
    IDLE = "idle"
    HEARTBEAT = "heartbeat"
    KEEPALIVE = "keepalive"
    LINGER = "linger"
    BUSY_PROBE = "busy_probe"
    BUSY_SILENCE = "busy_silence"


_EXPIRES: dict[_Timer, ExpiryCause] = {
    _Timer.HELLO: "hello",
    _Timer.IDLE: "idle",
    _Timer.LINGER: "linger",
    _Timer.BUSY_SILENCE: "unanswered",
}


def micros(now: float) -> int:
    """``now`` as the integer a heartbeat carries (microseconds of the sender's clock)."""
    return max(0, round(now * 1_000_000))


class ControlChannel:
    """One side of the control stream: hello, accept or refuse, heartbeats, attributes.

    Args:
        role: which side this is.
        now: the time the connection was made (the hello deadline counts from it).
        hello_timeout: seconds until an accepted hello, else :class:`Expired` (``hello``).
        linger: seconds the hub waits after a refuse before :class:`Expired` (``linger``).
        max_frame_size: the largest frame read or written.
        busy_probe: seconds between the hub's probes of the path while it has jobs there.
        busy_timeout: seconds of silence after which the hub gives up an agent running jobs.
    """

    def __init__(
        self,
        role: Role,
        *,
        now: float,
        hello_timeout: float = HELLO_TIMEOUT,
        linger: float = REFUSE_LINGER,
        max_frame_size: int = MAX_FRAME_SIZE,
        busy_probe: float = BUSY_PROBE_INTERVAL,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        self.role = role
        self.state = ControlState.HELLO_WAIT
        self.hello: Hello | None = None
        self.accepted: Accept | None = None
        self.refused: Refuse | None = None
        self.rtt: float | None = None  # seconds, from the last heartbeat's echo (agent side)
        self._hello_timeout, self._linger = hello_timeout, linger
        self._busy_probe, self._busy_timeout = busy_probe, busy_timeout
        self._decoder = FrameDecoder(max_frame_size)
        self._events: deque[ControlEvent] = deque()
        self._outbox = bytearray()
        self._deadlines: dict[_Timer, float] = {_Timer.HELLO: now + hello_timeout}
        self._heartbeats_sent = 0

    # -- bytes in, events out ----------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> None:
        """Take bytes of the control stream received at ``now``; events queue up.

        Once closed (refused, expired) or failed, received bytes are ignored: nothing counts.

        Raises:
            WireError: the peer broke the protocol; the state is then ``ERROR``.
        """
        if self.state in (ControlState.CLOSED, ControlState.ERROR):
            return
        if data:
            self._heard(now)
        self._decoder.feed(data)
        try:
            while (message := self._pending()) is not None:
                self._receive(message, now)
        except WireError:
            self._fail()
            raise

    def _pending(self) -> Message | None:
        """The next complete message; none once closed (after a refuse nothing counts)."""
        if self.state is ControlState.CLOSED:
            return None
        return self._decoder.next_message()

    def receive_end(self) -> None:
        """The peer finished the stream (a FIN): it must not end inside a frame.

        Raises:
            WireError: it did.
        """
        if self.state not in (ControlState.CLOSED, ControlState.ERROR):
            try:
                self._decoder.end()
            except WireError:
                self._fail()
                raise

    def next_event(self) -> ControlEvent | None:
        """The next received message or timer event, ``None`` when there is none."""
        return self._events.popleft() if self._events else None

    def send(self, message: ControlMessage, now: float) -> bytes:
        """The bytes that send ``message`` at ``now``.

        Raises:
            LocalProtocolError: the state does not allow this side to send it, or it is too
                large for a frame.
        """
        after = self._allowed(message, self.role, LocalProtocolError)
        frame = encode(message, max_frame_size=self._decoder.max_frame_size)
        self.state = after
        self._apply(message, self.role, now)
        return frame

    def data_to_send(self) -> bytes:
        """Frames the machine wrote by itself (heartbeats, their echoes); empties the outbox."""
        data = bytes(self._outbox)
        self._outbox.clear()
        return data

    def set_busy(self, busy: bool, now: float) -> None:
        """Whether the hub has jobs on this connection at ``now``: while it has, the path is
        probed every ``busy_probe`` and ``busy_timeout`` of silence gives the agent up.

        Only the hub's open connection watches; anywhere else this does nothing.
        """
        if not busy or self.role is not Role.HUB or self.state is not ControlState.OPEN:
            self._deadlines.pop(_Timer.BUSY_PROBE, None)
            self._deadlines.pop(_Timer.BUSY_SILENCE, None)
        elif _Timer.BUSY_SILENCE not in self._deadlines:
            self._deadlines[_Timer.BUSY_PROBE] = now
            self._deadlines[_Timer.BUSY_SILENCE] = now + self._busy_timeout

    def path_answered(self, now: float) -> None:
        """The peer was heard at ``now``: a byte, or its stack's answer to a probe of the path.

        A busy agent is probed only once it fell silent for ``busy_probe``: one that sends
        its jobs' events often enough costs no probe at all.
        """
        if _Timer.BUSY_SILENCE in self._deadlines:
            self._deadlines[_Timer.BUSY_SILENCE] = now + self._busy_timeout
            self._deadlines[_Timer.BUSY_PROBE] = now + self._busy_probe

    # -- time --------------------------------------------------------------------------------

    def next_timer(self) -> float | None:
        """When :meth:`handle_timer` must next be called; ``None`` when nothing is pending."""
        return min(self._deadlines.values(), default=None)

    def handle_timer(self, now: float) -> None:
        """Run every deadline that ``now`` reached, earliest first (early calls do nothing)."""
        for timer in sorted(self._deadlines, key=self._deadlines.__getitem__):
            deadline = self._deadlines.get(timer)
            if deadline is not None and deadline <= now:
                self._fire(timer, now)

    # -- the rules ---------------------------------------------------------------------------

    def _allowed(
        self, message: ControlMessage, sender: Role, error: type[WireError]
    ) -> ControlState:
        after = CONTROL_TRANSITIONS.get((self.state, sender, type(message)))
        if after is None:
            raise error(
                f"the {sender.value} may not send {message_name(message)} in state"
                f" {self.state.value}",
                kind="unexpected_message",
            )
        return after

    def _receive(self, message: Message, now: float) -> None:
        if not isinstance(message, ControlMessage):
            raise WireError(
                f"{message_name(message)} belongs on a job stream, not the control stream",
                kind="unexpected_message",
            )
        self.state = self._allowed(message, self.role.peer, WireError)
        self._apply(message, self.role.peer, now)
        self._events.append(message)

    def _apply(self, message: ControlMessage, sender: Role, now: float) -> None:
        """What a message does beyond the state change, whichever side sent it."""
        if isinstance(message, Hello):
            self.hello = message
        elif isinstance(message, Accept):
            self._open(message, now)
        elif isinstance(message, Refuse):
            self._refused(message, sender, now)
        elif isinstance(message, Heartbeat):
            self._heartbeat(message, sender, now)
        elif isinstance(message, HeartbeatAck) and sender is not self.role:
            self._echoed(message, now)

    def _open(self, accept: Accept, now: float) -> None:
        self.accepted = accept
        del self._deadlines[_Timer.HELLO]
        self._heard(now)
        if self.role is Role.AGENT:
            self._deadlines[_Timer.HEARTBEAT] = now + accept.heartbeat_interval_ms / 1000

    def _refused(self, refuse: Refuse, sender: Role, now: float) -> None:
        self.refused = refuse
        self._deadlines.clear()
        if sender is self.role:  # the hub refused: the agent gets a moment to read it
            self._deadlines[_Timer.LINGER] = now + self._linger

    def _heartbeat(self, heartbeat: Heartbeat, sender: Role, now: float) -> None:
        if sender is self.role:
            self._heartbeats_sent = max(self._heartbeats_sent, heartbeat.seq)
            return
        echo = HeartbeatAck(seq=heartbeat.seq, sent_at=heartbeat.sent_at)
        self._outbox += self.send(echo, now)

    def _echoed(self, ack: HeartbeatAck, now: float) -> None:
        if ack.seq > self._heartbeats_sent:
            raise WireError(
                f"echo of heartbeat {ack.seq}, which was never sent", kind="unexpected_message"
            )
        self.rtt = max(0.0, now - ack.sent_at / 1_000_000)

    def _heard(self, now: float) -> None:
        """Traffic from the peer postpones its idle deadline (and the hub's keepalive)."""
        if self.accepted is None or self.state is not ControlState.OPEN:
            return
        self._deadlines[_Timer.IDLE] = now + self.accepted.idle_timeout_ms / 1000
        self.path_answered(now)
        if self.role is Role.HUB:
            interval = self.accepted.heartbeat_interval_ms / 1000
            self._deadlines[_Timer.KEEPALIVE] = now + interval * KEEPALIVE_FACTOR

    def _fire(self, timer: _Timer, now: float) -> None:
        if timer is _Timer.HEARTBEAT:
            self._beat(now)
        elif timer is _Timer.KEEPALIVE:
            self._events.append(KeepaliveDue())
            self._heard_nothing_since(now)
        elif timer is _Timer.BUSY_PROBE:
            self._events.append(KeepaliveDue())
            self._deadlines[_Timer.BUSY_PROBE] = now + self._busy_probe
        else:
            self._expire(_EXPIRES[timer])

    def _beat(self, now: float) -> None:
        assert self.accepted is not None  # the timer is set by the accept
        beat = Heartbeat(seq=self._heartbeats_sent + 1, sent_at=micros(now))
        self._outbox += self.send(beat, now)
        self._deadlines[_Timer.HEARTBEAT] = now + self.accepted.heartbeat_interval_ms / 1000

    def _heard_nothing_since(self, now: float) -> None:
        assert self.accepted is not None  # the timer is set by the accept
        interval = self.accepted.heartbeat_interval_ms / 1000
        self._deadlines[_Timer.KEEPALIVE] = now + interval * KEEPALIVE_FACTOR

    def _expire(self, cause: ExpiryCause) -> None:
        self._events.append(Expired(cause, self._expiry_reason(cause)))
        self.state = ControlState.CLOSED
        self._deadlines.clear()

    def _expiry_reason(self, cause: ExpiryCause) -> str:
        if cause == "hello":
            return f"no hello was accepted within {self._hello_timeout:g} s"
        if cause == "linger":
            return "the refused agent did not close the connection"
        if cause == "unanswered":
            return f"the agent answered no probe for {self._busy_timeout:g} s while running jobs"
        idle = self.accepted.idle_timeout_ms / 1000 if self.accepted else 0.0
        return f"nothing heard from the {self.role.peer.value} for {idle:g} s"

    def _fail(self) -> None:
        self.state = ControlState.ERROR
        self._deadlines.clear()
