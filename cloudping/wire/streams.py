"""The streams every binding of the protocol carries, in words that belong to no transport.

A connection is a control stream plus one stream per job, as QUIC has them (RFC 9000
section 2): stream 0 is the control stream (the agent opens it with its hello); the hub opens
a bidirectional stream per job, ids 1, 5, 9, ... (RFC 9000 section 2.1: the low two bits are
the initiator and the direction, 0b01 = server-initiated bidirectional). The WebSocket
binding numbers its streams the same way, so one rule says what a stream carries.

A binding turns what its transport reports into three events, and its ``*_stream`` calls
into what the transport sends: data (with or without the end of that direction, QUIC's FIN),
a reset (RESET_STREAM: the sender abandons its direction) and stop-sending (STOP_SENDING:
the receiver wants no more; the peer answers with a reset).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

from cloudping.wire.jobstream import JobChannel

ALPN = "cloudping/1"
"""Names the framing (codec.py): QUIC's ALPN and the WebSocket subprotocol. Message
versions are negotiated by the hello."""
CONTROL_STREAM = 0
FIRST_JOB_STREAM, JOB_STREAM_STEP = 1, 4


class AppError(IntEnum):
    """Application error codes: QUIC's CONNECTION_CLOSE, RESET_STREAM and STOP_SENDING, and
    the WebSocket binding's resets and close codes (4000 + code)."""

    NO_ERROR = 0x0
    PROTOCOL_ERROR = 0x1
    REFUSED = 0x2
    CANCELLED = 0x3
    EXPIRED = 0x4
    UNTRUSTED = 0x5


def stream_kind(stream_id: int) -> Literal["control", "job", "invalid"]:
    """What a stream carries, from its id alone."""
    if stream_id == CONTROL_STREAM:
        return "control"
    return "job" if stream_id % JOB_STREAM_STEP == FIRST_JOB_STREAM else "invalid"


@dataclass(frozen=True, slots=True)
class StreamData:
    """Bytes of one stream; ``end``: the sender finished its direction after them."""

    stream_id: int
    data: bytes
    end: bool = False


@dataclass(frozen=True, slots=True)
class StreamReset:
    """The peer abandoned its direction of the stream; what it had not delivered is lost."""

    stream_id: int
    error_code: int


@dataclass(frozen=True, slots=True)
class StopSending:
    """The peer wants no more of this stream (its transport has reset our direction)."""

    stream_id: int
    error_code: int


StreamInput = StreamData | StreamReset | StopSending


@dataclass(slots=True)
class JobStream:
    """One job's stream: its channel and which of its two directions are finished."""

    stream_id: int
    channel: JobChannel
    send_closed: bool = False
    receive_closed: bool = False
