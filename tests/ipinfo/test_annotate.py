"""Every responder and target annotated from local data (issue 17, "every hop annotated")."""

from __future__ import annotations

from pathlib import Path

from cloudping.events import (
    HopEvent,
    HopProbe,
    HopStats,
    PathSummaryEvent,
    PingSummaryEvent,
    Responder,
    ScanSummaryEvent,
    to_dict,
)
from cloudping.ipinfo.annotate import annotated
from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo
from cloudping.render.terminal.path import hop as hop_line


def router(lab_files: tuple[Path, Path]) -> Ipinfo:
    city, asn = lab_files
    return Ipinfo([MmdbFile(asn, "geoip-asn"), MmdbFile(city, "geoip-city")])


def test_each_responder_of_a_hop_carries_its_network_and_place(
    lab_files: tuple[Path, Path],
) -> None:
    event = HopEvent(
        agent="a1",
        target="198.18.3.2",
        ttl=2,
        probes=(HopProbe(address="198.18.2.2", rtt_ms=0.3), HopProbe()),
    )
    done = annotated(event, router(lab_files).local)
    assert isinstance(done, HopEvent)
    assert to_dict(done)["probes"][0] | {"rtt_ms": None} == {
        "address": "198.18.2.2",
        "rtt_ms": None,
        "name": None,
        "icmp_error": None,
        "mtu": None,
        "asn": 65002,
        "as_name": "LAB-CORE",
        "country": "NL",
        "city": "Amsterdam",
    }
    assert done.probes[1] == HopProbe()  # nobody answered: nothing to annotate
    assert hop_line(done) == " 2  198.18.2.2 [AS65002 LAB-CORE]  0.300 ms  *"


def test_a_path_summary_lists_responders_beside_the_parallel_lists(
    lab_files: tuple[Path, Path],
) -> None:
    stats = HopStats(
        ttl=3,
        addresses=("198.18.3.2", "192.0.2.9"),
        names=("target.lab", None),
        sent=2,
        received=2,
        loss=0.0,
    )
    summary = PathSummaryEvent(
        agent="a1",
        target="198.18.3.2",
        address="198.18.3.2",
        probe="traceroute",
        reached=True,
        hops=(stats,),
    )
    done = annotated(summary, router(lab_files).local)
    assert isinstance(done, PathSummaryEvent)
    assert done.hops[0].responders == (
        Responder(
            address="198.18.3.2",
            name="target.lab",
            asn=65003,
            as_name="LAB-TARGET",
            country="FR",
            city="Paris",
        ),
        Responder(address="192.0.2.9"),
    )
    assert done.hops[0].addresses == stats.addresses


def test_a_ping_summary_carries_the_target_network_and_null_when_unknown(
    lab_files: tuple[Path, Path],
) -> None:
    ping = PingSummaryEvent(
        agent="a1", target="t", address="198.18.3.2", sent=1, received=1, loss=0.0
    )
    done = annotated(ping, router(lab_files).local)
    assert isinstance(done, PingSummaryEvent)
    assert (done.asn, done.as_name, done.country, done.city) == (
        65003,
        "LAB-TARGET",
        "FR",
        "Paris",
    )
    elsewhere = annotated(
        PingSummaryEvent(agent="a1", target="t", address="::1", sent=1, received=0, loss=100.0),
        router(lab_files).local,
    )
    assert isinstance(elsewhere, PingSummaryEvent)
    assert elsewhere.asn is None


def test_a_hop_outside_every_file_is_left_with_nulls(lab_files: tuple[Path, Path]) -> None:
    event = HopEvent(agent="a", target="t", ttl=1, probes=(HopProbe(address="192.0.2.1"),))
    done = annotated(event, router(lab_files).local)
    assert isinstance(done, HopEvent)
    assert (done.probes[0].asn, done.probes[0].country) == (None, None)


def test_a_scan_summary_carries_the_network_of_its_range(lab_files: tuple[Path, Path]) -> None:
    scan = ScanSummaryEvent(
        agent="a1", target="198.18.2.0/29", total=8, probed=8, alive=2, unreachable=6,
        alive_ranges=("198.18.2.1/32",), sent=8, rate_pps=100.0, duration_ms=10.0,
    )  # fmt: skip
    done = annotated(scan, router(lab_files).local)
    assert isinstance(done, ScanSummaryEvent)
    assert (done.asn, done.as_name, done.country) == (65002, "LAB-CORE", "NL")
