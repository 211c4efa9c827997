"""Framing: golden bytes, any split of the stream, and every malformed input as a WireError."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudping.wire import (
    MAX_FRAME_SIZE,
    FrameDecoder,
    Heartbeat,
    Hello,
    LocalProtocolError,
    Message,
    MessageType,
    WireError,
    encode,
)

from .helpers import SAMPLES

# The frame of each sample (helpers.SAMPLES, in the same order): header hex, then the body.
GOLDEN: tuple[tuple[str, bytes], ...] = (
    (
        "0000013a01",
        b'{"version":1,"name":"fra1","token":"tok","attributes":{"country":"DE",'
        b'"city":"Frankfurt","lat":50.11,"lon":8.68,"asn":3320,"isp":"DTAG",'
        b'"dn42_asn":4242420001,"dn42_isp":"example-dn42","tags":["datacenter","dn42"],'
        b'"capabilities":["icmp","udp","tcp","dns"],"serves":["172.20.0.0/14","fd00::/8"],'
        b'"software":"0.1.0"}}',
    ),
    ("0000004a02", b'{"session_id":"s1","heartbeat_interval_ms":10000,"idle_timeout_ms":30000}'),
    ("0000003403", b'{"code":"name_in_use","reason":"fra1 is connected"}'),
    ("0000001c04", b'{"seq":1,"sent_at":1000000}'),
    ("0000001c05", b'{"seq":1,"sent_at":1000000}'),
    (
        "000000b406",
        b'{"attributes":{"country":null,"city":"Berlin","lat":null,"lon":null,"asn":null,'
        b'"isp":null,"dn42_asn":null,"dn42_isp":null,"tags":[],"capabilities":[],"serves":[],'
        b'"software":null}}',
    ),
    (
        "0000009c10",
        b'{"job_id":"j1","command":{"command":"ping","targets":["192.0.2.1"]},'
        b'"limits":{"max_duration_ms":60000,"max_packets":100,"max_rate_pps":10,'
        b'"private":false}}',
    ),
    ("0000004211", b'{"job_id":"j1","event":{"type":"timeout","agent":"fra1","seq":1}}'),
    ("0000002512", b'{"job_id":"j1","status":"completed"}'),
    ("0000002713", b'{"job_id":"j1","reason":"caller left"}'),
)
CASES = [
    pytest.param(message, bytes.fromhex(header) + body, id=type(message).__name__)
    for message, (header, body) in zip(SAMPLES, GOLDEN, strict=True)
]


def frame(kind: int, body: bytes) -> bytes:
    """A frame by hand: length (type + body), type, body."""
    return (len(body) + 1).to_bytes(4, "big") + bytes([kind]) + body


def decode_all(data: bytes, *, chunk: int | None = None) -> list[Message]:
    """Every message in ``data`` fed whole, or ``chunk`` bytes at a time."""
    decoder = FrameDecoder()
    out: list[Message] = []
    step = chunk or max(len(data), 1)
    for at in range(0, len(data), step):
        decoder.feed(data[at : at + step])
        while (message := decoder.next_message()) is not None:
            out.append(message)
    decoder.end()
    return out


def wire_error(data: bytes) -> WireError:
    """The error the decoder raises for ``data`` followed by the end of the stream."""
    with pytest.raises(WireError) as caught:
        decode_all(data)
    return caught.value


def test_the_type_bytes_are_fixed() -> None:
    assert [int(kind) for kind in MessageType] == [1, 2, 3, 4, 5, 6, 0x10, 0x11, 0x12, 0x13]


@pytest.mark.parametrize(("message", "golden"), CASES)
def test_a_message_encodes_to_its_golden_bytes(message: Message, golden: bytes) -> None:
    assert encode(message) == golden


@pytest.mark.parametrize(("message", "golden"), CASES)
def test_golden_bytes_decode_to_the_message(message: Message, golden: bytes) -> None:
    assert decode_all(golden) == [message]


def test_a_stream_of_every_message_decodes_the_same_fed_one_byte_at_a_time() -> None:
    stream = b"".join(encode(message) for message in SAMPLES)
    assert decode_all(stream, chunk=1) == list(SAMPLES)


@pytest.mark.parametrize(("message", "golden"), CASES)
def test_a_frame_split_at_any_byte_decodes_the_same(message: Message, golden: bytes) -> None:
    for cut in range(len(golden) + 1):
        decoder = FrameDecoder()
        decoder.feed(golden[:cut])
        first = decoder.next_message()
        decoder.feed(golden[cut:])
        second = decoder.next_message()
        assert [m for m in (first, second) if m is not None] == [message], cut


def test_non_ascii_text_travels_as_utf8() -> None:
    hello = Hello(name="muc1", token="tök")  # noqa: S106 (a test token)
    data = encode(hello)
    assert "tök".encode() in data
    assert decode_all(data) == [hello]


def test_a_stream_cut_inside_a_frame_is_truncated() -> None:
    error = wire_error(encode(SAMPLES[3])[:-1])
    assert error.kind == "truncated"
    assert "inside a frame" in error.message


def test_a_cut_inside_the_length_is_truncated_too() -> None:
    assert wire_error(b"\x00\x00").kind == "truncated"


def test_an_empty_frame_is_refused() -> None:
    error = wire_error(b"\x00\x00\x00\x00")
    assert error.kind == "empty_frame"


def test_an_oversized_frame_is_refused_from_its_length_alone() -> None:
    decoder = FrameDecoder()
    decoder.feed((MAX_FRAME_SIZE + 1).to_bytes(4, "big"))  # no body buffered, nor waited for
    with pytest.raises(WireError, match="exceeds the 1048576-byte limit") as caught:
        decoder.next_message()
    assert caught.value.kind == "frame_too_large"
    assert caught.value.code == "protocol_error"


def test_the_frame_limit_is_a_setting() -> None:
    decoder = FrameDecoder(max_frame_size=16)
    decoder.feed(encode(SAMPLES[3]))
    with pytest.raises(WireError, match="28 bytes exceeds the 16-byte limit"):
        decoder.next_message()


def test_an_unknown_type_is_refused_before_its_body_arrives() -> None:
    decoder = FrameDecoder()
    decoder.feed(b"\x00\x00\x00\x05\x7f")
    with pytest.raises(WireError, match="unknown message type 0x7f") as caught:
        decoder.next_message()
    assert caught.value.kind == "unknown_type"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "EOF while parsing"),
        (b"{", "EOF while parsing"),
        (b"seq=1", "expected value"),
        (b'{"seq":1,"sent_at":1}x', "trailing characters"),
        (b'{"seq":"\xff"}', "invalid unicode"),
        (b"[" * 300, "recursion limit"),
    ],
)
def test_a_body_that_is_not_json_is_bad_json(body: bytes, words: str) -> None:
    error = wire_error(frame(MessageType.HEARTBEAT, body))
    assert error.kind == "bad_json"
    assert error.message.startswith("the heartbeat body is not valid JSON")
    assert words in error.message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[]", "Input should be an object"),
        (b'{"seq":1}', "sent_at: Field required"),
        (b'{"seq":"1","sent_at":5}', "seq: Input should be a valid integer"),
        (b'{"seq":-1,"sent_at":5}', "seq must be 0.."),
        (b'{"seq":1,"sent_at":5,"extra":0}', "extra: Unexpected keyword argument"),
        (b'{"seq":1e400,"sent_at":5}', "seq: Input should be a valid integer"),
        (b'{"seq":' + b"9" * 400 + b',"sent_at":5}', "seq must be 0.."),
    ],
)
def test_a_body_that_is_not_the_message_is_bad_message(body: bytes, words: str) -> None:
    error = wire_error(frame(MessageType.HEARTBEAT, body))
    assert error.kind == "bad_message"
    assert error.message.startswith("malformed heartbeat")
    assert words in error.message


def test_a_hello_of_another_version_is_refused_by_version() -> None:
    body = json.dumps({"version": 2, "name": "fra1", "token": "t", "new_field": 1}).encode()
    error = wire_error(frame(MessageType.HELLO, body))
    assert error.kind == "unsupported_version"
    assert error.message == "protocol version 2 is not supported (this side speaks 1)"
    assert error.to_dict()["supported"] == [1]


def test_a_hello_without_a_version_is_malformed() -> None:
    error = wire_error(frame(MessageType.HELLO, b'{"name":"fra1","token":"t"}'))
    assert error.kind == "bad_message"
    assert "version" in error.message


def test_encoding_refuses_a_frame_the_peer_would_refuse() -> None:
    with pytest.raises(LocalProtocolError, match="exceeds the 8-byte frame limit") as caught:
        encode(Heartbeat(seq=1, sent_at=1), max_frame_size=8)
    assert caught.value.kind == "frame_too_large"


@given(st.lists(st.binary(max_size=64), max_size=8))
def test_any_bytes_give_messages_or_a_wire_error_and_nothing_else(chunks: list[bytes]) -> None:
    decoder = FrameDecoder(max_frame_size=4096)
    try:
        for chunk in chunks:
            decoder.feed(chunk)
            while decoder.next_message() is not None:
                pass
        decoder.end()
    except WireError:
        pass


@given(
    st.sampled_from(list(MessageType)),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=12,
    ),
)
def test_any_json_body_under_any_type_gives_a_message_or_a_wire_error(
    kind: MessageType, body: object
) -> None:
    with contextlib.suppress(WireError):
        decode_all(frame(kind, json.dumps(body).encode()))
