"""The protocol's streams over one WebSocket connection: one stream event per binary message.

QUIC gives the protocol streams (:mod:`cloudping.wire.streams`); a WebSocket connection gives
one ordered sequence of messages. Each binary message carries one stream event, integers
big-endian::

    0        4      5
    +--------+------+--------------------------------------------+
    | stream | kind | payload                                    |
    +--------+------+--------------------------------------------+
    stream: uint32, the stream id (0 control; 1, 5, 9, ... jobs the hub opens)
    kind:   uint8
      0x00 DATA   payload: bytes of the stream (frames of codec.py, split anywhere)
      0x01 END    payload: the last bytes of the sender's direction (QUIC's FIN), maybe none
      0x02 RESET  payload: uint32 error code; the sender abandons its direction (RESET_STREAM)
      0x03 STOP   payload: uint32 error code; the sender wants no more (STOP_SENDING), and
                  the receiver answers with a RESET of its own direction

Why QUIC's four stream events and not fewer: the bindings then share one core
(:class:`cloudping.transport.core.WireConnection`) with the same cancel semantics. The hub
cancels a job by sending the ``Cancel`` with END, then STOP with ``AppError.CANCELLED``; the
agent answers
RESET, so the hub forgets the stream without waiting for events still in flight. Why not
several events per message: a WebSocket message already has a length, and a write of the
core is one message, so the header is a fixed 5 bytes read without scanning.
"""

from __future__ import annotations

import struct
from enum import IntEnum

from cloudping.wire.errors import WireError
from cloudping.wire.streams import StopSending, StreamData, StreamInput, StreamReset

HEADER = struct.Struct(">IB")
CODE = struct.Struct(">I")


class FrameKind(IntEnum):
    """The kind byte of a stream event."""

    DATA = 0x00
    END = 0x01
    RESET = 0x02
    STOP = 0x03


def encode_event(event: StreamInput) -> bytes:
    """The WebSocket message payload that carries ``event``."""
    if isinstance(event, StreamData):
        kind = FrameKind.END if event.end else FrameKind.DATA
        return HEADER.pack(event.stream_id, kind) + event.data
    kind = FrameKind.RESET if isinstance(event, StreamReset) else FrameKind.STOP
    return HEADER.pack(event.stream_id, kind) + CODE.pack(event.error_code)


def decode_event(message: bytes) -> StreamInput:
    """The stream event a binary WebSocket message carries.

    Raises:
        WireError: too short for the header, an unknown kind, or a reset without its code.
    """
    if len(message) < HEADER.size:
        raise WireError(
            f"a message of {len(message)} bytes is shorter than the {HEADER.size}-byte stream"
            " header",
            kind="truncated",
        )
    stream_id, kind = HEADER.unpack_from(message)
    payload = message[HEADER.size :]
    if kind in (FrameKind.DATA, FrameKind.END):
        return StreamData(stream_id, payload, end=kind == FrameKind.END)
    if kind not in (FrameKind.RESET, FrameKind.STOP):
        raise WireError(f"unknown stream event kind 0x{kind:02x}", kind="unknown_type")
    if len(payload) != CODE.size:
        name = FrameKind(kind).name.lower()
        raise WireError(
            f"a {name} carries a {CODE.size}-byte error code, not {len(payload)} bytes",
            kind="bad_message",
        )
    (code,) = CODE.unpack(payload)
    return StreamReset(stream_id, code) if kind == FrameKind.RESET else StopSending(stream_id, code)
