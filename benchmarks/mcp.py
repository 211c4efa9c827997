"""MCP against the HTTP API: ``ping -c 1`` to the lab target through both, and 50 sessions at once.

``cloudping up --serve`` (the lab ranges) runs in the agent namespace with its API and ``/mcp``
on that namespace's loopback; its in-process ``local`` agent pings the lab target, three hops
away. The clients are ``mcp_driver.py`` in the same namespace: the mcp SDK's StreamableHTTP
client (``mcp.Client``) for MCP and httpx2, the HTTP stack under it, for the API.

- latency: interleaved rounds of one MCP session reused, a new MCP session per call, and the
  API's NDJSON stream (``POST /api/v1/measurements``), then calls back to back on one session
  and on one API connection: median and p95 of each call's wall time, the ratio of medians to
  the API's, and what the hub reports the measurement (``hub_ms``) and the ping job
  (``probe_ms``) took;
- swarm: 50 MCP sessions, each on its own connection, opened together (initialize and
  tools/list), then one ``ping -c 1`` each at the same moment: errors, latency, wall time, and
  the hub's and the clients' CPU time.

Each way has its own token subject, so that no series spends another's hourly quota.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import Lab, Role
from upprocess import START_TIMEOUT_S, issue_token, read_welcome

from benchmarks.common import Table, percentile

ROOT = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).with_name("mcp_driver.py")
HUB_ROLE: Role = "agent"
LISTEN = "127.0.0.1:18080"  # the agent namespace's own loopback
AGENT_LISTEN = "127.0.0.1:18443"
SERVED = "198.18.0.0/15,2001:db8::/32"
SUBJECTS = ("session", "fresh", "api", "swarm")
ROUNDS, WARMUP, BURST, SESSIONS = 30, 3, 30, 50
DRIVE_TIMEOUT_S = 300.0
Sample = dict[str, float]


@dataclass(frozen=True, slots=True)
class RunningHub:
    """``cloudping up`` in the lab: its process, base URL and a token per subject."""

    proc: subprocess.Popen[str]
    url: str
    tokens: dict[str, str]


@contextmanager
def running_hub(lab: Lab) -> Iterator[RunningHub]:
    """Start ``cloudping up`` in the agent namespace; stop it (by PID) when the block ends."""
    with tempfile.TemporaryDirectory(prefix="cp-bench-mcp-") as scratch:
        data_dir = Path(scratch)
        argv = [sys.executable, "-m", "cloudping", "up", "--data-dir", str(data_dir),
                "--listen", LISTEN, "--agent-listen", AGENT_LISTEN, "--serve", SERVED]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPING_")}
        proc = lab.popen(HUB_ROLE, argv, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        try:
            read_welcome(proc, START_TIMEOUT_S)
            url = f"http://{LISTEN}"
            scopes = ("measure", "private")
            tokens = {
                subject: issue_token(data_dir, f"bench-{subject}", "api", *scopes, issuer=url)
                for subject in SUBJECTS
            }
            yield RunningHub(proc, url, tokens)
        finally:
            lab.stop(proc)


def _drive(lab: Lab, hub: RunningHub, part: str, target: str, *numbers: int) -> dict[str, Any]:
    """Run one part of the driver in the hub's namespace (tokens on its stdin)."""
    argv = [sys.executable, "-P", str(DRIVER), part, hub.url, target, *map(str, numbers)]
    done = lab.run(HUB_ROLE, argv, timeout=DRIVE_TIMEOUT_S, input=json.dumps(hub.tokens))
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _cpu_s(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` has used, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _median(samples: list[Sample], key: str) -> float:
    return statistics.median(sample[key] for sample in samples)


def _row(table: Table, name: str, samples: list[Sample], api: list[Sample]) -> None:
    walls = [sample["wall_ms"] for sample in samples]
    table.row(
        name,
        calls=len(samples),
        median_ms=statistics.median(walls),
        p95_ms=percentile(walls, 95),
        ratio_to_api=statistics.median(walls) / _median(api, "wall_ms"),
        hub_ms=_median(samples, "hub_ms"),
        probe_ms=_median(samples, "probe_ms"),
    )


def latency_table(lab: Lab) -> Table:
    """One tool call against one API measurement, interleaved, then back to back."""
    target = lab.addr("target", 4)
    with running_hub(lab) as hub:
        series = _drive(lab, hub, "series", target, ROUNDS, WARMUP)["series"]
        burst = _drive(lab, hub, "burst", target, BURST, WARMUP)["series"]
    table = Table(f"mcp: ping -c 1 {target} through MCP and the HTTP API (cloudping up), ms")
    _row(table, "MCP, one session", series["session"], series["api"])
    _row(table, "MCP, a new session per call", series["fresh"], series["api"])
    _row(table, "API, NDJSON stream", series["api"], series["api"])
    _row(table, "MCP, one session, back to back", burst["session"], burst["api"])
    _row(table, "API, back to back", burst["api"], burst["api"])
    table.note(
        f"{ROUNDS} interleaved rounds after {WARMUP}, then {BURST} calls back to back "
        "per way; hub_ms, probe_ms: the measurement's and the ping job's own duration "
        "as the hub reports them"
    )
    fresh = series["fresh"]
    table.note(
        f"a new session: initialize {_median(fresh, 'open_ms'):.1f}, tools/list "
        f"{_median(fresh, 'list_ms'):.1f} (the SDK lists before a first call, to validate "
        f"results), the call {_median(fresh, 'call_ms'):.1f} ms"
    )
    for name, samples in (("interleaved", series["api"]), ("back to back", burst["api"])):
        table.note(
            f"API {name}: headers after {_median(samples, 'headers_ms'):.1f} ms, first "
            f"event line {_median(samples, 'first_line_ms'):.1f} ms, end "
            f"{_median(samples, 'wall_ms'):.1f} ms; the hub's measurement took "
            f"{_median(samples, 'hub_ms'):.1f} ms"
        )
    return table


def swarm_table(lab: Lab) -> Table:
    """``SESSIONS`` MCP sessions opened together, then one ping each at the same moment."""
    target = lab.addr("target", 4)
    with running_hub(lab) as hub:
        before = _cpu_s(hub.proc.pid)
        swarm = _drive(lab, hub, "swarm", target, SESSIONS)
        hub_cpu = _cpu_s(hub.proc.pid) - before
    table = Table(f"mcp: {SESSIONS} concurrent MCP sessions, each ping -c 1 {target}, ms")
    latencies: list[float] = swarm["latencies"]
    errors: list[str] = swarm["errors"]
    figures: dict[str, float | int] = {"sessions": SESSIONS, "errors": len(errors)}
    if latencies:
        figures["median_ms"] = statistics.median(latencies)
        figures["p95_ms"] = percentile(latencies, 95)
        figures["calls_wall_ms"] = swarm["wall_ms"]
    table.row("all at once", **figures, open_wall_ms=swarm["open_ms"])
    table.note(
        "open: each session's initialize and tools/list, all started together; then "
        "every session calls ping at once (calls_wall_ms: until the last result)"
    )
    table.note(
        f"CPU during the swarm: the hub {hub_cpu:.2f} s, the clients (one Python process) "
        f"{swarm['cpu_s']:.2f} s"
    )
    for error in sorted(set(errors))[:3]:
        table.note(f"error: {error[:200]}")
    return table
