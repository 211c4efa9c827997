"""Run the benchmarks on one network lab and print the tables (needs root).

``python benchmarks/run.py [NAME...]`` runs the named ones (ping, startup, path, scan, dns, http,
hub, hub10k, scale, scale10k, mcp, settings, web, routes, probe, telegram, ipinfo, mail,
aspath), default all but scale10k.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Python put this script's folder first; there benchmarks/http.py, dns.py and mcp.py would
# hide the packages of those names. The repository root (the package `benchmarks`) and the
# lab take its place.
HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [str(ROOT), str(ROOT / "tests")] + [
    entry for entry in sys.path if str(Path(entry or ".").resolve()) != HERE
]

from lab import Lab  # noqa: E402

from benchmarks import (  # noqa: E402
    aspath,
    bgp_table,
    dns,
    http,
    hub,
    hub10k,
    ipinfo,
    mail,
    mcp,
    path,
    ping_rtt,
    probe,
    routes,
    scale,
    scan,
    settings,
    startup,
    telegram,
    web,
)
from benchmarks.common import Table  # noqa: E402

BENCHMARKS: dict[str, list[Callable[[Lab], Table]]] = {
    "ping": [ping_rtt.bench],
    "startup": [startup.bench],
    "path": [path.traceroute_table, path.mtr_table],
    "scan": [scan.fping_table, scan.sweep_table],
    "dns": [dns.bench],
    "http": [http.bench],
    "hub": [hub.bench],
    "scale": [scale.bench],
    "hub10k": [hub10k.bench],
    "scale10k": [scale.bench_10k],
    "mcp": [mcp.latency_table, mcp.swarm_table],
    "settings": [settings.parse_table, settings.log_table],
    "web": [web.bench],
    "routes": [routes.bench],
    "probe": [probe.bench],
    "telegram": [telegram.bench],
    "ipinfo": [ipinfo.bench, bgp_table.bench],
    "mail": [mail.bench],
    "aspath": [aspath.bench],
}


OPT_IN = {"scale10k"}  # minutes of CPU: run it by name


def main(names: list[str]) -> None:
    unknown = set(names) - BENCHMARKS.keys()
    if unknown:
        raise SystemExit(
            f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {', '.join(BENCHMARKS)}"
        )
    with Lab.build() as lab:
        for name in names or [name for name in BENCHMARKS if name not in OPT_IN]:
            for bench in BENCHMARKS[name]:
                bench(lab).print()


if __name__ == "__main__":
    main(sys.argv[1:])
