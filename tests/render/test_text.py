"""Text rendering reads like iputils ping."""

from __future__ import annotations

from cloudping.events import (
    EndEvent,
    ErrorEvent,
    MeasurementEvent,
    PingSummaryEvent,
    ReplyEvent,
    StartEvent,
    TimeoutEvent,
)
from cloudping.render import TextStyle, render
from cloudping.render.numbers import format_rtt

A, T = "local", "198.18.3.2"


def test_ipv4_header_shows_payload_and_packet_size() -> None:
    event = StartEvent(
        agent=A, target="lab", address=T, family=4, probe="ping", method="raw", size=56
    )
    assert render(event) == "PING lab (198.18.3.2) 56(84) bytes of data."


def test_ipv6_header_shows_data_bytes() -> None:
    event = StartEvent(
        agent=A,
        target="2001:db8:3::2",
        address="2001:db8:3::2",
        family=6,
        probe="ping",
        method="datagram",
        size=56,
    )
    assert render(event) == "PING 2001:db8:3::2 (2001:db8:3::2) 56 data bytes"


def test_reply_line_has_size_seq_ttl_and_time() -> None:
    event = ReplyEvent(agent=A, target=T, seq=1, address=T, rtt_ms=0.0712, size=64, ttl=62)
    assert render(event) == "64 bytes from 198.18.3.2: icmp_seq=1 ttl=62 time=0.071 ms"


def test_duplicates_and_late_replies_are_marked() -> None:
    dup = ReplyEvent(
        agent=A, target=T, seq=2, address=T, rtt_ms=12.345, size=64, ttl=62, duplicate=True
    )
    late = ReplyEvent(agent=A, target=T, seq=3, address=T, rtt_ms=2500.0, size=64, late=True)
    assert render(dup) == "64 bytes from 198.18.3.2: icmp_seq=2 ttl=62 time=12.3 ms (DUP!)"
    assert render(late) == "64 bytes from 198.18.3.2: icmp_seq=3 time=2500 ms (late)"


def test_icmp_errors_use_iputils_wording() -> None:
    te = ReplyEvent(
        agent=A,
        target=T,
        seq=1,
        address="198.18.1.1",
        rtt_ms=0.1,
        size=0,
        icmp_error="time_exceeded",
    )
    ptb = ReplyEvent(
        agent=A,
        target=T,
        seq=2,
        address="2001:db8:2::2",
        rtt_ms=0.1,
        size=0,
        icmp_error="packet_too_big",
        mtu=1280,
    )
    assert render(te) == "From 198.18.1.1 icmp_seq=1 Time to live exceeded"
    assert render(ptb) == "From 2001:db8:2::2 icmp_seq=2 Packet too big: mtu=1280"


def test_timeout_is_reported_as_no_answer_yet() -> None:
    event = TimeoutEvent(agent=A, target=T, seq=4, address=T, timeout_ms=2000.0)
    assert render(event) == "no answer yet for icmp_seq=4"


def test_statistics_block_matches_iputils() -> None:
    event = PingSummaryEvent(
        agent=A,
        target=T,
        address=T,
        sent=5,
        received=5,
        loss=0.0,
        min_ms=0.05,
        avg_ms=0.07,
        max_ms=0.1,
        stddev_ms=0.0101,
        jitter_ms=0.02,
        duration_ms=802.4,
    )
    assert render(event) == (
        "\n--- 198.18.3.2 ping statistics ---\n"
        "5 packets transmitted, 5 received, 0% packet loss, time 802ms\n"
        "rtt min/avg/max/mdev = 0.050/0.070/0.100/0.010 ms"
    )


def test_statistics_without_replies_show_loss_errors_and_no_rtt_line() -> None:
    event = PingSummaryEvent(
        agent=A,
        target=T,
        address=T,
        sent=3,
        received=0,
        loss=100.0,
        errors=3,
        duplicates=1,
        duration_ms=2003.0,
    )
    assert render(event) == (
        "\n--- 198.18.3.2 ping statistics ---\n"
        "3 packets transmitted, 0 received, +1 duplicates, +3 errors, 100% packet loss, time 2003ms"
    )


def test_fractional_loss_is_printed_like_printf_g() -> None:
    event = PingSummaryEvent(
        agent=A,
        target=T,
        address=T,
        sent=3,
        received=2,
        loss=33.3333,
        min_ms=1.0,
        avg_ms=1.0,
        max_ms=1.0,
        stddev_ms=0.0,
    )
    assert "33.3333% packet loss" in (render(event) or "")


def test_several_jobs_get_a_prefix_on_every_line_but_blank_ones() -> None:
    event = PingSummaryEvent(
        agent=A,
        target=T,
        address=T,
        sent=1,
        received=1,
        loss=0.0,
        min_ms=1.0,
        avg_ms=1.0,
        max_ms=1.0,
        stddev_ms=0.0,
    )
    lines = (render(event, TextStyle(prefix_jobs=True)) or "").split("\n")
    assert lines[0] == ""
    assert all(line.startswith("[local 198.18.3.2] ") for line in lines[1:])


def test_errors_print_their_message_and_measurement_framing_prints_nothing() -> None:
    error = ErrorEvent(
        code="resolve_failed",
        message="nowhere.invalid: Name or service not known",
        agent=A,
        target="nowhere.invalid",
    )
    assert render(error) == "cloudping: nowhere.invalid: Name or service not known"
    assert render(MeasurementEvent(id="x", command="ping x", agents=(A,))) is None
    assert render(EndEvent(id="x", status="ok", duration_ms=1.0)) is None


def test_rtt_precision_follows_iputils() -> None:
    assert [format_rtt(v) for v in (0.0123, 1.234, 12.34, 123.4)] == [
        "0.012",
        "1.23",
        "12.3",
        "123",
    ]
