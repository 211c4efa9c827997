"""cloudping scan versus fping on the lab, and a /16 sweep at the rate cap.

1. The target's /24 with a known set of extra live addresses, swept alternately by
   ``cloudping scan -W 1 -r 1 --rate 1000`` and ``fping -g -r 1 -t 1000 -B 1 -i 1`` (the same
   timeout, one retry, no backoff, 1000 packets/s), and by fping with its defaults: the alive
   sets must match; wall times and their ratio are printed (cloudping's includes Python's
   start-up; the scan's own duration is shown too).
2. A mostly silent /16 (198.19.0.0/16, a blackhole route on r1) swept in one process at the
   policy's rate cap (run under a ``Limits`` variant that allows a /16): packets per second
   sustained, CPU time and peak RSS of the process.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from lab import Lab

from benchmarks.common import Table
from cloudping.policy import DEFAULT_LIMITS

NET = "198.18.3.0/24"
EXTRA = [f"198.18.3.{i}" for i in (*range(10, 20), 100, 200, 201, 254)]
BIG = "198.19.0.0/16"
ROUNDS = 3

# The /16 sweep, run inside the agent namespace: parse with a Limits variant that allows a
# /16, run the probe in-process, print the summary, CPU seconds and peak RSS as JSON.
_WORKER = """
import asyncio, dataclasses, json, resource, sys
from cloudping.commands import parse_args
from cloudping.policy import DEFAULT_LIMITS
from cloudping.probes.scan import probe as scan
from cloudping.probes.env import ProbeEnv

limits = dataclasses.replace(DEFAULT_LIMITS, scan_ipv4_min_prefixlen=16)
cmd = parse_args(["scan", *sys.argv[1:]], limits=limits)
answers = []

async def main():
    async with ProbeEnv() as env:
        return await scan.run(cmd, env, answers.append)

[summary] = asyncio.run(main())
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"summary": dataclasses.asdict(summary), "rss_kb": usage.ru_maxrss,
                  "cpu_s": usage.ru_utime + usage.ru_stime}))
"""


def _timed(lab: Lab, argv: list[str], timeout: float = 120) -> tuple[str, float]:
    started = time.monotonic()
    out = lab.run("agent", argv, timeout=timeout, check=False).stdout
    return out, time.monotonic() - started


def cloudping(lab: Lab) -> tuple[set[str], float, float]:
    """(alive set, wall seconds, the scan's own seconds) of one cloudping scan."""
    argv = [sys.executable, "-m", "cloudping", "scan", "--json", "-W", "1", "-r", "1"]
    out, wall = _timed(lab, [*argv, "--rate", "1000", NET])
    events = [json.loads(line) for line in out.splitlines()]
    alive = {e["address"] for e in events if e["type"] == "scan" and e["state"] == "alive"}
    [summary] = [e for e in events if e["type"] == "summary"]
    return alive, wall, summary["duration_ms"] / 1000


def fping(lab: Lab, *options: str) -> tuple[set[str], float]:
    """(alive set, wall seconds) of one ``fping -g`` of the /24."""
    out, wall = _timed(lab, ["fping", "-g", NET, "-a", "-q", *options])
    return set(out.split()), wall


def fping_table(lab: Lab) -> Table:
    table = Table(f"scan {NET} ({len(EXTRA)} extra live addresses): cloudping vs fping")
    equal = ("-r", "1", "-t", "1000", "-B", "1", "-i", "1")
    runs: dict[str, list[float]] = {"cloudping": [], "scan only": [], "fping": [], "default": []}
    found: dict[str, set[str]] = {}
    with _extra_addresses(lab):
        for _ in range(ROUNDS):
            found["cloudping"], wall, own = cloudping(lab)
            runs["cloudping"].append(wall)
            runs["scan only"].append(own)
            found["fping"], wall = fping(lab, *equal)
            runs["fping"].append(wall)
        found["default"], wall = fping(lab)
        runs["default"].append(wall)
    fping_s = statistics.median(runs["fping"])
    names = {
        "cloudping": "cloudping scan -W 1 -r 1 --rate 1000 (wall)",
        "scan only": "  the scan itself (summary duration)",
        "fping": "fping -g -r 1 -t 1000 -B 1 -i 1",
        "default": "fping -g (defaults: -r 3 -t 500 -B 1.5 -i 10)",
    }
    for key, name in names.items():
        median = statistics.median(runs[key])
        table.row(name, wall_s_median=median, ratio_to_fping=median / fping_s)
    same = found["cloudping"] == found["fping"] == found["default"]
    table.note(f"alive sets equal: {same} (fping -g skips .0 and .255, silent here anyway)")
    table.note(f"cloudping found: {', '.join(sorted(found['cloudping'], key=_key))}")
    table.note(f"medians of {ROUNDS} alternating rounds (fping defaults: one run)")
    return table


def sweep_table(lab: Lab) -> Table:
    rate = DEFAULT_LIMITS.scan_rate_max
    table = Table(f"scan {BIG} (mostly silent, blackholed on r1) at the rate cap {rate} pps")
    with _blackhole(lab):
        args = ["-W", "1", "-r", "0", "--rate", str(rate), BIG]
        argv = [sys.executable, "-c", _WORKER, *args]
        out, wall = _timed(lab, argv, timeout=300)
    result = json.loads(out)
    summary = result["summary"]
    table.row(
        "cloudping, one process",
        addresses=summary["probed"],
        sent=summary["sent"],
        pps_sustained=summary["rate_pps"],
        scan_s=summary["duration_ms"] / 1000,
        cpu_s=result["cpu_s"],
        peak_rss_mib=result["rss_kb"] / 1024,
    )
    table.note(f"wall time with interpreter start-up: {wall:.2f} s")
    table.note("run under Limits(scan_ipv4_min_prefixlen=16); the CLI allows at most a /20")
    return table


def _key(address: str) -> tuple[int, ...]:
    return tuple(int(part) for part in address.split("."))


@contextmanager
def _extra_addresses(lab: Lab) -> Iterator[None]:
    """The extra live addresses on the target, removed afterwards (the lab is shared)."""
    lab.add_addresses("target", 4, EXTRA)
    try:
        yield
    finally:
        for address in EXTRA:
            argv = ["ip", "addr", "del", f"{address}/32", "dev", lab.iface("target")]
            lab.run("target", argv, timeout=5, check=False)


@contextmanager
def _blackhole(lab: Lab) -> Iterator[None]:
    """A blackhole route for the /16 on r1 (no ICMP error comes back), removed afterwards."""
    lab.run("r1", ["ip", "route", "add", "blackhole", BIG], timeout=5)
    try:
        yield
    finally:
        lab.run("r1", ["ip", "route", "del", "blackhole", BIG], timeout=5, check=False)


def main() -> None:
    with Lab.build() as lab:
        fping_table(lab).print()
        sweep_table(lab).print()


if __name__ == "__main__":
    main()
