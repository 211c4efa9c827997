"""traceroute and mtr text: traceroute(8)'s hop lines, mtr's report."""

from __future__ import annotations

from cloudping.events import HopEvent, HopProbe, HopStats, PathSummaryEvent, StartEvent
from cloudping.render import render

A, T = "local", "198.18.3.2"


def test_header_names_target_hops_and_packet_size() -> None:
    event = StartEvent(
        agent=A,
        target="lab",
        address=T,
        family=4,
        probe="traceroute",
        method="icmp",
        size=32,
        max_hops=30,
    )
    assert render(event) == "traceroute to lab (198.18.3.2), 30 hops max, 60 byte packets"


def test_hop_line_groups_probes_by_responder_and_shows_stars() -> None:
    probes = (
        HopProbe(address="198.18.2.2", rtt_ms=0.5, name="r2.lab"),
        HopProbe(address="198.18.2.2", rtt_ms=0.25, name="r2.lab"),
        HopProbe(),
        HopProbe(address="198.18.2.3", rtt_ms=12.5),
    )
    event = HopEvent(agent=A, target=T, ttl=2, probes=probes)
    assert render(event) == " 2  r2.lab (198.18.2.2)  0.500 ms  0.250 ms  *  198.18.2.3  12.5 ms"


def test_unreachable_and_fragmentation_marks_follow_the_time() -> None:
    probes = (
        HopProbe(address="198.18.2.2", rtt_ms=1.0, icmp_error="host_unreachable"),
        HopProbe(address="198.18.2.2", rtt_ms=1.0, icmp_error="frag_needed", mtu=1400),
    )
    event = HopEvent(agent=A, target=T, ttl=2, probes=probes)
    assert render(event) == " 2  198.18.2.2  1.00 ms !H  1.00 ms !F-1400"


def test_mtr_rounds_print_nothing_until_the_report() -> None:
    event = HopEvent(agent=A, target=T, ttl=1, probes=(HopProbe(),), probe="mtr")
    assert render(event) is None


def test_mtr_report_has_a_row_per_hop_and_a_line_per_extra_responder() -> None:
    rows = (
        HopStats(
            ttl=1,
            addresses=("198.18.1.1",),
            names=(None,),
            sent=10,
            received=10,
            loss=0.0,
            last_ms=0.1,
            avg_ms=0.12,
            best_ms=0.09,
            worst_ms=0.2,
            stddev_ms=0.03,
        ),
        HopStats(
            ttl=2,
            addresses=("198.18.2.2", "198.18.2.3"),
            names=("r2.lab", None),
            sent=10,
            received=7,
            loss=30.0,
            last_ms=10.5,
            avg_ms=11.0,
            best_ms=10.0,
            worst_ms=12.0,
            stddev_ms=0.5,
        ),
        HopStats(ttl=3, addresses=(), names=(), sent=10, received=0, loss=100.0),
    )
    event = PathSummaryEvent(agent=A, target=T, address=T, probe="mtr", reached=False, hops=rows)
    lines = (render(event) or "").split("\n")
    assert lines[0].startswith("HOST: local")
    assert lines[0].endswith("StDev")
    assert lines[1].split() == [
        "1.|--",
        "198.18.1.1",
        "0.0%",
        "10",
        "0.10",
        "0.12",
        "0.09",
        "0.20",
        "0.03",
    ]
    assert lines[2].split() == [
        "2.|--",
        "r2.lab",
        "30.0%",
        "10",
        "10.5",
        "11.0",
        "10.0",
        "12.0",
        "0.50",
    ]
    assert lines[3].split() == ["|", "198.18.2.3"]
    assert lines[4].split()[:3] == ["3.|--", "???", "100.0%"]


def test_traceroute_closes_with_the_verdict_and_path_mtu() -> None:
    event = PathSummaryEvent(
        agent=A, target=T, address=T, probe="traceroute", reached=True, hops=(), path_mtu=1400
    )
    assert render(event) == "--- 198.18.3.2 (198.18.3.2) reached in 0 hops, path MTU 1400 ---"
