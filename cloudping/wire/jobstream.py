"""One job's stream, one side of it, with no I/O: offer, events, end, cancel.

The hub opens a stream per job and sends the :class:`~cloudping.wire.messages.JobOffer`;
the agent answers on the same stream with events and a ``JobEnd``. A cancel from the hub
moves the job to ``cancelling``: what the agent still had in flight is dropped on both sides
(sending it gives no bytes), and a cancel that crossed the job's end is ignored (see
:data:`~cloudping.wire.states.JOB_TRANSITIONS`). The stream's own ends are reported by the
binding: a peer that finishes or resets its side before the job ended gives
:class:`JobAborted`, so that no job is ever lost silently.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from cloudping.wire.codec import MAX_FRAME_SIZE, FrameDecoder, encode, message_name
from cloudping.wire.errors import LocalProtocolError, WireError
from cloudping.wire.messages import JobMessage, JobOffer, Message
from cloudping.wire.states import JOB_TRANSITIONS, JobState, Role


@dataclass(frozen=True, slots=True)
class JobAborted:
    """The peer abandoned the job's stream before the job ended (hub: the job failed;
    agent: stop the job as if cancelled)."""

    job_id: str
    reason: str


JobStreamEvent = JobMessage | JobAborted


class JobChannel:
    """One side of one job's stream. The offer binds it to its job id.

    Args:
        role: which side this is.
        max_frame_size: the largest frame read or written.
    """

    def __init__(self, role: Role, *, max_frame_size: int = MAX_FRAME_SIZE) -> None:
        self.role = role
        self.state = JobState.IDLE
        self.job_id: str | None = None
        self._decoder = FrameDecoder(max_frame_size)
        self._events: deque[JobStreamEvent] = deque()

    @property
    def over(self) -> bool:
        """Whether nothing more can happen on this stream (done or failed)."""
        return self.state in (JobState.DONE, JobState.ERROR)

    def receive_data(self, data: bytes) -> None:
        """Take bytes of the job's stream; events queue up.

        Raises:
            WireError: the peer broke the protocol (among others: a message for another job);
                the state is then ``ERROR`` and later bytes are ignored.
        """
        if self.state is JobState.ERROR:
            return
        self._decoder.feed(data)
        try:
            while (message := self._decoder.next_message()) is not None:
                self._receive(message)
        except WireError:
            self.state = JobState.ERROR
            raise

    def receive_end(self) -> None:
        """The peer finished its side of the stream (a FIN).

        Raises:
            WireError: it ended inside a frame.
        """
        if self.state is JobState.ERROR:
            return
        try:
            self._decoder.end()
        except WireError:
            self.state = JobState.ERROR
            raise
        if self.role is Role.HUB and self.state is JobState.RUNNING:
            self._abort("the agent ended the job's stream without ending the job")
        elif self.role is Role.HUB and self.state is JobState.CANCELLING:
            self.state = JobState.DONE

    def receive_reset(self) -> None:
        """The peer reset its side of the stream: what it had not delivered is lost."""
        if self.state is JobState.RUNNING:
            self._abort(f"the {self.role.peer.value} reset the job's stream")
        elif self.role is Role.HUB and self.state is JobState.CANCELLING:
            self.state = JobState.DONE  # the agent obeyed the cancel (QUIC STOP_SENDING)

    def next_event(self) -> JobStreamEvent | None:
        """The next received message or :class:`JobAborted`, ``None`` when there is none."""
        return self._events.popleft() if self._events else None

    def send(self, message: JobMessage) -> bytes:
        """The bytes that send ``message``; ``b""`` when the rules drop it (after a cancel).

        Raises:
            LocalProtocolError: the state does not allow this side to send it, it names
                another job, or it is too large for a frame.
        """
        if self.state is JobState.ERROR:
            raise LocalProtocolError("the job's stream failed", kind="unexpected_message")
        after, delivered = self._allowed(message, self.role, LocalProtocolError)
        frame = encode(message, max_frame_size=self._decoder.max_frame_size) if delivered else b""
        self._enter(after, message)
        return frame

    def _receive(self, message: Message) -> None:
        if not isinstance(message, JobMessage):
            raise WireError(
                f"{message_name(message)} belongs on the control stream, not a job stream",
                kind="unexpected_message",
            )
        after, delivered = self._allowed(message, self.role.peer, WireError)
        self._enter(after, message)
        if delivered:
            self._events.append(message)

    def _allowed(
        self, message: JobMessage, sender: Role, error: type[WireError]
    ) -> tuple[JobState, bool]:
        if not isinstance(message, JobOffer) and message.job_id != self.job_id:
            raise error(
                f"{message_name(message)} for unknown job {message.job_id!r}"
                + (f" on the stream of job {self.job_id!r}" if self.job_id else ""),
                kind="unknown_job",
            )
        rule = JOB_TRANSITIONS.get((self.state, sender, type(message)))
        if rule is None:
            raise error(
                f"the {sender.value} may not send {message_name(message)} in state"
                f" {self.state.value}",
                kind="unexpected_message",
            )
        return rule

    def _enter(self, after: JobState, message: JobMessage) -> None:
        if isinstance(message, JobOffer):
            self.job_id = message.job_id
        self.state = after

    def _abort(self, reason: str) -> None:
        assert self.job_id is not None  # only a running job is aborted
        self._events.append(JobAborted(self.job_id, reason))
        # The hub's job is over; the agent still ends its job, and that end is dropped.
        self.state = JobState.DONE if self.role is Role.HUB else JobState.CANCELLING
