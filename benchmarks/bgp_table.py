"""The ``bgp`` IP info source's in-memory table (issue 17) on a 1.1M-prefix route store.

1,000,000 IPv4 prefixes (/24s, each /16 of them also announced whole, so most /24s nest in a
covering prefix) and 100,000 IPv6 /48s, one peer, 4,000 origins, loaded once as a route
store generation. Figures: the time to build the table from the generation (the SQL group
query and the sweep into ranges, as the hub does in a thread), its memory (the arrays it
keeps; the peak while building, from ``tracemalloc`` in a separate build), and look-ups per
second against the route store's own SQLite look-up (``RouteStore.origin_of``, the reference:
one query per address), on random addresses inside the announced space.
"""

from __future__ import annotations

import ipaddress
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from benchmarks.common import Table
from cloudping.ipinfo.bgp import BgpTable, OriginTable
from cloudping.routes.generation import load
from cloudping.routes.lookup import RouteStore
from cloudping.routes.mrt import Attributes, Peer, RibRow, TableDumpReader

V4 = 1_000_000
V6 = 100_000
ORIGINS = 4_000
BASE4 = 16 << 24  # 16.0.0.0: the /24s fill 16.0.0.0 - 31.66.63.255
BASE6 = 0x2A00 << 112
ROUNDS = 3
LOOKUPS = 100_000
REFERENCE_LOOKUPS = 500  # the SQLite query per address is ~1,000x slower


def _attributes(origin: int, v6: bool) -> Attributes:
    hop = "2001:db8::1" if v6 else "192.0.2.1"
    return Attributes((64500, origin), hop, (), (), ())


def _rows() -> Iterator[RibRow]:
    """The table in the order a dump gives it (by prefix), attribute keys in order of first
    use as the reader numbers them."""
    keys: dict[tuple[int, bool], int] = {}

    def row(family: int, network: bytes, length: int, index: int) -> RibRow:
        origin = 64512 + index % ORIGINS
        key = keys.setdefault((origin, family == 6), len(keys) + 1)
        return RibRow(family, network, length, 0, None, 0, key, _attributes(origin, family == 6))

    for i in range(V4):
        start = BASE4 + i * 256
        if i % 256 == 0:  # the /16 this /24 opens, announced too
            yield row(4, start.to_bytes(4, "big"), 16, i // 256 + 7)
        yield row(4, start.to_bytes(4, "big"), 24, i)
    for i in range(V6):
        yield row(6, (BASE6 + (i << 80)).to_bytes(16, "big"), 48, i)


def _store(data: Path) -> RouteStore:
    reader = TableDumpReader()
    reader.peers = (Peer("192.0.2.1", 64500, "192.0.2.1"),)
    load(data, "big", _rows(), reader, origin="synthetic", now=0.0)
    return RouteStore(data)


def _kept_bytes(table: OriginTable) -> int:
    total = 0
    for ranges in (table.v4, table.v6):
        total += sum(sys.getsizeof(part) for part in (ranges.lengths, ranges.origins))
        total += sys.getsizeof(ranges.starts)
        if isinstance(ranges.starts, list):  # IPv6 starts: Python ints, 128 bits each
            total += sum(sys.getsizeof(value) for value in ranges.starts)
    return total


def _addresses(rng: random.Random, count: int) -> list[ipaddress.IPv4Address]:
    return [ipaddress.IPv4Address(BASE4 + rng.randrange(V4 * 256)) for _ in range(count)]


def bench(_lab: object = None) -> Table:
    """Build time and memory of the table, and look-ups/s beside the SQLite look-up."""
    with tempfile.TemporaryDirectory() as work:
        started = time.perf_counter()
        store = _store(Path(work) / "data")
        loaded = time.perf_counter() - started
        builds, tables = [], []
        for _ in range(ROUNDS):
            source = BgpTable(store)
            started = time.perf_counter()
            source.reload()
            builds.append(time.perf_counter() - started)
            tables.append(source)
        tracemalloc.start()
        BgpTable(store).reload()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        source = tables[-1]
        rng = random.Random(17)  # noqa: S311 (addresses to look up, not secrets)
        ours, reference = [], []
        for _ in range(ROUNDS):
            asked = _addresses(rng, LOOKUPS)
            started = time.perf_counter()
            for ip in asked:
                source.find(ip)
            ours.append(LOOKUPS / (time.perf_counter() - started))
            asked = asked[:REFERENCE_LOOKUPS]
            started = time.perf_counter()
            for ip in asked:
                store.origin_of(str(ip))
            reference.append(REFERENCE_LOOKUPS / (time.perf_counter() - started))
        kept = _kept_bytes(source._table)
        prefixes = source.prefixes
    table = Table(f"bgp table: {prefixes:,} prefixes in memory vs the route store's SQLite")
    sql, mine = statistics.median(reference), statistics.median(ours)
    table.row("RouteStore.origin_of (SQLite query per address)", lookups_per_s=sql, ratio=1.0)
    table.row("bgp table find() (bisect in memory)", lookups_per_s=mine, ratio=mine / sql)
    table.row("build the table from the generation", s=statistics.median(builds))
    table.row("memory kept by the table", mib=kept / 2**20)
    table.row("peak memory while building (tracemalloc)", mib=peak / 2**20)
    table.note(
        f"store loaded once in {loaded:.1f} s; {ROUNDS} rounds, medians; look-ups on random "
        "IPv4 addresses of the announced space, the bgp side without the router's memo"
    )
    return table


if __name__ == "__main__":
    bench().print()
