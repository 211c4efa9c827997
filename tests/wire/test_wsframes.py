"""The WebSocket binding's stream header: golden bytes and every malformed message."""

from __future__ import annotations

import pytest

from cloudping.wire import WireError
from cloudping.wire.streams import AppError, StopSending, StreamData, StreamInput, StreamReset
from cloudping.wire.wsframes import decode_event, encode_event

GOLDEN: list[tuple[StreamInput, bytes]] = [
    (StreamData(0, b"\x00\x00\x00\x01\x04"), b"\x00\x00\x00\x00\x00" + b"\x00\x00\x00\x01\x04"),
    (StreamData(5, b"abc", end=True), b"\x00\x00\x00\x05\x01abc"),
    (StreamData(1, b"", end=True), b"\x00\x00\x00\x01\x01"),
    (StreamReset(9, AppError.CANCELLED), b"\x00\x00\x00\x09\x02\x00\x00\x00\x03"),
    (StopSending(0xFFFFFFFD, 0x01020304), b"\xff\xff\xff\xfd\x03\x01\x02\x03\x04"),
]


@pytest.mark.parametrize(("event", "wire"), GOLDEN)
def test_each_stream_event_has_a_five_byte_header_and_its_payload(
    event: StreamInput, wire: bytes
) -> None:
    assert encode_event(event) == wire
    assert decode_event(wire) == event


@pytest.mark.parametrize(
    ("message", "kind", "words"),
    [
        (b"", "truncated", "shorter than the 5-byte stream header"),
        (b"\x00\x00\x00\x01", "truncated", "a message of 4 bytes"),
        (b"\x00\x00\x00\x01\x04", "unknown_type", "unknown stream event kind 0x04"),
        (b"\x00\x00\x00\x01\x02\x00\x03", "bad_message", "a reset carries a 4-byte error code"),
        (b"\x00\x00\x00\x01\x03" + bytes(5), "bad_message", "a stop carries a 4-byte error code"),
    ],
)
def test_a_malformed_message_is_a_wire_error_naming_the_fault(
    message: bytes, kind: str, words: str
) -> None:
    with pytest.raises(WireError, match=words) as caught:
        decode_event(message)
    assert caught.value.kind == kind


def test_data_payloads_pass_through_untouched_whatever_they_hold() -> None:
    payload = bytes(range(256)) * 4
    assert decode_event(encode_event(StreamData(13, payload))) == StreamData(13, payload)
