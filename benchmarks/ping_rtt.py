"""cloudping ping versus iputils ping on the lab path, in the same run.

Both tools ping the lab target from the agent namespace in alternating rounds (so load on the
shared machine hits both alike). Printed: RTT median and p95 of each over every packet, the
median bias, CPU time per packet (marginal: the difference between a long and a 1-packet run,
so interpreter start-up is left out; and the whole run), and a 100 packets/s run checking that
every sequence number got exactly one reply and nothing was misattributed.
"""

from __future__ import annotations

import json
import re
import resource
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lab import Family, Lab

from benchmarks.common import Table, percentile

_IPUTILS_RTT = re.compile(r"icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms")


@dataclass
class Run:
    """One tool's run: RTTs by sequence number and the CPU seconds it used."""

    rtts: dict[int, list[float]]
    cpu_s: float
    stray: int = 0

    @property
    def samples(self) -> list[float]:
        return [rtt for per_seq in self.rtts.values() for rtt in per_seq]


def _timed(lab: Lab, argv: Sequence[str], timeout: float) -> tuple[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = lab.run("agent", argv, timeout=timeout, check=False).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def iputils(lab: Lab, family: Family, count: int, interval: float) -> Run:
    argv = [
        "ping",
        f"-{family}",
        "-n",
        "-c",
        str(count),
        "-i",
        str(interval),
        lab.addr("target", family),
    ]
    out, cpu = _timed(lab, argv, timeout=30 + count * interval * 2)
    rtts: dict[int, list[float]] = {}
    for seq, rtt in _IPUTILS_RTT.findall(out):
        rtts.setdefault(int(seq), []).append(float(rtt))
    return Run(rtts, cpu)


def cloudping(lab: Lab, family: Family, count: int, interval: float) -> Run:
    target = lab.addr("target", family)
    args = ["ping", "--json", f"-{family}", "-c", str(count), "-i", str(interval), target]
    out, cpu = _timed(
        lab, [sys.executable, "-m", "cloudping", *args], timeout=30 + count * interval * 2
    )
    run = Run({}, cpu)
    for line in out.splitlines():
        event = json.loads(line)
        if event["type"] != "reply" or event.get("icmp_error") or event["late"]:
            continue
        if event["address"] != target:
            run.stray += 1
        run.rtts.setdefault(event["seq"], []).append(event["rtt_ms"])
    return run


Tool = Callable[[Lab, Family, int, float], Run]


def accounted(run: Run, count: int) -> str:
    """'ok' when each of 1..count got exactly one reply from the target, else what went wrong."""
    missing = [s for s in range(1, count + 1) if s not in run.rtts]
    extra = [s for s, r in run.rtts.items() if len(r) > 1 or not 1 <= s <= count]
    if not (missing or extra or run.stray):
        return "ok"
    return f"missing {len(missing)}, duplicated/unknown {len(extra)}, misattributed {run.stray}"


def bench(lab: Lab, *, rounds: int = 3, count: int = 100, interval: float = 0.02) -> Table:
    table = Table("ping: cloudping vs iputils ping (lab path agent -> r1 -> r2 -> target)")
    tools: dict[str, Tool] = {"iputils": iputils, "cloudping": cloudping}
    for family in (4, 6):
        runs: dict[str, list[Run]] = {name: [] for name in tools}
        for _ in range(rounds):
            for name, tool in tools.items():
                runs[name].append(tool(lab, family, count, interval))
        single = {
            name: statistics.median(tool(lab, family, 1, 0.2).cpu_s for _ in range(3))
            for name, tool in tools.items()
        }
        medians: dict[str, float] = {}
        for name in tools:
            samples = [s for run in runs[name] for s in run.samples]
            cpu = statistics.median(r.cpu_s for r in runs[name])
            medians[name] = statistics.median(samples)
            table.row(
                f"IPv{family} {name}",
                packets=len(samples),
                median_ms=medians[name],
                p95_ms=percentile(samples, 95),
                cpu_us_per_pkt_marginal=(cpu - single[name]) / (count - 1) * 1e6,
                cpu_ms_whole_run=cpu * 1e3,
            )
        table.note(
            f"IPv{family} median bias cloudping - iputils: "
            f"{(medians['cloudping'] - medians['iputils']) * 1000:+.1f} us"
        )
    for name, tool in tools.items():
        fast = tool(lab, 4, 500, 0.01)
        table.note(f"100 packets/s x 500, {name}: {accounted(fast, 500)}")
    return table


def main() -> None:
    with Lab.build() as lab:
        bench(lab).print()


if __name__ == "__main__":
    main()
