"""traceroute: the path to one target, hop by hop, many TTLs in flight at once.

As traceroute(8): ``-q`` probes per hop, up to 16 probes in flight (its ``-N`` default), an
early stop once the target (or an unreachable error) ends the path, every responder of a hop
kept (ECMP), rDNS of each address. With ``--df``, a router's "fragmentation needed" (or a
first link that is too small) shrinks the probes to the MTU it names and probes that hop again,
so the trace ends with the path MTU (RFC 1191, RFC 8201).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from cloudping.commands import TracerouteCommand
from cloudping.events import Emit, ErrorEvent, HopEvent, HopProbe, PathSummaryEvent, StartEvent
from cloudping.probes.env import ProbeEnv, Resolved
from cloudping.probes.path.hops import Answers, HopAnswer, PathTrace, hop_stats, path_mtu
from cloudping.probes.path.probers import (
    MTU_ERRORS,
    HopProber,
    LocalMtuError,
    open_path,
)

IN_FLIGHT = 16  # traceroute(8)'s default number of simultaneous probes
_MAX_SHRINKS = 8


def header_bytes(family: int, proto: str) -> int:
    """IP plus transport header bytes in front of the payload (a TCP SYN carries ~20 more)."""
    return (20 if family == 4 else 40) + (20 if proto == "tcp" else 8)


@dataclass
class PacketSize:
    """The payload size in use, shrunk as routers report smaller MTUs (with ``--df``)."""

    payload: int
    overhead: int
    mtus: list[int] = field(default_factory=list)

    def shrink(self, mtu: int) -> None:
        """Fit the packets to ``mtu`` (never grows them)."""
        self.mtus.append(mtu)
        self.payload = min(self.payload, max(0, mtu - self.overhead))


async def run(cmd: TracerouteCommand, env: ProbeEnv, emit: Emit) -> list[PathSummaryEvent]:
    """Trace the path to ``cmd.target``; emits ``start``, ``hop`` events in order, ``summary``."""
    async with open_path(
        cmd.target,
        cmd.family,
        env,
        emit,
        proto=cmd.proto,
        timeout=cmd.timeout,
        port=cmd.port,
        paris=cmd.paris,
        df=cmd.df,
    ) as opened:
        return [] if opened is None else [await _Trace(cmd, *opened, env, emit).run()]


class _Trace:
    def __init__(
        self,
        cmd: TracerouteCommand,
        resolved: Resolved,
        prober: HopProber,
        env: ProbeEnv,
        emit: Emit,
    ) -> None:
        self.cmd, self.resolved, self.prober, self.env, self.emit = cmd, resolved, prober, env, emit
        self.trace = PathTrace(cmd.first_hop, cmd.max_hops, cmd.queries)
        self.size = PacketSize(cmd.size, header_bytes(resolved.family, cmd.proto))
        self.slots = asyncio.Semaphore(IN_FLIGHT)
        self.names: dict[str, str | None] = {}
        self.rows: list[tuple[int, Answers]] = []
        self.printing = asyncio.Lock()
        self.finished = asyncio.Event()
        self.failure: OSError | None = None

    async def run(self) -> PathSummaryEvent:
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.emit(
            StartEvent(
                agent=self.env.agent,
                target=self.cmd.target,
                address=self.resolved.address,
                family=self.resolved.family,
                probe="traceroute",
                method=self.prober.method,
                size=self.cmd.size,
                port=self.cmd.port,
                max_hops=self.cmd.max_hops,
            )
        )
        tasks = [
            loop.create_task(self._probe(ttl, query))
            for ttl in range(self.cmd.first_hop, self.cmd.max_hops + 1)
            for query in range(self.cmd.queries)
        ]
        # Until every hop up to the end is out: probes beyond it may still be in flight.
        probes: asyncio.Future[list[None]] = asyncio.gather(*tasks)
        finished: asyncio.Future[bool] = asyncio.ensure_future(self.finished.wait())
        try:
            await asyncio.wait([probes, finished], return_when=asyncio.FIRST_COMPLETED)  # type: ignore[type-var]
            if probes.done():
                probes.result()  # a bug inside a probe surfaces here
        finally:
            finished.cancel()
            probes.cancel()  # probes beyond the end: no longer needed
            await asyncio.wait([probes])
            if not probes.cancelled():
                probes.exception()  # retrieved: it was raised above if it mattered
        if self.failure is not None:
            self.emit(
                ErrorEvent(
                    code="send_failed",
                    message=f"traceroute to {self.resolved.address}: {self.failure.strerror}",
                    agent=self.env.agent,
                    target=self.cmd.target,
                )
            )
        return self._summary((loop.time() - started) * 1000)

    async def _probe(self, ttl: int, query: int) -> None:
        async with self.slots:
            if self.trace.beyond_end(ttl) or self.finished.is_set():
                return
            try:
                answer = await self._probe_fitting(ttl)
            except OSError as exc:  # the kernel will not send (no route to the target)
                self.failure = exc
                self.finished.set()
                return
        self.trace.record(ttl, query, answer)
        await self._emit_ready()

    async def _probe_fitting(self, ttl: int) -> HopAnswer | None:
        """One probe; with --df, again with smaller packets while routers say it is too big."""
        for _ in range(_MAX_SHRINKS):
            size = self.size.payload  # other probes may shrink it meanwhile
            try:
                answer = await self.prober.probe(ttl, size)
            except LocalMtuError as exc:
                self.size.shrink(exc.mtu)
                if self.size.payload < size:
                    continue
                return None
            too_big = self.cmd.df and answer and answer.icmp_error in MTU_ERRORS and answer.mtu
            if not too_big or answer is None or answer.mtu is None:
                return answer
            self.size.shrink(answer.mtu)
            if self.size.payload >= size:
                return answer
        return None

    async def _emit_ready(self) -> None:
        async with self.printing:  # hop lines leave in TTL order, each once
            for ttl, answers in self.trace.pop_ready():
                await self._name(answers)
                self.rows.append((ttl, answers))
                self.emit(
                    HopEvent(
                        agent=self.env.agent,
                        target=self.cmd.target,
                        ttl=ttl,
                        probes=tuple(
                            a.as_probe(self.names.get(a.address)) if a else _SILENT for a in answers
                        ),
                    )
                )
            if self.trace.done:
                self.finished.set()

    async def _name(self, answers: Answers) -> None:
        self.names.update(await self.env.names.names(a.address for a in answers if a is not None))

    def _summary(self, duration_ms: float) -> PathSummaryEvent:
        summary = PathSummaryEvent(
            agent=self.env.agent,
            target=self.cmd.target,
            address=self.resolved.address,
            probe="traceroute",
            reached=self.trace.reached,
            hops=tuple(hop_stats(ttl, answers, self.names) for ttl, answers in self.rows),
            duration_ms=round(duration_ms, 3),
            path_mtu=self._path_mtu(),
        )
        self.emit(summary)
        return summary

    def _path_mtu(self) -> int | None:
        reported = path_mtu([a for _, answers in self.rows for a in answers])
        known = [m for m in (reported, *self.size.mtus) if m is not None]
        if known:
            return min(known)
        return (
            self.size.payload + self.size.overhead if self.cmd.df and self.trace.reached else None
        )


_SILENT = HopProbe()  # a probe nobody answered: shown as *
