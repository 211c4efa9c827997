"""cloudping's DNS queries versus kdig against the same unbound, per transport, in one run.

unbound serves the lab zone on the target (UDP/TCP 53, DoT 853, DoH 443). From the agent
namespace each tool asks ``www.lab A`` over one reused connection (kdig ``+keepopen``), in
alternating rounds, so load on the shared machine hits both alike:

- query latency: cloudping's is the query time its transport reports (from the packets: kernel
  receive stamps; ``dns_driver.py`` in the agent namespace, so interpreter start-up does not
  count); kdig's is the time it reports per query (``in 0.2 ms``, 0.1 ms resolution). The
  first query of a connection (setup plus query) is reported apart and left out of the medians.
- queries per second over one connection, one after another: cloudping's in-process loop;
  kdig's from the wall time of a long and a 1-query run (start-up cancels out).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from lab import Lab
from lab.pki import LabPki
from lab.unbound import lab_server

from benchmarks.common import Table, percentile

NAME = "www.lab"
DRIVER = Path(__file__).with_name("dns_driver.py")
TRANSPORTS = ("udp", "tcp", "dot", "doh")
ROUNDS, PER_ROUND, QPS_QUERIES = 3, 50, 500
_KDIG_TIME = re.compile(r"in ([\d.]+) ms")
_KDIG_FLAGS = {
    "udp": ["+notcp"],
    "tcp": ["+tcp"],
    "dot": ["+tls-hostname=dns.lab"],
    "doh": ["+https=/dns-query", "+tls-hostname=dns.lab"],
}


# -- the benchmark ---------------------------------------------------------------------------


def _cloudping(lab: Lab, transport: str, ca: Path, count: int) -> dict[str, Any]:
    # -P: the script's folder stays off sys.path, or this file would shadow dnspython.
    argv = [sys.executable, "-P", str(DRIVER), transport, lab.addr("target", 4), str(ca)]
    out = lab.run("agent", [*argv, str(count)], timeout=120).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def _kdig(lab: Lab, transport: str, ca: Path, count: int) -> tuple[list[float], float]:
    """kdig's reported times for ``count`` queries on one connection, and its wall time."""
    tls = [f"+tls-ca={ca}"] if transport in ("dot", "doh") else []
    argv = ["kdig", f"@{lab.addr('target', 4)}", "+keepopen", "+noall", "+stats"]
    argv += [*_KDIG_FLAGS[transport], *tls, *[NAME] * count]
    started = time.perf_counter()
    out = lab.run("agent", argv, timeout=120).stdout
    wall = time.perf_counter() - started
    times = [float(t) for t in _KDIG_TIME.findall(out)]
    if len(times) != count:
        raise RuntimeError(f"kdig answered {len(times)} of {count} queries over {transport}")
    return times, wall


def _latencies(lab: Lab, transport: str, ca: Path) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"cloudping": [], "kdig": [], "cp_first": [], "kdig_first": []}
    for _ in range(ROUNDS):  # alternating rounds
        ours = _cloudping(lab, transport, ca, PER_ROUND)
        found["cloudping"] += ours["latencies"]
        found["cp_first"].append(ours["first_ms"])
        theirs, _ = _kdig(lab, transport, ca, PER_ROUND + 1)
        found["kdig"] += theirs[1:]
        found["kdig_first"].append(theirs[0])
    return found


def _kdig_qps(lab: Lab, transport: str, ca: Path) -> float:
    _, one = _kdig(lab, transport, ca, 1)
    _, many = _kdig(lab, transport, ca, QPS_QUERIES + 1)
    return QPS_QUERIES / max(many - one, 1e-9)


def bench(lab: Lab) -> Table:
    """Per transport: median and p95 query time, first query on a new connection, and qps."""
    table = Table("dns: cloudping vs kdig against unbound on the lab target (agent -> target)")
    with tempfile.TemporaryDirectory(prefix="cp-bench-dns-") as tmp:
        pki = LabPki(Path(tmp) / "pki")
        addresses = [lab.addr("target", 4), lab.addr("target", 6)]
        server = lab_server(lab, Path(tmp) / "unbound", pki, addresses).start()
        try:
            for transport in TRANSPORTS:
                _rows(table, lab, transport, pki.ca_file)
        finally:
            server.stop()
    table.note(f"{ROUNDS} alternating rounds x {PER_ROUND} queries per tool and transport")
    table.note(f"qps: {QPS_QUERIES} sequential queries over one connection")
    table.note("kdig reports 0.1 ms steps; cloudping's are the query times it reports")
    return table


def _rows(table: Table, lab: Lab, transport: str, ca: Path) -> None:
    found = _latencies(lab, transport, ca)
    ours_qps = _cloudping(lab, transport, ca, QPS_QUERIES)["qps"]
    for tool, first, qps in (
        ("cloudping", "cp_first", ours_qps),
        ("kdig", "kdig_first", _kdig_qps(lab, transport, ca)),
    ):
        samples = found[tool]
        table.row(
            f"{transport:<4} {tool}",
            queries=len(samples),
            median_ms=statistics.median(samples),
            p95_ms=percentile(samples, 95),
            first_query_ms=statistics.median(found[first]),
            qps=qps,
        )
