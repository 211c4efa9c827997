"""cloudping traceroute and mtr versus traceroute(8) and mtr on the lab path, same run.

traceroute: wall time of each (ICMP and UDP, alternating rounds, medians). mtr: ``-c 10`` at
the default 1 s interval versus ``mtr -r -c 10``, wall time and per-hop loss and average.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Sequence

from lab import Lab

from benchmarks.common import Table

ROUNDS = 5


def _wall(lab: Lab, argv: Sequence[str]) -> tuple[float, str]:
    started = time.perf_counter()
    out = lab.run("agent", argv, timeout=120, check=False).stdout
    return time.perf_counter() - started, out


def _cloudping(*args: str) -> list[str]:
    return [sys.executable, "-m", "cloudping", *args]


def _measured_ms(out: str) -> float:
    """The measurement's own duration (its ``end`` event): without interpreter start-up."""
    end = [e for e in map(json.loads, out.splitlines()) if e["type"] == "end"]
    return float(end[-1]["duration_ms"]) if end else float("nan")


def traceroute_table(lab: Lab) -> Table:
    table = Table("traceroute: cloudping vs traceroute -n (3 hops, 3 probes per hop)")
    target = lab.addr("target", 4)
    for proto, flags in (("icmp", ["-I"]), ("udp", [])):
        ours: list[tuple[float, float]] = []
        theirs: list[float] = []
        for _ in range(ROUNDS):
            theirs.append(_wall(lab, ["traceroute", "-n", *flags, target])[0])
            wall, out = _wall(lab, _cloudping("--json", "traceroute", "--proto", proto, target))
            ours.append((wall, _measured_ms(out)))
        ref = statistics.median(theirs) * 1000
        mine = statistics.median(w for w, _ in ours) * 1000
        measured = statistics.median(m for _, m in ours)
        table.row(f"{proto} traceroute -n", process_wall_ms=ref)
        table.row(
            f"{proto} cloudping",
            process_wall_ms=mine,
            measurement_ms=measured,
            process_ratio=mine / ref,
            measurement_ratio=measured / ref,
        )
    table.note("measurement_ms: from the measurement's start to its end event, in the process")
    return table


def mtr_table(lab: Lab) -> Table:
    table = Table("mtr: cloudping mtr -c 10 vs mtr -r -c 10 (1 s interval)")
    target = lab.addr("target", 4)
    ref_time, ref_out = _wall(lab, ["mtr", "-n", "-r", "-c", "10", target])
    our_time, our_out = _wall(lab, _cloudping("--json", "mtr", "-c", "10", target))
    table.row("mtr -r", wall_s=ref_time)
    table.row("cloudping mtr", wall_s=our_time, ratio=our_time / ref_time)
    summary = next(e for e in map(json.loads, our_out.splitlines()) if e["type"] == "summary")
    ref_rows = [line.split() for line in ref_out.splitlines() if "|--" in line]
    for ours, theirs in zip(summary["hops"], ref_rows, strict=False):
        table.note(
            f"hop {ours['ttl']}: cloudping {ours['addresses'][0]} loss {ours['loss']:.0f}% avg "
            f"{ours['avg_ms']:.3f} ms | mtr {theirs[1]} loss {theirs[2]} avg {theirs[5]} ms"
        )
    return table
