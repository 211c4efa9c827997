"""The ICMP codec against golden bytes (captures and RFC layouts)."""

from __future__ import annotations

import socket
import struct

from cloudping.probes.icmp import codec
from cloudping.probes.icmp.codec import EchoReply, IcmpError

# A classic echo request capture: id 1, seq 1, 32 bytes "abcdefghijklmnopqrstuvwabcdefghi".
WINDOWS_PING = bytes.fromhex("08004d5a00010001") + b"abcdefghijklmnopqrstuvwabcdefghi"
# An IPv4 header with a correct checksum sums to zero (RFC 1071).
IPV4_HEADER = bytes.fromhex("4500003c1c4640004006b1e6ac100a63ac100a0c")


def ipv4_header(src: str, dst: str, proto: int, ttl: int = 64, payload_len: int = 0) -> bytes:
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + payload_len,
        0,
        0,
        ttl,
        proto,
        0,
        socket.inet_aton(src),
        socket.inet_aton(dst),
    )
    return header[:10] + struct.pack("!H", codec.checksum(header)) + header[12:]


def ipv6_header(src: str, dst: str, next_header: int, payload_len: int = 0) -> bytes:
    return struct.pack(
        "!IHBB16s16s",
        6 << 28,
        payload_len,
        next_header,
        64,
        socket.inet_pton(socket.AF_INET6, src),
        socket.inet_pton(socket.AF_INET6, dst),
    )


def test_echo_request_matches_a_captured_packet_byte_for_byte() -> None:
    assert codec.encode_echo_request(4, 1, 1, WINDOWS_PING[8:]) == WINDOWS_PING


def test_checksum_of_a_valid_header_is_zero() -> None:
    assert codec.checksum(IPV4_HEADER) == 0


def test_checksum_pads_odd_lengths_with_a_zero_byte() -> None:
    assert codec.checksum(b"\x01") == codec.checksum(b"\x01\x00") == 0xFEFF


def test_ipv6_echo_request_leaves_the_checksum_to_the_kernel() -> None:
    packet = codec.encode_echo_request(6, 0xBEEF, 7, b"xy")
    assert packet == bytes.fromhex("80000000beef0007") + b"xy"


def test_payload_starts_with_the_cookie_then_the_iputils_pattern() -> None:
    payload = codec.make_payload(12, b"COOKIE!!")
    assert payload == b"COOKIE!!" + bytes([8, 9, 10, 11])
    assert codec.make_payload(3, b"COOKIE!!") == b"COO"
    assert codec.make_payload(0, b"COOKIE!!") == b""


def test_echo_reply_behind_an_ipv4_header_gives_ttl_and_icmp_size() -> None:
    icmp = bytes.fromhex("00005d5a00010001") + b"abcdefghijklmnopqrstuvwabcdefghi"
    data = ipv4_header("198.18.3.2", "198.18.1.2", 1, ttl=62, payload_len=len(icmp)) + icmp
    message = codec.parse_packet(4, data, ip_header=True)
    assert message == EchoReply(ident=1, seq=1, payload=icmp[8:], size=40, ttl=62)


def test_echo_reply_without_ip_header_has_no_ttl() -> None:
    message = codec.parse_packet(6, bytes.fromhex("81000000beef0003") + b"hi", ip_header=False)
    assert message == EchoReply(ident=0xBEEF, seq=3, payload=b"hi", size=10, ttl=None)


def test_our_own_echo_request_seen_on_a_raw_socket_is_ignored() -> None:
    data = ipv4_header("198.18.1.2", "198.18.3.2", 1) + WINDOWS_PING
    assert codec.parse_packet(4, data, ip_header=True) is None


def test_time_exceeded_is_matched_through_the_quoted_request() -> None:
    request = codec.encode_echo_request(4, 0x1234, 9, b"\x00" * 8)
    quote = ipv4_header("198.18.1.2", "198.18.3.2", 1, ttl=1, payload_len=16) + request[:8]
    error = bytes.fromhex("0b000000") + b"\x00" * 4 + quote
    data = ipv4_header("198.18.1.1", "198.18.1.2", 1, ttl=64, payload_len=len(error)) + error
    message = codec.parse_packet(4, data, ip_header=True)
    assert message == IcmpError(
        name="time_exceeded",
        icmp_type=11,
        code=0,
        ident=0x1234,
        seq=9,
        dst="198.18.3.2",
        ttl=64,
        proto=1,
    )


def test_fragmentation_needed_carries_the_next_hop_mtu() -> None:
    request = codec.encode_echo_request(4, 5, 6, b"")
    quote = ipv4_header("198.18.1.2", "198.18.3.2", 1) + request
    error = bytes.fromhex("03040000000005dc") + quote  # RFC 1191: MTU 1500 in bytes 6-7
    message = codec.parse_packet(4, error, ip_header=False)
    assert isinstance(message, IcmpError)
    assert (message.name, message.mtu, message.seq) == ("frag_needed", 1500, 6)


def test_ipv6_packet_too_big_carries_the_mtu_and_quoted_destination() -> None:
    request = codec.encode_echo_request(6, 0x0A0B, 2, b"\x00" * 8)
    quote = ipv6_header("2001:db8:1::2", "2001:db8:3::2", 58, len(request)) + request
    error = bytes.fromhex("02000000000004d0") + quote  # RFC 4443 3.2: MTU 1232
    message = codec.parse_packet(6, error, ip_header=False)
    assert isinstance(message, IcmpError)
    assert (message.name, message.mtu, message.dst, message.ident) == (
        "packet_too_big",
        1232,
        "2001:db8:3::2",
        0x0A0B,
    )


def test_ipv6_address_unreachable_is_named_like_ipv4_host_unreachable() -> None:
    request = codec.encode_echo_request(6, 1, 1, b"")
    quote = ipv6_header("2001:db8:1::2", "2001:db8:3::9", 58) + request
    message = codec.parse_packet(6, bytes.fromhex("0103000000000000") + quote, ip_header=False)
    assert isinstance(message, IcmpError)
    assert message.name == "host_unreachable"


def test_an_error_about_a_udp_probe_gives_its_ports_and_length() -> None:
    udp = struct.pack("!HHHH", 40000, 33434, 12, 0xBEEF)
    quote = ipv4_header("198.18.1.2", "198.18.3.2", 17) + udp
    message = codec.parse_packet(4, bytes.fromhex("0303000000000000") + quote, ip_header=False)
    assert isinstance(message, IcmpError)
    assert (message.name, message.proto, message.sport, message.dport, message.check) == (
        "port_unreachable",
        17,
        40000,
        33434,
        12,
    )


def test_an_error_about_a_tcp_probe_gives_its_ports_and_sequence() -> None:
    tcp = struct.pack("!HHI", 40001, 443, 0x01020304)
    quote = ipv6_header("2001:db8:1::2", "2001:db8:3::2", 6) + tcp
    message = codec.parse_packet(6, bytes.fromhex("0300000000000000") + quote, ip_header=False)
    assert isinstance(message, IcmpError)
    assert (message.name, message.proto, message.sport, message.dport, message.check) == (
        "time_exceeded",
        6,
        40001,
        443,
        0x01020304,
    )


def test_an_error_quoting_another_protocol_is_not_ours() -> None:
    quote = ipv4_header("198.18.1.2", "198.18.3.2", 132) + b"\x00" * 8  # SCTP
    assert codec.parse_packet(4, bytes.fromhex("0303000000000000") + quote, ip_header=False) is None


def test_truncated_and_garbage_input_decodes_to_nothing() -> None:
    for data in (b"", b"\x00", b"\x45" * 19, b"\x0b\x00" + b"\x00" * 10, b"\xff" * 64):
        assert codec.parse_packet(4, data, ip_header=True) is None
        assert codec.parse_packet(6, data, ip_header=False) is None


def test_unknown_error_codes_get_a_generic_but_stable_name() -> None:
    assert codec.error_name(4, 3, 15) == "unreachable"
    assert codec.error_name(4, 42, 1) == "icmp_42_1"


def test_queued_icmp_error_names_the_offender_and_the_request() -> None:
    request = codec.encode_echo_request(4, 0x4242, 17, b"")
    ee = struct.pack("=IBBBxII", 113, 2, 3, 1, 0, 0)  # EHOSTUNREACH, SO_EE_ORIGIN_ICMP, 3/1
    offender = struct.pack("=HH4s8x", socket.AF_INET, 0, socket.inet_aton("198.18.2.2"))
    message = codec.parse_queued_error(4, request, ee + offender)
    assert message == IcmpError(
        name="host_unreachable",
        icmp_type=3,
        code=1,
        ident=0x4242,
        seq=17,
        dst=None,
        sender="198.18.2.2",
        proto=1,
    )


def test_queued_ipv6_packet_too_big_reports_the_mtu() -> None:
    request = codec.encode_echo_request(6, 3, 4, b"")
    ee = struct.pack("=IBBBxII", 90, 3, 2, 0, 1280, 0)  # EMSGSIZE, SO_EE_ORIGIN_ICMP6
    offender = struct.pack(
        "=HHI16sI", socket.AF_INET6, 0, 0, socket.inet_pton(socket.AF_INET6, "2001:db8:2::2"), 0
    )
    message = codec.parse_queued_error(6, request, ee + offender)
    assert isinstance(message, IcmpError)
    assert (message.name, message.mtu, message.sender) == ("packet_too_big", 1280, "2001:db8:2::2")


def test_queued_local_error_has_no_sender() -> None:
    request = codec.encode_echo_request(4, 1, 2, b"")
    ee = struct.pack("=IBBBxII", 90, 1, 0, 0, 1500, 0)  # EMSGSIZE, SO_EE_ORIGIN_LOCAL, mtu
    message = codec.parse_queued_error(4, request, ee + b"\x00" * 16)
    assert isinstance(message, IcmpError)
    assert (message.name, message.sender, message.mtu) == ("local_error", None, 1500)


def test_timespec_control_data_is_nanoseconds() -> None:
    assert codec.parse_timespec(struct.pack("=qq", 1_700_000_000, 123)) == 1_700_000_000_000_000_123
    assert codec.parse_timespec(b"short") is None
