"""scan as text: header, one line per answer, the summary block."""

from __future__ import annotations

from cloudping.events import StartEvent
from cloudping.events.model import ScanEvent, ScanSummaryEvent
from cloudping.render import render

A, NET = "local", "198.18.3.0/24"


def start(method: str, port: int | None = None) -> StartEvent:
    return StartEvent(
        agent=A, target=NET, address=NET, family=4, probe="scan", method=method, size=56, port=port
    )


def test_header_says_what_is_swept_and_how() -> None:
    assert render(start("raw")) == "SCAN 198.18.3.0/24: 256 addresses, ICMP echo (raw socket)"
    assert render(start("connect", 22)) == (
        "SCAN 198.18.3.0/24: 256 addresses, TCP connect to port 22 (open or reset = up)"
    )


def test_a_line_per_address_that_answered() -> None:
    alive = ScanEvent(agent=A, target=NET, address="198.18.3.10", state="alive", rtt_ms=0.1234)
    assert render(alive) == "198.18.3.10 alive 0.123 ms"
    unreachable = ScanEvent(
        agent=A,
        target=NET,
        address="198.18.3.77",
        state="unreachable",
        rtt_ms=3001.0,
        icmp_error="host_unreachable",
        responder="198.18.3.1",
    )
    assert render(unreachable) == (
        "198.18.3.77 unreachable: host_unreachable from 198.18.3.1 3001 ms"
    )


def test_summary_block_counts_and_ranges() -> None:
    summary = ScanSummaryEvent(
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
    assert render(summary) == (
        "\n--- 198.18.3.0/24 scan ---\n"
        "256 addresses, 256 probed, 11 alive, 0 unreachable, 0.8 s, 980 pps\n"
        "alive: 198.18.3.10-198.18.3.19, 198.18.3.100"
    )


def test_summary_of_a_silent_prefix_says_none() -> None:
    summary = ScanSummaryEvent(
        agent=A, target=NET, total=256, probed=100, alive=0, unreachable=0, alive_ranges=(),
        sent=100, rate_pps=0.0, duration_ms=100.0,
    )  # fmt: skip
    text = render(summary)
    assert text is not None
    assert text.endswith("alive: none")
