"""What the hub adds to a ping: API -> hub -> agent over QUIC, against the CLI run directly.

A real ``cloudping hub`` runs in the lab's ``agent2`` namespace (API on its loopback, QUIC on
198.18.4.2), a real ``cloudping agent`` in ``agent`` (two hops away, through r1), serving
198.18.0.0/15 for tokens with the ``private`` scope (the project's way to let an agent probe
a non-public range). Each round, interleaved, pings the lab target once:

- through the API, from a long-lived client in the hub's namespace (``benchmarks.apiclient``):
  wall time from the request to the ``end`` event, the reported RTT, the agent's own probe
  time (the summary's ``duration_ms``) and the hub's (the ``end`` event's ``duration_ms``);
- with ``cloudping ping --json`` run directly in the agent's namespace: process wall time
  (interpreter start-up included), RTT and probe time;
- with ``cloudping ping --json`` through the hub (``CLOUDPING_HUB``) from the hub's
  namespace: process wall time, the same comparison as two processes.

Added latency = API wall time - the agent's probe time: the API, the hub, the QUIC offer,
the agent's admission and the events' way back (goal: median under 5 ms).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import Lab, Role, poll_until

from benchmarks.common import Table, percentile
from benchmarks.hubproc import (
    Driver,
    LabChildren,
    bench_env,
    cloudping_argv,
    issue_token,
    take,
)

HUB_ROLE: Role = "agent2"
AGENT_ROLE: Role = "agent"
AGENT_PORT, API_PORT = 8443, 8080
AGENT_NAME = "lab-agent"
SERVED = "198.18.0.0/15"
ROUNDS, WARMUP = 30, 3
RUN_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One ping: wall time as its caller saw it, the RTT, the agent's and the hub's times."""

    wall_ms: float
    rtt_ms: float
    probe_ms: float
    hub_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Setup:
    """The running hub and agent, and how to reach the API."""

    url: str
    api_token: str
    client: Driver


def bench(lab: Lab, *, rounds: int = ROUNDS) -> Table:
    """Interleave the three ways for ``WARMUP + rounds`` rounds; tabulate the last ``rounds``."""
    target = lab.addr("target", 4)
    ways = ("api", "cli", "cli_hub")
    samples: dict[str, list[Sample]] = {way: [] for way in ways}
    with (
        tempfile.TemporaryDirectory(prefix="cloudping-hub-bench-") as scratch,
        _hub_and_agent(lab, Path(scratch)) as setup,
    ):
        for n in range(WARMUP + rounds):
            got = {
                "api": _via_api(setup, target),
                "cli": _cli_direct(lab, target),
                "cli_hub": _cli_via_hub(lab, setup, target),
            }
            if n >= WARMUP:
                for way, sample in got.items():
                    samples[way].append(sample)
    return _table(samples, target)


@contextmanager
def _hub_and_agent(lab: Lab, data_dir: Path) -> Iterator[Setup]:
    """``cloudping hub`` in agent2, ``cloudping agent`` in agent, the API client in agent2."""
    hub_addr = f"{lab.addr(HUB_ROLE, 4)}:{AGENT_PORT}"
    with LabChildren(lab) as children:
        _, welcome = children.start_hub(
            HUB_ROLE, data_dir, agents=hub_addr, api=f"127.0.0.1:{API_PORT}"
        )
        agent_token = issue_token(data_dir, "--sub", AGENT_NAME, "--aud", "agent")
        children.start(
            AGENT_ROLE,
            cloudping_argv("agent", "--hub", hub_addr, "--name", AGENT_NAME, "--token", agent_token,
                           "--hub-fingerprint", welcome.fingerprint, "--serve", SERVED),
        )  # fmt: skip
        client, api_token = children.api_client(HUB_ROLE, welcome, data_dir)
        poll_until(
            lambda: AGENT_NAME in client.ask({"agents": True}, RUN_TIMEOUT_S)["agents"],
            timeout=READY_TIMEOUT_S,
            what=f"agent {AGENT_NAME} to join the hub",
            every=0.1,
        )
        yield Setup(welcome.api_url, api_token, client)
        client.close()


def _via_api(setup: Setup, target: str) -> Sample:
    command = f"ping -c 1 {target} from {AGENT_NAME}"
    [result] = setup.client.ask({"commands": [command]}, RUN_TIMEOUT_S)["results"]
    if not result["ok"] or len(result["rtts"]) != 1:
        raise RuntimeError(f"the ping through the API failed: {result}")
    return Sample(result["end_ms"], result["rtts"][0], result["probe_ms"][0], result["hub_ms"])


def _cli_direct(lab: Lab, target: str) -> Sample:
    start = time.perf_counter()
    out = lab.python(AGENT_ROLE, ["ping", "--json", "-c", "1", target], RUN_TIMEOUT_S).stdout
    return _from_stream(out, (time.perf_counter() - start) * 1000)


def _cli_via_hub(lab: Lab, setup: Setup, target: str) -> Sample:
    words = ["ping", "--json", "-c", "1", target, "from", AGENT_NAME]
    env = bench_env(CLOUDPING_HUB=setup.url, CLOUDPING_TOKEN=setup.api_token)
    start = time.perf_counter()
    proc = lab.popen(HUB_ROLE, cloudping_argv(*words), stdout=subprocess.PIPE, text=True, env=env)
    try:
        out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        lab.stop(proc)
    return _from_stream(out, (time.perf_counter() - start) * 1000)


def _from_stream(ndjson: str, wall_ms: float) -> Sample:
    """A CLI run's sample from its ``--json`` output."""
    result: dict[str, Any] = {"rtts": [], "probe_ms": [], "types": Counter()}
    for line in ndjson.splitlines():
        take(result, json.loads(line), 0.0)
    if len(result["rtts"]) != 1 or result["types"]["error"]:
        raise RuntimeError(f"the CLI ping failed: {ndjson}")
    return Sample(wall_ms, result["rtts"][0], result["probe_ms"][0], result.get("hub_ms"))


def _stats(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), percentile(values, 95)


def _table(samples: dict[str, list[Sample]], target: str) -> Table:
    table = Table(
        f"hub: ping -c 1 {target}, API -> hub (agent2) -> agent over QUIC vs the CLI, "
        f"{len(samples['api'])} interleaved rounds, ms"
    )
    direct_wall = statistics.median(s.wall_ms for s in samples["cli"])
    names = {
        "api": "API -> hub -> agent (long-lived client)",
        "cli": "cloudping ping in agent ns (process)",
        "cli_hub": "cloudping ping --hub (process)",
    }
    for way, rows in samples.items():
        wall, wall_p95 = _stats([s.wall_ms for s in rows])
        rtt, rtt_p95 = _stats([s.rtt_ms for s in rows])
        figures: dict[str, float] = {
            "wall_median": wall,
            "wall_p95": wall_p95,
            "ratio_to_direct_cli": wall / direct_wall,
            "rtt_median": rtt,
            "rtt_p95": rtt_p95,
            "agent_probe_median": statistics.median(s.probe_ms for s in rows),
        }
        if way == "api":
            added, added_p95 = _stats([s.wall_ms - s.probe_ms for s in rows])
            figures |= {"added_median": added, "added_p95": added_p95}
        table.row(names[way], **figures)
    _notes(table, samples)
    return table


def _notes(table: Table, samples: dict[str, list[Sample]]) -> None:
    api = samples["api"]
    added = statistics.median(s.wall_ms - s.probe_ms for s in api)
    inside = statistics.median((s.hub_ms or 0.0) - s.probe_ms for s in api)
    http = statistics.median(s.wall_ms - (s.hub_ms or 0.0) for s in api)
    verdict = "met" if added < 5.0 else "NOT met"
    table.note(f"added latency (API wall - agent probe time): median {added:.2f} ms; "
               f"goal < 5 ms {verdict}")  # fmt: skip
    table.note(f"  of which inside the hub's measurement (end.duration_ms - probe): {inside:.2f}"
               f" ms; HTTP + API around it (wall - end.duration_ms): {http:.2f} ms")  # fmt: skip
    bias = statistics.median(s.rtt_ms for s in api) - statistics.median(
        s.rtt_ms for s in samples["cli"]
    )
    table.note(f"RTT through the hub - RTT of the direct CLI: {bias * 1000:+.1f} us (median; the "
               "agent's socket is warm, a new CLI process sends its one packet cold)")  # fmt: skip
    processes = statistics.median(s.wall_ms for s in samples["cli_hub"]) - statistics.median(
        s.wall_ms for s in samples["cli"]
    )
    table.note(f"as processes: cloudping ping --hub - direct: {processes:+.1f} ms "
               "(both pay interpreter start-up and `ip netns exec`)")  # fmt: skip
