"""Route ingest versus ``bgpdump -m`` on a 100k+ entry BIRD table, and queries on 1M+ entries.

1. r1 and target announce the same /32s (v4) over eBGP to r2, each with varied prepends and
   communities; r2's master4, dumped by BIRD, holds two entries per prefix. Alternating
   rounds: ``bgpdump -m FILE`` (C, parse and print, output discarded) against ``cloudping
   route ingest FILE`` (parse and store in SQLite, indexes included), both as processes,
   with their peak RSS (``wait4``). The ratio is bgpdump's time over ours (>= 1: we are as
   fast). In-process: our reader alone, our parse+store, and mrtparse's parse (pure Python),
   with no interpreter start-up.
2. The table replicated to 1M+ entries (its prefixes moved to other /8s: data only), loaded
   once; p50/p95 of each query type over random keys taken from the table; the file's size.
3. The PostgreSQL store beside the SQLite one on the lab table, in the same run: ingest
   entries/s (wall: PostgreSQL's work is in its server) and the p50 of each query type.
"""

from __future__ import annotations

import ipaddress
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from lab import Lab
from lab.bird import BirdLab, StaticRoute
from routes.postgres import throwaway_postgres

from benchmarks.common import Table, percentile
from cloudping.routes.dumpfile import file_chunks, rows
from cloudping.routes.generation import load
from cloudping.routes.lookup import RouteSources, RouteStore
from cloudping.routes.model import RouteQuery
from cloudping.routes.mrt import RibRow, TableDumpReader
from cloudping.routes.pgstore import PgRouteStore

PREFIXES = 60_000  # per announcing router; r2 sees each from two peers: 120k entries
ROUNDS = 3
COPIES = 9  # 120k x 9 > 1M entries for the query figures
QUERIES = 200  # per query type


def announced(count: int) -> list[StaticRoute]:
    """``count`` /32s of 198.18.128.0/17 + 198.19.0.0/16, paths of 1-4 ASNs, communities."""
    space = ipaddress.ip_network("198.19.0.0/16")
    hosts = [*space, *ipaddress.ip_network("198.18.128.0/17")][:count]
    return [
        StaticRoute(
            f"{host}/32",
            tuple(64512 + (i * k) % 900 for k in range(1, 1 + i % 4)),
            ((65000 + i % 3, i % 1000),),
            ((4200000000, i % 50, 1),) if i % 2 else (),
        )
        for i, host in enumerate(hosts)
    ]


def bird_table(lab: Lab, directory: Path) -> Path:
    """r2's master4 with every announced /32 from r1 and from target."""
    statics = announced(PREFIXES)
    routers = BirdLab(lab, directory, {"r1": statics, "r2": [], "target": statics})
    try:
        routers.start()
        return routers.dump(4, directory / "r2-master4.mrt")
    finally:
        routers.close()


def timed(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one process, measured
    by GNU time (a child forked from this Python process would report this one's RSS)."""
    timing = ["/usr/bin/time", "-f", "%e %U %S %M", *argv]
    done = subprocess.run(timing, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=True, timeout=600)  # fmt: skip
    wall, user, system, rss = done.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss)


def ingest_table(dump: Path, work: Path) -> Table:
    table = Table("route ingest vs bgpdump -m (r2's eBGP table, 2 entries per prefix)")
    entries = sum(1 for _ in rows(file_chunks(dump), TableDumpReader()))
    runs: dict[str, list[tuple[float, float, int]]] = {}
    for round_ in range(ROUNDS):
        runs.setdefault("bgpdump -m", []).append(timed(["bgpdump", "-m", str(dump)]))
        data = work / f"round{round_}"
        argv = [sys.executable, "-m", "cloudping", "route", "ingest", str(dump)]
        argv += ["--source", "lab", "--data-dir", str(data)]
        runs.setdefault("cloudping route ingest", []).append(timed(argv))
        runs.setdefault("  in-process: parse only", []).append(_cpu(lambda: _parse(dump)))
        runs.setdefault("  mrtparse 2.2: parse only", []).append(_cpu(lambda: _mrtparse(dump)))
        stored = partial(_load, dump, work / f"inproc{round_}")
        runs.setdefault("  in-process: parse+store", []).append(_cpu(stored))
    reference = statistics.median(run[1] for run in runs["bgpdump -m"])
    reference_wall = statistics.median(run[0] for run in runs["bgpdump -m"])
    for name, samples in runs.items():
        wall = statistics.median(run[0] for run in samples)
        cpu = statistics.median(run[1] for run in samples)
        table.row(
            name,
            entries=entries,
            wall_s=wall,
            cpu_s=cpu,
            entries_per_cpu_s=entries / cpu,
            ratio_cpu=reference / cpu,
            ratio_wall=reference_wall / wall,
            peak_rss_mib=max(run[2] for run in samples) / 1024,
        )
    table.note("ratio = bgpdump's time / this one's (>= 1.0: as fast as bgpdump -m parses); CPU")
    table.note("time is the fair figure on a loaded machine, wall time waits for the CPU too")
    table.note("in-process rows: no interpreter start-up; their RSS is this process's, not shown")
    return table


def _cpu(work: Callable[[], object]) -> tuple[float, float, int]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    work()
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.perf_counter() - started, cpu, 0


def _parse(dump: Path) -> int:
    return sum(1 for _ in rows(file_chunks(dump), TableDumpReader()))


def _mrtparse(dump: Path) -> int:
    """The RIB entries mrtparse (pure Python, the library the issue names) reads."""
    import mrtparse  # noqa: PLC0415 (a dev dependency, only for this comparison)

    return sum(len(e.data.get("rib_entries", ())) for e in mrtparse.Reader(str(dump)))


def _load(dump: Path, data: Path) -> None:
    reader = TableDumpReader()
    load(data, "lab", rows(file_chunks(dump), reader), reader, origin=str(dump), now=0.0)


def replicated(dump: Path) -> Iterator[RibRow]:
    """The table's rows, then ``COPIES - 1`` copies with the first octet moved (20, 21, ...)."""
    for copy in range(COPIES):
        reader = TableDumpReader()
        for row in rows(file_chunks(dump), reader):
            yield row if copy == 0 else row._replace(network=bytes([20 + copy]) + row.network[1:])


def query_table(dump: Path, work: Path) -> Table:
    data = work / "big"
    reader = TableDumpReader()
    started = time.perf_counter()
    result = load(data, "big", replicated(dump), _peers_of(dump, reader), origin="x", now=0.0)
    loaded = time.perf_counter() - started
    store = RouteStore(data)
    table = Table(f"route queries on {result.entries} entries (the lab table x {COPIES})")
    for name, samples in query_times(store, dump).items():
        table.row(name, p50_ms=percentile(samples, 50), p95_ms=percentile(samples, 95))
    size = result.path.stat().st_size if isinstance(result.path, Path) else 0
    table.note(
        f"load of the 1M+ table: {loaded:.1f} s; store size {size / 2**20:.0f} MiB "
        f"({size / result.entries:.0f} bytes per entry)"
    )
    table.note(
        "each query opens the serving file (a swap is seen at once) and reads up to 100 rows"
    )
    return table


def query_times(store: RouteSources, dump: Path) -> dict[str, list[float]]:
    """Milliseconds of each query of each type, over keys taken at random from ``dump``."""
    sample = [
        row for i, row in enumerate(rows(file_chunks(dump), TableDumpReader())) if i % 97 == 0
    ]
    rng = random.Random(7)  # noqa: S311 (keys to look up, not secrets)
    keys = [rng.choice(sample) for _ in range(QUERIES)]
    queries = {
        "address": [RouteQuery(prefix=str(ipaddress.ip_address(r.network))) for r in keys],
        "prefix exact": [RouteQuery(prefix=_prefix(r)) for r in keys],
        "more specific /24": [
            RouteQuery(prefix=f"{_prefix(r).split('/')[0]}/24", more_specific=True) for r in keys
        ],
        "less specific": [RouteQuery(prefix=_prefix(r), less_specific=True) for r in keys],
        "origin": [RouteQuery(origin=r.attributes.origin_as, limit=100) for r in keys],
        "neighbor": [RouteQuery(neighbor=r.attributes.neighbor_as, limit=100) for r in keys],
        "path segment": [RouteQuery(path=_segment(r), limit=100) for r in keys],
        "community": [RouteQuery(community=r.attributes.communities[0], limit=100) for r in keys],
        "large community": [
            RouteQuery(community=f"4200000000:{i % 50}:1", limit=100) for i in range(QUERIES)
        ],
    }
    times: dict[str, list[float]] = {}
    for name, asked in queries.items():
        for query in asked:
            started = time.perf_counter()
            store.lookup(query)
            times.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return times


def postgres_table(dump: Path, work: Path) -> Table:
    """The PostgreSQL store beside the SQLite one: the same dump loaded, the same queries."""
    table = Table("route store: PostgreSQL (COPY, cidr + GiST) beside SQLite, the lab table")
    with throwaway_postgres() as dsn:
        postgres = PgRouteStore(dsn)
        stores: dict[str, tuple[Path | PgRouteStore, RouteSources]] = {
            "sqlite": (work / "side", RouteStore(work / "side")),
            "postgresql": (postgres, postgres),
        }
        loads: dict[str, list[float]] = {}
        for _ in range(ROUNDS):
            for name, (target, _) in stores.items():
                reader = TableDumpReader()
                started = time.perf_counter()
                done = ingest_into(target, dump, reader)
                loads.setdefault(name, []).append(done / (time.perf_counter() - started))
        answers = {name: query_times(store, dump) for name, (_, store) in stores.items()}
        postgres.close()
    rates = {name: statistics.median(loads[name]) for name in stores}
    ratio = rates["postgresql"] / rates["sqlite"]
    table.row("ingest entries/s", **rates, postgresql_over_sqlite=ratio)
    for query in answers["sqlite"]:
        medians = {name: percentile(answers[name][query], 50) for name in stores}
        ratio = medians["postgresql"] / medians["sqlite"]
        table.row(f"{query} p50 ms", **medians, postgresql_over_sqlite=ratio)
    table.note("ingest: wall time (the server's work counts), median of the rounds; queries:")
    table.note("at most 100 routes, one call after another (PostgreSQL's connection kept)")
    return table


def ingest_into(target: Path | PgRouteStore, dump: Path, reader: TableDumpReader) -> int:
    chunks = rows(file_chunks(dump), reader)
    if isinstance(target, Path):
        return load(target, "lab", chunks, reader, origin=str(dump), now=0.0).entries
    return target.load("lab", chunks, reader, origin=str(dump), now=0.0).entries


def _peers_of(dump: Path, reader: TableDumpReader) -> TableDumpReader:
    for _ in rows(file_chunks(dump), reader):
        break
    return reader


def _prefix(row: RibRow) -> str:
    return f"{ipaddress.ip_address(row.network)}/{row.length}"


def _segment(row: RibRow) -> tuple[int, ...]:
    hops = [hop for hop in row.attributes.as_path if isinstance(hop, int)]
    return tuple(hops[-2:]) if len(hops) >= 2 else tuple(hops)


def bench(lab: Lab) -> Table:
    with tempfile.TemporaryDirectory(prefix="cloudping-routes-") as name:
        work = Path(name)
        dump = bird_table(lab, work)
        ingest_table(dump, work).print()
        postgres_table(dump, work).print()
        return query_table(dump, work)
