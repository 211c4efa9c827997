"""scan as text: header, a line per host alive (per answer with -v), the summary block and
the rest as ranges."""

from __future__ import annotations

import dataclasses

from cloudping.events import StartEvent
from cloudping.events.model import ScanEvent, ScanSummaryEvent
from cloudping.render import TextStyle, render
from cloudping.render.terminal.text import render_held

A, NET = "local", "198.18.3.0/24"
SUMMARY = ScanSummaryEvent(
    agent=A,
    target=NET,
    total=256,
    probed=256,
    alive=11,
    unreachable=0,
    alive_ranges=("198.18.3.10-198.18.3.19", "198.18.3.100"),
    sent=500,
    rate_pps=980.4,
    duration_ms=812.0,
)


def start(method: str, port: int | None = None) -> StartEvent:
    return StartEvent(
        agent=A, target=NET, address=NET, family=4, probe="scan", method=method, size=56, port=port
    )


def test_header_says_what_is_swept_and_how() -> None:
    assert render(start("raw")) == "SCAN 198.18.3.0/24: 256 addresses, ICMP echo (raw socket)"
    assert render(start("connect", 22)) == (
        "SCAN 198.18.3.0/24: 256 addresses, TCP connect to port 22 (open or reset = up)"
    )


VERBOSE = TextStyle(verbose=True)


def unreachable(address: str, responder: str = "198.18.3.1") -> ScanEvent:
    return ScanEvent(
        agent=A,
        target=NET,
        address=address,
        state="unreachable",
        rtt_ms=3001.0,
        icmp_error="host_unreachable",
        responder=responder,
    )


def failed(address: str) -> ScanEvent:
    reason = "sendto: Permission denied (a broadcast address)"
    return ScanEvent(agent=A, target=NET, address=address, state="failed", reason=reason)


def test_a_line_per_host_alive_and_with_verbose_per_address_that_answered() -> None:
    alive = ScanEvent(agent=A, target=NET, address="198.18.3.10", state="alive", rtt_ms=0.1234)
    assert render(alive) == "198.18.3.10 alive 0.123 ms"
    assert render(unreachable("198.18.3.77")) is None
    assert render(failed("198.18.3.255")) is None
    assert render(unreachable("198.18.3.77"), VERBOSE) == (
        "198.18.3.77 unreachable: host_unreachable from 198.18.3.1 3001 ms"
    )
    assert render(failed("198.18.3.255"), VERBOSE) == (
        "198.18.3.255 not probed: sendto: Permission denied (a broadcast address)"
    )


def test_held_addresses_come_after_the_summary_as_ranges_per_router_and_reason() -> None:
    found = [
        unreachable("198.18.3.0"),
        *(unreachable(f"198.18.3.{i}") for i in range(20, 30)),
        unreachable("198.18.3.40", responder="198.18.2.2"),
        failed("198.18.3.255"),
        unreachable("198.18.3.1"),
    ]
    assert render_held(SUMMARY, found, TextStyle()) == (
        "unreachable (host_unreachable from 198.18.3.1): 198.18.3.0-198.18.3.1, "
        "198.18.3.20-198.18.3.29\n"
        "unreachable (host_unreachable from 198.18.2.2): 198.18.3.40\n"
        "not probed (sendto: Permission denied (a broadcast address)): 198.18.3.255"
    )
    assert render_held(SUMMARY, found, TextStyle(prefix_jobs=True)) is not None
    assert render_held(SUMMARY, found, VERBOSE) is None  # each had its own line
    assert render_held(SUMMARY, [], TextStyle()) is None


def test_summary_block_counts_and_ranges() -> None:
    assert render(SUMMARY) == (
        "\n--- 198.18.3.0/24 scan ---\n"
        "256 addresses, 256 probed, 11 alive, 0 unreachable, 0.8 s, 980 pps\n"
        "alive: 198.18.3.10-198.18.3.19, 198.18.3.100"
    )
    with_failed = dataclasses.replace(SUMMARY, failed=1)
    assert "0 unreachable, 1 not probed, 0.8 s" in (render(with_failed) or "")


def test_summary_of_a_silent_prefix_says_none() -> None:
    summary = ScanSummaryEvent(
        agent=A, target=NET, total=256, probed=100, alive=0, unreachable=0, alive_ranges=(),
        sent=100, rate_pps=0.0, duration_ms=100.0,
    )  # fmt: skip
    text = render(summary)
    assert text is not None
    assert text.endswith("alive: none")
