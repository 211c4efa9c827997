"""One hub, 1,000 simulated agents: memory and CPU per agent, fan-out, concurrent API streams.

Everything runs on the loopback of one lab namespace (it measures the hub, not a network):
the hub (``benchmarks.hubproc``: ``cloudping hub`` with 1,000 jobs per measurement allowed),
one load process holding every agent as a real QUIC connection with the real hello, tokens
and heartbeats (``benchmarks.swarm``; jobs are answered synthetically, no packet is sent),
and one API client process (``benchmarks.apiclient``). The hub's RSS and CPU come from
``/proc/PID``. Phases, in order:

1. the idle hub, no agent (a baseline window);
2. agents connect in steps up to 1,000 (32 handshakes in flight): RSS and CPU per agent;
3. a window of pure heartbeating at the default contract (every 15 s);
4. ``ping -c 1 TARGET from fan``, fanned out to the 200 agents tagged ``fan``;
5. 100 API clients at once, each streaming ``ping -c 5 -i 0.2`` from its own agent (the
   synthetic agent keeps the interval, so every stream stays open ~0.8 s);
6. ``GET /api/v1/agents`` listing all of them.
"""

from __future__ import annotations

import functools
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import Lab, Role

from benchmarks.common import Table, percentile
from benchmarks.hubproc import FAN_TAG, Driver, LabChildren, Usage, agent_name, module_argv

ROLE: Role = "agent2"
AGENT_PORT, API_PORT = 9443, 9080
STEPS = (250, 500, 750, 1000)
BEYOND = (2000, 3000)  # past the goal: where does it stop?
FAN = 200
STREAMS, STREAM_COUNT, STREAM_INTERVAL = 100, 5, 0.2
IDLE_WINDOW_S = 5.0
HEARTBEAT_WINDOW_S = 30.0
BEYOND_WINDOW_S = 15.0
HEARTBEAT_INTERVAL_S = 15.0  # the hub's default Liveness: the contract every agent gets
FANOUT_ROUNDS, STREAM_ROUNDS, LIST_ROUNDS = 5, 2, 5
GROW_TIMEOUT_S = 120.0
GROW_PER_AGENT_S = 0.25  # a loaded 2-core machine dials a few agents a second, not hundreds
ASK_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Procs:
    """The three processes of the benchmark and the hub's pid for /proc."""

    hub_pid: int
    swarm: Driver
    client: Driver

    def load_cpu_s(self) -> float:
        """CPU seconds the load so far: the swarm and the API client together."""
        return sum(Usage.of(d.proc.pid).cpu_s for d in (self.swarm, self.client))

    def hub_drops(self) -> int:
        """Datagrams the kernel dropped at the hub's UDP socket (its receive buffer was full).

        ``/proc/PID/net/udp`` is the table of the hub's namespace; its last column counts
        drops per socket, found here by the agents' port.
        """
        table = Path(f"/proc/{self.hub_pid}/net/udp").read_text().splitlines()[1:]
        rows = [line.split() for line in table]
        return sum(int(row[-1]) for row in rows if int(row[1].split(":")[1], 16) == AGENT_PORT)


@dataclass(frozen=True, slots=True)
class Spent:
    """What the hub used over one phase (and the load processes' CPU), and how long it took."""

    seconds: float
    cpu_s: float
    rss_kib: int
    load_cpu_s: float
    drops: int

    def figures(self) -> dict[str, float]:
        """The columns every phase's row starts with."""
        return {
            "seconds": self.seconds,
            "hub_cpu_s": self.cpu_s,
            "hub_rss_mib": self.rss_kib / 1024,
            "load_cpu_s": self.load_cpu_s,
        }


def measured(procs: Procs, action: Callable[[], Any]) -> tuple[Any, Spent]:
    """Run ``action``; its result and the hub's CPU, RSS (after), UDP drops and wall time."""
    before, load, drops = Usage.of(procs.hub_pid), procs.load_cpu_s(), procs.hub_drops()
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    after = Usage.of(procs.hub_pid)
    spent = Spent(
        seconds,
        cpu_s=after.cpu_s - before.cpu_s,
        rss_kib=after.rss_kib,
        load_cpu_s=procs.load_cpu_s() - load,
        drops=procs.hub_drops() - drops,
    )
    return result, spent


def bench(
    lab: Lab,
    *,
    steps: tuple[int, ...] = STEPS,
    beyond: tuple[int, ...] = BEYOND,
    fan: int = FAN,
) -> Table:
    """Run the phases on ``steps[-1]`` agents (``fan`` of them in the fan-out), then grow to
    ``beyond[-1]`` and run the heartbeat window, the concurrent streams and the listing
    again; one table."""
    table = Table(
        f"scale: one hub, {steps[-1]} then {(beyond or steps)[-1]} simulated agents (real QUIC, "
        "synthetic jobs), one load process, loopback"
    )
    target = lab.addr("target", 4)
    with (
        tempfile.TemporaryDirectory(prefix="cloudping-scale-") as scratch,
        _processes(lab, Path(scratch), fan) as procs,
    ):
        idle = _idle(procs, table)
        first_dial = _connect(procs, steps, idle, table)
        _heartbeats(procs, steps[-1], idle, table, HEARTBEAT_WINDOW_S)
        _fan_out(procs, target, table, fan)
        _streams(procs, target, table, steps[-1], fan)
        _listing(procs, steps[-1], table)
        if beyond:
            _connect(procs, beyond, idle, table, done=steps[-1], first_dial=first_dial)
            _heartbeats(procs, beyond[-1], idle, table, BEYOND_WINDOW_S)
            _streams(procs, target, table, beyond[-1], fan)
            _listing(procs, beyond[-1], table)
        table.note(f"load process at the end: {procs.swarm.ask({'stats': True}, 10)}")
    return table


@contextmanager
def _processes(lab: Lab, data_dir: Path, fan: int) -> Iterator[Procs]:
    """The hub, the swarm and the API client, in the lab namespace ``ROLE``; stopped by PID."""
    with LabChildren(lab, stop_timeout=30) as children:
        hub, welcome = children.start_hub(
            ROLE,
            data_dir,
            agents=f"127.0.0.1:{AGENT_PORT}",
            api=f"127.0.0.1:{API_PORT}",
            bounds=("--max-jobs", str(max(fan, 1000)), "--per-hour", "100000"),
        )
        swarm = children.driver(
            ROLE,
            module_argv("swarm", "--hub", f"127.0.0.1:{welcome.agent_port}",
                        "--fingerprint", welcome.fingerprint, "--data-dir", str(data_dir),
                        "--fan", str(fan)),
        )  # fmt: skip
        client, _ = children.api_client(ROLE, welcome, data_dir)
        ready = Procs(hub.pid, swarm, client)
        ready.swarm.ask({"stats": True}, ASK_TIMEOUT_S)  # both have imported and answer
        ready.client.ask({"agents": True}, ASK_TIMEOUT_S)
        yield ready


def _idle(procs: Procs, table: Table) -> Spent:
    # A measurement window of fixed length (nothing is waited for).
    _, idle = measured(procs, lambda: time.sleep(IDLE_WINDOW_S))
    table.row("hub idle, no agent", agents=0, **idle.figures())
    return idle


def _connect(
    procs: Procs,
    steps: tuple[int, ...],
    idle: Spent,
    table: Table,
    *,
    done: int = 0,
    first_dial: float = 0.0,
) -> float:
    """Grow to each step in turn, a row each; the first step's median dial time."""
    explain = not done
    for step in steps:
        wait = max(GROW_TIMEOUT_S, (step - done) * GROW_PER_AGENT_S)
        grow = functools.partial(procs.swarm.ask, {"grow": step}, wait)
        got, spent = measured(procs, grow)
        first_dial = first_dial or got["dial_ms_median"]
        table.row(
            f"connect {done + 1}..{step}",
            agents=got["agents"],
            **spent.figures(),
            per_agent_cpu_ms=spent.cpu_s / (step - done) * 1000,
            per_agent_rss_kib=(spent.rss_kib - idle.rss_kib) / got["agents"],
            median_ms=got["dial_ms_median"],
            p95_ms=got["dial_ms_p95"],
            errors=sum(got["failed"].values()) + sum(got["lost"].values()),
            udp_drops=spent.drops,
            ratio=got["dial_ms_median"] / first_dial,
        )
        if got["failed"] or got["lost"]:
            table.note(f"at {step}: failed {got['failed']}, lost {got['lost']}")
        done = step
    if explain:
        table.note(
            "connect: median_ms/p95_ms = one agent's dial (QUIC handshake, certificate check,"
            " hello, token check, accept), 32 in flight; ratio = dial median / the first step's;"
            " per_agent_cpu_ms = hub CPU per agent added; per_agent_rss_kib = (RSS - idle) /"
            " agents; udp_drops = datagrams dropped at the hub's socket (receive buffer full)"
        )
    return first_dial


def _heartbeats(procs: Procs, agents: int, idle: Spent, table: Table, window_s: float) -> None:
    # A measurement window of fixed length (nothing is waited for).
    _, spent = measured(procs, lambda: time.sleep(window_s))
    stats = procs.swarm.ask({"stats": True}, ASK_TIMEOUT_S)
    busy = spent.cpu_s - idle.cpu_s / idle.seconds * spent.seconds
    beats = agents * spent.seconds / HEARTBEAT_INTERVAL_S
    table.row(
        f"heartbeats only, {agents} agents, {window_s:g} s",
        agents=stats["agents"],
        **spent.figures(),
        per_agent_cpu_ms=busy / agents / spent.seconds * 1000,
        errors=sum(stats["lost"].values()),
        udp_drops=spent.drops,
    )
    table.note(
        f"heartbeats ({agents} agents, one each per {HEARTBEAT_INTERVAL_S:g} s): hub at "
        f"{spent.cpu_s / spent.seconds * 100:.2f} % of a core (idle "
        f"{idle.cpu_s / idle.seconds * 100:.2f} %); {busy / beats * 1e6:.0f} us of hub CPU per "
        f"heartbeat (~{beats:.0f} expected); per_agent_cpu_ms = per agent per second"
    )


def _fan_out(procs: Procs, target: str, table: Table, fan: int) -> None:
    request = {"commands": [f"ping -c 1 {target} from {FAN_TAG}"]}
    ends, firsts, spent_all, bad = [], [], [], 0
    for _ in range(FANOUT_ROUNDS):
        got, spent = measured(procs, functools.partial(procs.client.ask, request, ASK_TIMEOUT_S))
        [result] = got["results"]
        if not (result["ok"] and len(result["probe_ms"]) == fan == len(result["rtts"])):
            bad += 1
            table.note(f"fan-out incomplete: {_brief(result)}")
            continue
        ends.append(result["end_ms"])
        firsts.append(result["first_ms"])
        spent_all.append(spent)
    if not ends:
        return
    cpu = statistics.median(s.cpu_s for s in spent_all)
    table.row(
        f"ping -c 1 fanned out to {fan} agents (x{FANOUT_ROUNDS})",
        agents=fan,
        hub_cpu_s=cpu,
        load_cpu_s=statistics.median(s.load_cpu_s for s in spent_all),
        per_agent_cpu_ms=cpu / fan * 1000,
        median_ms=statistics.median(ends),
        p95_ms=percentile(ends, 95),
        errors=bad,
        udp_drops=sum(s.drops for s in spent_all),
    )
    table.note(
        f"fan-out: the measurement event after {statistics.median(firsts):.1f} ms, all {fan} "
        f"summaries and the end after {statistics.median(ends):.1f} ms (medians): "
        f"{statistics.median(ends) / fan:.2f} ms and {cpu / fan * 1000:.2f} ms of hub CPU per job"
    )
    table.note(
        "fan-out cap: 50 jobs per measurement by default (`--max-jobs`, and a token holder's "
        "`--user-jobs`: 50; guests 4), so `from fan` is refused with quota_exceeded unless "
        f"both are raised, to {fan} here (benchmarks.hubproc)"
    )


def _streams(procs: Procs, target: str, table: Table, agents: int, fan: int) -> None:
    request = {
        "commands": [
            f"ping -c {STREAM_COUNT} -i {STREAM_INTERVAL} {target} from {agent_name(fan + n)}"
            for n in range(1, STREAMS + 1)
        ]
    }
    schedule_ms = (STREAM_COUNT - 1) * STREAM_INTERVAL * 1000
    ends, firsts, spent_all, bad, statuses = [], [], [], 0, set()
    for _ in range(STREAM_ROUNDS):
        got, spent = measured(procs, functools.partial(procs.client.ask, request, ASK_TIMEOUT_S))
        spent_all.append(spent)
        for result in got["results"]:
            statuses.add(result.get("status"))
            if result["ok"] and len(result["rtts"]) == STREAM_COUNT:
                ends.append(result["end_ms"])
                firsts.append(result["first_ms"])
            else:
                bad += 1
    cpu = statistics.median(s.cpu_s for s in spent_all)
    table.row(
        f"{STREAMS} API streams at once, {agents} agents (x{STREAM_ROUNDS})",
        agents=STREAMS,
        seconds=statistics.median(s.seconds for s in spent_all),
        hub_cpu_s=cpu,
        load_cpu_s=statistics.median(s.load_cpu_s for s in spent_all),
        per_agent_cpu_ms=cpu / STREAMS * 1000,
        median_ms=statistics.median(ends) if ends else 0.0,
        p95_ms=percentile(ends, 95) if ends else 0.0,
        errors=bad,
        udp_drops=sum(s.drops for s in spent_all),
        ratio=statistics.median(ends) / schedule_ms if ends else 0.0,
    )
    if ends:
        table.note(
            f"streams ({agents} agents): {len(ends)}/{STREAMS * STREAM_ROUNDS} complete, HTTP"
            f" {sorted(statuses)};"
            f" first event median {statistics.median(firsts):.0f} ms, p95 "
            f"{percentile(firsts, 95):.0f} ms; median_ms/p95_ms = request to end; ratio = end /"
            f" the {schedule_ms:.0f} ms the agents take; per_agent_cpu_ms = hub CPU per stream"
        )


def _listing(procs: Procs, agents: int, table: Table) -> None:
    times, listed = [], 0
    for _ in range(LIST_ROUNDS):
        got, spent = measured(procs, lambda: procs.client.ask({"agents": True}, ASK_TIMEOUT_S))
        times.append(spent.seconds * 1000)
        listed = len(got["agents"])
    table.row(f"GET /api/v1/agents, {agents} agents (x{LIST_ROUNDS})", agents=listed,
              median_ms=statistics.median(times), p95_ms=percentile(times, 95),
              errors=int(listed != agents))  # fmt: skip


def bench_10k(lab: Lab) -> Table:
    """Issue 20's goal: 10,000 agents on one hub, ``ping -c 1`` fanned out to 1,000."""
    return bench(lab, steps=(1000, 2500, 5000, 7500, 10_000), beyond=(), fan=1000)


def _brief(result: dict[str, Any]) -> str:
    keys = ("status", "error", "types", "end_ms")
    return str({key: result.get(key) for key in keys} | {"summaries": len(result["probe_ms"])})
