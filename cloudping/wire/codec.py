"""Framing of the hub-agent protocol: messages to bytes and back, with no I/O.

Frame layout, integers big-endian::

    0       4      5                       4 + length
    +-------+------+-----------------------+
    |length | type | body                  |
    +-------+------+-----------------------+
    length: uint32, the bytes after it (the type byte + the body), 1..max_frame_size
    type:   uint8, a MessageType (0x01-0x0f control stream, 0x10-0x1f job streams)
    body:   the message's fields as one compact UTF-8 JSON object, in declaration order

Why a length prefix: QUIC streams and TLS give a byte stream, not messages; a fixed 5-byte
header is read without scanning, lets the reader refuse an oversized frame before buffering
it, and costs nothing next to the body. Why the type outside the body: the reader picks the
validator (and checks a hello's version first) before parsing a byte of JSON. Why JSON and not
a compact binary body: what dominates the traffic (a job's command and its events) already has
a JSON form with a published schema; a binary body would be a second encoding of the same
things to keep in step, while pydantic's JSON parser validates the body in one pass in Rust.
A job event is 150-300 bytes, so the protocol stays far below what QUIC in Python can carry.

The header layout and a hello's ``version`` field never change, so any version of this code
can read a hello and refuse it by version.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any, ClassVar

from pydantic import ConfigDict, TypeAdapter, ValidationError

from cloudping.wire.errors import LocalProtocolError, WireError
from cloudping.wire.messages import (
    PROTOCOL_VERSION,
    Accept,
    Attributes,
    Cancel,
    Heartbeat,
    HeartbeatAck,
    Hello,
    JobEnd,
    JobEvent,
    JobOffer,
    Message,
    Refuse,
)

LENGTH = struct.Struct(">I")
HEADER = struct.Struct(">IB")
MAX_FRAME_SIZE = 1 << 20
"""Largest ``length`` accepted by default: room for an HTTP event with its body excerpt."""


class MessageType(IntEnum):
    """The type byte of each message. 0 is never valid: a zeroed buffer is not a frame."""

    HELLO = 0x01
    ACCEPT = 0x02
    REFUSE = 0x03
    HEARTBEAT = 0x04
    HEARTBEAT_ACK = 0x05
    ATTRIBUTES = 0x06
    JOB_OFFER = 0x10
    JOB_EVENT = 0x11
    JOB_END = 0x12
    CANCEL = 0x13


_CLASS_OF: dict[MessageType, type[Message]] = {
    MessageType.HELLO: Hello,
    MessageType.ACCEPT: Accept,
    MessageType.REFUSE: Refuse,
    MessageType.HEARTBEAT: Heartbeat,
    MessageType.HEARTBEAT_ACK: HeartbeatAck,
    MessageType.ATTRIBUTES: Attributes,
    MessageType.JOB_OFFER: JobOffer,
    MessageType.JOB_EVENT: JobEvent,
    MessageType.JOB_END: JobEnd,
    MessageType.CANCEL: Cancel,
}
_TYPE_OF: dict[type[Message], MessageType] = {cls: kind for kind, cls in _CLASS_OF.items()}


def message_name(message: Message | type[Message]) -> str:
    """The snake_case name of a message (``job_event``), as errors and logs say it."""
    cls = message if isinstance(message, type) else type(message)
    return _TYPE_OF[cls].name.lower()


@dataclass(frozen=True, slots=True)
class _Versioned:
    """A hello as far as any version can read it."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(strict=True, extra="ignore")
    version: int


@cache
def _adapter(kind: MessageType) -> TypeAdapter[Any]:
    return TypeAdapter(_CLASS_OF[kind])  # built on first use: each costs milliseconds


@cache
def _version_adapter() -> TypeAdapter[_Versioned]:
    return TypeAdapter(_Versioned)


def build_adapters() -> None:
    """Build every message's validator now (a few ms each, and pydantic's first one scans the
    installed packages for plugins): a hub calls this off its event loop before it listens."""
    _version_adapter()
    for kind in _CLASS_OF:
        _adapter(kind)


def encode(message: Message, *, max_frame_size: int = MAX_FRAME_SIZE) -> bytes:
    """One frame carrying ``message``.

    Raises:
        LocalProtocolError: the frame would exceed ``max_frame_size`` (the peer would refuse it).
    """
    kind = _TYPE_OF[type(message)]
    body = _adapter(kind).dump_json(message)
    length = 1 + len(body)
    if length > max_frame_size:
        raise LocalProtocolError(
            f"a {message_name(message)} of {length} bytes exceeds the {max_frame_size}-byte"
            " frame limit",
            kind="frame_too_large",
        )
    return HEADER.pack(length, kind) + body


def decode(kind: MessageType, body: bytes) -> Message:
    """The message of type ``kind`` whose JSON body is ``body``.

    Raises:
        WireError: the body is not JSON, not this message, or a hello of another version.
    """
    name = kind.name.lower()
    if kind is MessageType.HELLO:
        _check_version(body)
    try:
        message: Message = _adapter(kind).validate_json(body)
    except ValidationError as exc:
        raise _malformed(name, exc) from exc
    return message


def _check_version(body: bytes) -> None:
    try:
        version = _version_adapter().validate_json(body).version
    except ValidationError as exc:
        raise _malformed("hello", exc) from exc
    if version != PROTOCOL_VERSION:
        raise WireError(
            f"protocol version {version} is not supported (this side speaks {PROTOCOL_VERSION})",
            kind="unsupported_version",
            version=version,
            supported=[PROTOCOL_VERSION],
        )


def _malformed(name: str, exc: ValidationError) -> WireError:
    first = exc.errors(include_url=False)[0]
    text = first["msg"].removeprefix("Value error, ").removeprefix("Invalid JSON: ")
    if first["type"] == "json_invalid":
        return WireError(f"the {name} body is not valid JSON: {text}", kind="bad_json")
    where = ".".join(str(part) for part in first["loc"])
    return WireError(f"malformed {name}: {where + ': ' if where else ''}{text}", kind="bad_message")


class FrameDecoder:
    """Bytes in (any split), messages out.

    A header is checked as soon as its bytes are in, so a bad length or type fails before
    the body is buffered. After a ``WireError`` the stream is beyond repair: the caller closes.
    """

    def __init__(self, max_frame_size: int = MAX_FRAME_SIZE) -> None:
        self.max_frame_size = max_frame_size
        self._buffer = bytearray()
        self._start = 0  # consumed bytes, dropped at the next feed (one copy per feed)

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        if self._start:
            del self._buffer[: self._start]
            self._start = 0
        self._buffer += data

    def next_message(self) -> Message | None:
        """The next complete message, or ``None`` until more bytes arrive.

        Raises:
            WireError: the next frame is malformed.
        """
        header = self._header()
        if header is None:
            return None
        length, kind = header
        body_at = self._start + HEADER.size
        end = self._start + LENGTH.size + length
        if len(self._buffer) < end:
            return None
        body = bytes(self._buffer[body_at:end])
        self._start = end
        return decode(kind, body)

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buffer) - self._start

    def end(self) -> None:
        """The stream ended: it must not end inside a frame.

        Raises:
            WireError: some bytes of an unfinished frame are buffered.
        """
        if self.buffered:
            raise WireError(
                f"the stream ended inside a frame ({self.buffered} bytes of it)", kind="truncated"
            )

    def _header(self) -> tuple[int, MessageType] | None:
        available = self.buffered
        if available < LENGTH.size:
            return None
        (length,) = LENGTH.unpack_from(self._buffer, self._start)
        self._check_length(length)
        if available < HEADER.size:
            return None
        kind = self._buffer[self._start + LENGTH.size]
        if kind not in _CLASS_OF:
            raise WireError(f"unknown message type 0x{kind:02x}", kind="unknown_type")
        return length, MessageType(kind)

    def _check_length(self, length: int) -> None:
        if length == 0:
            raise WireError("empty frame (it must hold a type byte)", kind="empty_frame")
        if length > self.max_frame_size:
            raise WireError(
                f"a frame of {length} bytes exceeds the {self.max_frame_size}-byte limit",
                kind="frame_too_large",
            )
