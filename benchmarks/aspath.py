"""The expected AS path of a traceroute's address (issue 18) on a many-peer route store.

A synthetic TABLE_DUMP_V2 dump: 20,000 IPv4 /24s, each seen by 16 peers through one of three
transit paths (a route collector's view: many peers, few distinct paths), 320,000 entries,
ingested once as a route store generation. Figures per address, on random addresses inside
the announced space: :func:`~cloudping.ipinfo.aspath.expected_paths` (what the hub runs once
per path summary, in a worker thread: the longest-match query and the grouping), beside the
``route ADDRESS`` answer (the same query, every route turned into JSON and text) and the
reference tool, ``bgpdump -m`` reading the dump and keeping the prefix's lines (how one gets
the AS paths of an address from a dump without a store).
"""

from __future__ import annotations

import ipaddress
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from routes.mrtbytes import Entry, peer_index, rib

from benchmarks.common import Table, percentile
from cloudping.commands import RouteCommand, parse
from cloudping.ipinfo.aspath import expected_paths
from cloudping.routes.answer import route_answer
from cloudping.routes.ingest import ingest
from cloudping.routes.lookup import RouteStore

PREFIXES = 20_000
PEERS = [(f"192.0.2.{n + 1}", 64600 + n) for n in range(16)]
TRANSITS = ((3356, 1299), (174,), (6939, 2914))
BASE = 16 << 24  # 16.0.0.0
ADDRESSES = 300
REFERENCE_ROUNDS = 3  # bgpdump reads the whole dump per question: seconds each


def _dump(path: Path) -> None:
    parts = [peer_index(PEERS)]
    for i in range(PREFIXES):
        prefix = f"{ipaddress.IPv4Address(BASE + i * 256)}/24"
        origin = 64512 + i % 4000
        entries = [
            Entry(p, (asn, *TRANSITS[(p + i) % 3 if p % 4 else 0], origin))
            for p, (_, asn) in enumerate(PEERS)
        ]
        parts.append(rib(prefix, entries, seq=i))
    path.write_bytes(b"".join(parts))


def _per_address(ask: Callable[[str], object], addresses: list[str]) -> list[float]:
    times = []
    for address in addresses:
        started = time.perf_counter()
        ask(address)
        times.append(time.perf_counter() - started)
    return times


def _bgpdump(dump: Path, prefix: str) -> float:
    started = time.perf_counter()
    out = subprocess.run(["bgpdump", "-m", str(dump)], capture_output=True, check=True).stdout
    found = [line for line in out.splitlines() if f"|{prefix}|".encode() in line]
    assert len(found) == len(PEERS)
    return time.perf_counter() - started


def bench(_lab: object = None) -> Table:
    """Per-address time of the expected paths beside ``route ADDRESS`` and bgpdump."""
    rng = random.Random(18)  # noqa: S311 (addresses to look up, not secrets)
    with tempfile.TemporaryDirectory() as work:
        dump, data = Path(work) / "table.mrt", Path(work) / "data"
        _dump(dump)
        ingest(data, "bench", str(dump), now=0.0)
        store = RouteStore(data)
        addresses = [
            str(ipaddress.IPv4Address(BASE + rng.randrange(PREFIXES * 256)))
            for _ in range(ADDRESSES)
        ]
        paths = _per_address(lambda a: expected_paths(store, a), addresses)
        commands = {a: parse(f"route {a}") for a in addresses}

        def answer(address: str) -> object:
            command = commands[address]
            assert isinstance(command, RouteCommand)
            return route_answer(store, command)

        routes = _per_address(answer, addresses)
        assert len(expected_paths(store, addresses[0])) == len(TRANSITS)
        reference = [
            _bgpdump(dump, expected_paths(store, a)[0].prefix) for a in addresses[:REFERENCE_ROUNDS]
        ]
    table = Table(f"expected AS path: {PREFIXES * len(PEERS):,} entries, {len(PEERS)} peers")
    slowest = statistics.median(reference)
    for name, times in (
        ("bgpdump -m DUMP, the prefix's lines (reference)", reference),
        ("route ADDRESS (query, JSON and text)", routes),
        ("expected_paths (query and grouping, per summary)", paths),
    ):
        median = statistics.median(times)
        table.row(
            name,
            p50_ms=median * 1000,
            p95_ms=percentile(times, 95) * 1000,
            ratio=slowest / median,
        )
    table.note("ratio = bgpdump's median / this one's; one look-up per path summary's address")
    return table
