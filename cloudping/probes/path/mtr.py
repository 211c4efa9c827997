"""mtr: traceroute and ping combined, in rounds, with per-hop statistics.

Every ``interval`` a round sends one probe to each hop up to the end of the path (all hops up
to ``-m`` until the target or an unreachable error ends it). A round's ``hop`` events leave when
the round has settled; the summary is mtr's report: sent, loss, last, avg, best, worst, stddev
and jitter per hop, with every responder (ECMP).
"""

from __future__ import annotations

import asyncio

from cloudping.commands import MtrCommand
from cloudping.events import Emit, HopEvent, HopProbe, PathSummaryEvent, StartEvent
from cloudping.probes.env import ProbeEnv, Resolved
from cloudping.probes.path.hops import HopAnswer, hop_stats
from cloudping.probes.path.probers import HopProber, open_path

PROBE_SIZE = 36  # mtr's default packet is 64 bytes: 20 IP + 8 ICMP + 36
ROUND_TIMEOUT = 2.0  # seconds a round waits for its slowest hop


async def run(cmd: MtrCommand, env: ProbeEnv, emit: Emit) -> list[PathSummaryEvent]:
    """Run ``cmd.count`` rounds towards ``cmd.target``; emits rounds of hops, then the report."""
    async with open_path(
        cmd.target,
        cmd.family,
        env,
        emit,
        proto=cmd.proto,
        timeout=ROUND_TIMEOUT,
        port=cmd.port,
        paris=False,
        df=False,
    ) as opened:
        return [] if opened is None else [await _Mtr(cmd, *opened, env, emit).run()]


class _Mtr:
    def __init__(
        self, cmd: MtrCommand, resolved: Resolved, prober: HopProber, env: ProbeEnv, emit: Emit
    ) -> None:
        self.cmd, self.resolved, self.prober, self.env, self.emit = cmd, resolved, prober, env, emit
        self.history: dict[int, list[HopAnswer | None]] = {}
        self.end: int | None = None  # the hop where the path ends, once seen
        self.names: dict[str, str | None] = {}

    async def run(self) -> PathSummaryEvent:
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.emit(
            StartEvent(
                agent=self.env.agent,
                target=self.cmd.target,
                address=self.resolved.address,
                family=self.resolved.family,
                probe="mtr",
                method=self.prober.method,
                size=PROBE_SIZE,
                port=self.cmd.port,
                max_hops=self.cmd.max_hops,
            )
        )
        try:
            async with asyncio.TaskGroup() as group:
                for number in range(1, self.cmd.count + 1):
                    group.create_task(self._round(number))
                    if number < self.cmd.count:
                        await asyncio.sleep(self.cmd.interval)  # the pacing of rounds, not a sync
        finally:  # also when cancelled: the report so far
            summary = self._summary((loop.time() - started) * 1000)
            self.emit(summary)
        return summary

    async def _round(self, number: int) -> None:
        last = self.end or self.cmd.max_hops
        answers = await asyncio.gather(
            *(self.prober.probe(ttl, PROBE_SIZE) for ttl in range(1, last + 1))
        )
        for ttl, answer in enumerate(answers, start=1):
            if answer is not None and answer.final and (self.end is None or ttl < self.end):
                self.end = ttl
        shown = answers[: self.end or last]
        for ttl, answer in enumerate(shown, start=1):
            self.history.setdefault(ttl, []).append(answer)
        await self._name(shown)
        for ttl, answer in enumerate(shown, start=1):
            probe = answer.as_probe(self.names.get(answer.address)) if answer else HopProbe()
            self.emit(
                HopEvent(
                    agent=self.env.agent,
                    target=self.cmd.target,
                    ttl=ttl,
                    probes=(probe,),
                    round=number,
                    probe="mtr",
                )
            )

    async def _name(self, answers: list[HopAnswer | None]) -> None:
        self.names.update(await self.env.names.names(a.address for a in answers if a is not None))

    def _summary(self, duration_ms: float) -> PathSummaryEvent:
        last = self.end or max(self.history, default=0)
        reached = self.end is not None and any(
            a is not None and a.final and a.icmp_error is None
            for a in self.history.get(self.end, [])
        )
        return PathSummaryEvent(
            agent=self.env.agent,
            target=self.cmd.target,
            address=self.resolved.address,
            probe="mtr",
            reached=reached,
            duration_ms=round(duration_ms, 3),
            hops=tuple(
                hop_stats(ttl, self.history.get(ttl, []), self.names) for ttl in range(1, last + 1)
            ),
        )
