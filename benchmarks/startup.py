"""Start-up: ``cloudping ping -c 1`` and ``cloudping --help`` as processes, beside iputils.

In the lab's agent namespace, alternating, ``ROUNDS`` rounds after one warm-up (bytecode
cached): the wall time of each process, and for the two cloudping paths the time their
imports took (``python -X importtime``: the sum of the top-level modules' cumulative times).
A 1-packet ping's wall time is its time to the first packet plus one lab RTT (~0.1 ms) and
its exit; ``python -c pass`` is the interpreter's own floor.
"""

from __future__ import annotations

import re
import statistics
import sys
import time

from lab import Lab

from benchmarks.common import Table, percentile

ROUNDS = 11
# The interpreter as an installed package runs: writing its bytecode, so that the warm-up
# leaves every module compiled (a PYTHONDONTWRITEBYTECODE=1 in the environment would make
# each run compile cloudping's sources again, tens of milliseconds that no user pays).
_PYTHON = ["env", "-u", "PYTHONDONTWRITEBYTECODE", sys.executable]
_TOP_LEVEL = re.compile(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$")


def _argv(lab: Lab) -> dict[str, list[str]]:
    target = lab.addr("target", 4)
    cloudping = [*_PYTHON, "-m", "cloudping"]
    return {
        "python -c pass": [*_PYTHON, "-c", "pass"],
        "iputils ping -c 1": ["ping", "-n", "-c", "1", target],
        "cloudping ping -c 1": [*cloudping, "ping", "-c", "1", target],
        "cloudping --help": [*cloudping, "--help"],
    }


def _wall_ms(lab: Lab, argv: list[str]) -> float:
    started = time.perf_counter()
    lab.run("agent", argv, timeout=60)
    return (time.perf_counter() - started) * 1000


def _imports_ms(lab: Lab, argv: list[str]) -> float:
    """Milliseconds of imports of one run (``-X importtime``, top-level modules summed)."""
    options = argv.index(sys.executable) + 1
    traced = [*argv[:options], "-X", "importtime", *argv[options:]]
    err = lab.run("agent", traced, timeout=60).stderr
    lines = (_TOP_LEVEL.match(line) for line in err.splitlines())
    return sum(int(m.group(1)) for m in lines if m is not None) / 1000


def bench(lab: Lab) -> Table:
    """Wall times (all four) and import times (cloudping's two paths), medians."""
    table = Table(f"startup: processes in the agent namespace, {ROUNDS} alternating rounds")
    ways = _argv(lab)
    for argv in ways.values():  # warm-up: bytecode compiled, files cached
        _wall_ms(lab, argv)
    walls: dict[str, list[float]] = {name: [] for name in ways}
    imports: dict[str, list[float]] = {name: [] for name in ways if name.startswith("cloudping")}
    for _ in range(ROUNDS):
        for name, argv in ways.items():
            walls[name].append(_wall_ms(lab, argv))
        for name, samples in imports.items():
            samples.append(_imports_ms(lab, ways[name]))
    floor = statistics.median(walls["python -c pass"])
    for name, samples in walls.items():
        figures = {"median_ms": statistics.median(samples), "p95_ms": percentile(samples, 95)}
        if name in imports:
            figures["imports_ms"] = statistics.median(imports[name])
            figures["over_python_ms"] = figures["median_ms"] - floor
        table.row(name, **figures)
    ratio = statistics.median(walls["cloudping ping -c 1"]) / statistics.median(
        walls["iputils ping -c 1"]
    )
    table.note(f"cloudping ping -c 1 / iputils ping -c 1: {ratio:.0f}x")
    table.note("goals (issue 20): ping -c 1 to its first packet < 150 ms, --help < 100 ms")
    table.note("every run goes through `ip netns exec` (a few ms, the same for all)")
    return table
