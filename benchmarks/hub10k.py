"""10,000 agents on one hub, in process: what the hub itself costs, without the network.

``benchmarks/scale.py`` measures a hub process with real QUIC agents (its heartbeats, its
handshakes); growing it to 10,000 takes minutes of a loaded machine's CPU. This one keeps
everything in one process so the hub's own work stands alone: 10,000 in-memory agents
(``cloudping.testing.ScriptedAgent``, answering on the next loop turn) registered with a
real :class:`~cloudping.hub.Hub` over the real SQLite store, then

1. the RSS the registry adds per agent;
2. ``ping -c 1`` fanned out to 1,000 agents (``--max-jobs``/``--user-jobs`` 1000 and a
   selection limit of 1,000), request to ``end``, through the command service as the API
   calls it;
3. 100 such measurements at once, each from its own agent (100 concurrent API streams);
4. the same single-agent ``ping -c 1`` with no other load, the reference the other rows are
   read against.

Goals (issue 20): RSS under 1 GiB, the fan-out under 1 s, the streams unaffected.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.common import Table, percentile
from cloudping.commands import Command, parse
from cloudping.events import Event
from cloudping.hub import Hub, HubSettings, MemoryRegistry
from cloudping.policy import DEFAULT_LIMITS
from cloudping.service import ApiSettings, CommandService, Quota
from cloudping.service.caller import token_caller
from cloudping.store.sqlite import SqliteStore
from cloudping.testing import ScriptedAgent, connect

AGENTS, FAN, STREAMS = 10_000, 1_000, 100
ROUNDS = 5
TARGET = "198.18.3.2"
LIMITS = dataclasses.replace(DEFAULT_LIMITS, selection_limit_max=FAN)


def rss_kib() -> int:
    """This process's resident set (``VmRSS`` of /proc/self/status), KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


async def _timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    """Wall and CPU milliseconds of ``action``."""
    wall, cpu = time.perf_counter(), time.process_time()
    await action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


async def _scenario(table: Table, store: SqliteStore) -> None:
    settings = HubSettings(max_jobs=FAN)
    api = ApiSettings(user_quota=Quota(1_000_000, FAN))
    async with Hub(MemoryRegistry(), store, settings=settings) as hub:
        service = CommandService(hub, store, api)
        caller = token_caller("bench", ["measure", "private"], api)

        async def run(command: Command) -> None:
            events: list[Event] = []
            await service.run(caller, command, events.append)
            if events[-1].type != "end":
                raise RuntimeError(f"the stream did not end: {events[-1]}")

        before = rss_kib()
        grow_ms, _ = await _timed(lambda: _grow(hub))
        grown = rss_kib()
        table.row(
            f"register {AGENTS} agents",
            agents=AGENTS,
            ms=grow_ms,
            rss_mib=grown / 1024,
            per_agent_kib=(grown - before) / AGENTS,
        )
        single = parse(f"ping -c 1 {TARGET} from a1", limits=LIMITS)
        fan = parse(f"ping -c 1 {TARGET} from fan --limit {FAN}", limits=LIMITS)
        streams = [parse(f"ping -c 1 {TARGET} from a{n}", limits=LIMITS) for n in range(STREAMS)]

        async def many() -> None:
            async with asyncio.TaskGroup() as group:
                for command in streams:
                    group.create_task(run(command))

        for name, action in (
            ("ping -c 1 from one agent (reference)", lambda: run(single)),
            (f"ping -c 1 fanned out to {FAN} agents", lambda: run(fan)),
            (f"{STREAMS} streams at once (ping -c 1 each)", many),
        ):
            samples = [await _timed(action) for _ in range(ROUNDS)]
            walls = [wall for wall, _ in samples]
            table.row(
                name,
                agents=AGENTS,
                ms=statistics.median(walls),
                p95_ms=percentile(walls, 95),
                cpu_ms=statistics.median(cpu for _, cpu in samples),
                rss_mib=rss_kib() / 1024,
            )


async def _grow(hub: Hub) -> None:
    for n in range(AGENTS):
        tags = ("fan",) if n < FAN else ()
        await connect(hub, ScriptedAgent(f"a{n}", country="DE", tags=tags))


def bench(lab: object = None) -> Table:
    """The table (the lab is not used: everything is in this process)."""
    table = Table(
        f"hub10k: one hub, {AGENTS} in-process agents, real SQLite store, {ROUNDS} rounds"
    )
    with tempfile.TemporaryDirectory(prefix="cloudping-hub10k-") as scratch:

        async def main() -> None:
            async with SqliteStore.open(Path(scratch) / "store.db") as store:
                await _scenario(table, store)

        asyncio.run(main())
    table.note("goals: RSS < 1 GiB with 10,000 agents, fan-out to 1,000 < 1 s")
    table.note("in process: no QUIC, no heartbeats (benchmarks/scale.py has those)")
    return table


if __name__ == "__main__":
    bench().print()
