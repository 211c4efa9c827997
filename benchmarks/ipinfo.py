"""IP info look-ups from an MMDB file against the raw ``maxminddb`` reader, and the cost of
annotating a 30-hop traceroute on the hub (issue 17: goal under 1 ms).

The file is the real-size country database python-geoacumen ships (10 MB, 1.27 M nodes), read
into memory by both sides; the addresses are random public ones (a fixed seed). Rounds
alternate the two sides and the tables print medians.
"""

from __future__ import annotations

import ipaddress
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import maxminddb

from benchmarks.common import Table
from cloudping.events import HopEvent, HopProbe, HopStats, PathSummaryEvent
from cloudping.ipinfo.annotate import annotated
from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo
from cloudping.ipinfo.setup import keyless_country
from cloudping.special import Address, special_range

ROUNDS = 5
ADDRESSES = 4000  # within the router's memo, so that the warm pass is all hits
HOPS = 30
ANNOTATIONS = 100  # traceroutes annotated per round (3000 distinct addresses)


def _addresses(count: int) -> list[Address]:
    rng = random.Random(17)  # noqa: S311 (test data)
    found: list[Address] = []
    while len(found) < count:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if special_range(ip) is None:
            found.append(ip)
    return found


def _per_second(run: Callable[[], None], count: int) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def _traceroute(addresses: list[Address]) -> list[HopEvent | PathSummaryEvent]:
    """A 30-hop traceroute's events: one hop event per TTL, then the path summary."""
    hops = [
        HopEvent(agent="a", target="t", ttl=n + 1, probes=(HopProbe(address=str(ip), rtt_ms=1.0),))
        for n, ip in enumerate(addresses)
    ]
    stats = tuple(
        HopStats(ttl=n + 1, addresses=(str(ip),), names=(None,), sent=1, received=1, loss=0.0)
        for n, ip in enumerate(addresses)
    )
    summary = PathSummaryEvent(
        agent="a", target="t", address=str(addresses[-1]), probe="traceroute", reached=True,
        hops=stats,
    )  # fmt: skip
    return [*hops, summary]


def bench(_lab: object = None) -> Table:
    """Look-ups per second (raw reader, cloudping cold and warm) and the annotation cost."""
    path = keyless_country()
    assert path is not None, "python-geoacumen is a dependency"
    addresses = _addresses(ADDRESSES)
    raw = maxminddb.open_database(str(path), maxminddb.MODE_MEMORY)
    source = MmdbFile(Path(path), "geoacumen")
    figures: dict[str, list[float]] = {
        key: [] for key in ("raw", "cold", "warm", "ann_cold", "ann_warm")
    }
    paths = [_traceroute(addresses[i : i + HOPS]) for i in range(0, HOPS * ANNOTATIONS, HOPS)]
    for _ in range(ROUNDS):
        figures["raw"].append(_per_second(_raw(raw, addresses), ADDRESSES))
        router = Ipinfo([source])  # a fresh memo: every look-up reads the file
        figures["cold"].append(_per_second(_lookups(router, addresses), ADDRESSES))
        figures["warm"].append(_per_second(_lookups(router, addresses), ADDRESSES))
        figures["ann_cold"].append(_annotation_ms(Ipinfo([source]), paths))
        figures["ann_warm"].append(_annotation_ms(router, paths))
    median = {key: statistics.median(values) for key, values in figures.items()}
    table = Table("IP info: MMDB look-ups (Geoacumen country file) and hop annotation")
    table.row("maxminddb reader, get()", lookups_per_s=median["raw"], ratio=1.0)
    table.row(
        "cloudping, cold (file read)",
        lookups_per_s=median["cold"],
        ratio=median["cold"] / median["raw"],
    )
    table.row(
        "cloudping, warm (memo hit)",
        lookups_per_s=median["warm"],
        ratio=median["warm"] / median["raw"],
    )
    raw_ms = 2 * HOPS / median["raw"] * 1000  # the same 60 addresses, raw reader, no events
    table.row("60 raw reader look-ups (reference)", ms=raw_ms, ratio=1.0)
    for kind in ("cold", "warm"):
        spent = median[f"ann_{kind}"]
        table.row(f"annotate a 30-hop traceroute, {kind}", ms=spent, ratio=spent / raw_ms)
    table.note(
        f"{ADDRESSES} random public IPv4 addresses, {ROUNDS} alternating rounds, medians; a "
        "traceroute's annotation covers its 30 hop events and the path summary's 30 rows"
    )
    return table


def _raw(reader: maxminddb.Reader, addresses: list[Address]) -> Callable[[], None]:
    def run() -> None:
        for ip in addresses:
            reader.get(ip)

    return run


def _lookups(router: Ipinfo, addresses: list[Address]) -> Callable[[], None]:
    def run() -> None:
        for ip in addresses:
            router.local(ip)

    return run


def _annotation_ms(router: Ipinfo, paths: list[list[HopEvent | PathSummaryEvent]]) -> float:
    start = time.perf_counter()
    for events in paths:
        for event in events:
            annotated(event, router.local)
    return (time.perf_counter() - start) * 1000 / len(paths)


if __name__ == "__main__":
    bench().print()
