"""The scale benchmark's load: many simulated agents, each a real QUIC connection to one hub.

``python -m benchmarks.swarm --hub HOST:PORT --fingerprint FP --data-dir DIR`` dials the hub
with :func:`cloudping.transport.quic.dial_hub` (one UDP socket and one QUIC connection per agent,
the real hello with a token signed by the hub's key, heartbeats by the real control channel).
Jobs are answered synthetically: a ping offer gets ``start``, one ``reply`` per packet at the
command's interval, ``summary`` and ``JobEnd``, without sending a packet: the benchmark
measures the hub, not probes.

Driven by JSON lines on stdin, each answered with one JSON line on stdout:
``{"grow": N}`` connects agents until N are up (``{"agents", "failed", "seconds", ...}``),
``{"stats": true}`` reports counts. Agents ``sim-0001`` ... ``sim-FAN`` carry the tag
``fan``. At EOF (or after ``--lifetime`` seconds) every connection is closed and it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.common import percentile
from benchmarks.hubproc import FAN_TAG, agent_name, stdin_lines
from cloudping.auth import DEFAULT_ISSUER, KeyDirectory, TokenService
from cloudping.errors import CloudpingError
from cloudping.events import Event, PingSummaryEvent, ReplyEvent, StartEvent
from cloudping.transport.core import ConnectionEvent
from cloudping.transport.ends import HubConnection
from cloudping.transport.quic import dial_hub
from cloudping.transport.trust import HubTrust
from cloudping.wire import (
    AgentAttributes,
    Cancel,
    Hello,
    JobEnd,
    JobOffer,
    LocalProtocolError,
    Message,
)
from cloudping.wire.payloads import job_event

SYNTHETIC_RTT_MS = 0.05
DIAL_TIMEOUT_S = 20.0
TOKEN_TTL_S = 3600


class Responder:
    """Answers the hub's offers on every simulated agent's connection (synthetic results)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._timers: dict[tuple[int, str], list[asyncio.TimerHandle]] = {}

    def __call__(self, agent: str, link: HubConnection, event: ConnectionEvent) -> None:
        """The ``on_event`` of each connection (with its agent's name bound first)."""
        if isinstance(event, JobOffer):
            self.counts["offers"] += 1
            self._play(agent, link, event)
        elif isinstance(event, Cancel):
            self.counts["cancels"] += 1
            for timer in self._timers.pop((id(link), event.job_id), []):
                timer.cancel()
            self._send(link, JobEnd(job_id=event.job_id, status="cancelled"))

    def _play(self, agent: str, link: HubConnection, offer: JobOffer) -> None:
        """Schedule the job's events as a ping of ``count`` packets at ``interval`` would."""
        loop = asyncio.get_running_loop()
        target = offer.command["targets"][0]
        count, interval = int(offer.command["count"]), float(offer.command["interval"])
        start = StartEvent(agent=agent, target=target, address=target, family=4,
                           probe="ping", method="icmp", size=56)  # fmt: skip
        self._event(link, offer.job_id, start)
        timers = [
            loop.call_later(n * interval, self._reply, agent, link, offer.job_id, target, n + 1)
            for n in range(count)
        ]
        done = (count - 1) * interval + SYNTHETIC_RTT_MS / 1000
        timers.append(loop.call_later(done, self._finish, agent, link, offer.job_id, target, count))
        self._timers[(id(link), offer.job_id)] = timers

    def _reply(self, agent: str, link: HubConnection, job_id: str, target: str, seq: int) -> None:
        reply = ReplyEvent(agent=agent, target=target, seq=seq, address=target,
                           rtt_ms=SYNTHETIC_RTT_MS, size=64, ttl=64)  # fmt: skip
        self._event(link, job_id, reply)

    def _finish(
        self, agent: str, link: HubConnection, job_id: str, target: str, count: int
    ) -> None:
        self._timers.pop((id(link), job_id), None)
        summary = PingSummaryEvent(
            agent=agent, target=target, address=target, sent=count,
            received=count, loss=0.0, min_ms=SYNTHETIC_RTT_MS, avg_ms=SYNTHETIC_RTT_MS,
            max_ms=SYNTHETIC_RTT_MS, duration_ms=SYNTHETIC_RTT_MS,
        )  # fmt: skip
        self._event(link, job_id, summary)
        if self._send(link, JobEnd(job_id=job_id, status="completed")):
            self.counts["completed"] += 1

    def _event(self, link: HubConnection, job_id: str, event: Event) -> None:
        self._send(link, job_event(job_id, event))

    def _send(self, link: HubConnection, message: Message) -> bool:
        try:
            link.send(message)
        except LocalProtocolError:
            self.counts["not_sent"] += 1
            return False
        return True


class Swarm:
    """The simulated agents: grown on request, all held until :meth:`close`.

    Args:
        hub: the hub's UDP address.
        trust: its pinned certificate.
        tokens: signs each agent's token (the hub's own key, from its data directory).
        fan: agents ``1..fan`` carry the tag ``fan``.
        concurrency: most handshakes in flight at once.
        tasks: holds one task per agent.
    """

    def __init__(
        self,
        hub: tuple[str, int],
        trust: HubTrust,
        tokens: TokenService,
        *,
        fan: int,
        concurrency: int,
        tasks: asyncio.TaskGroup,
    ) -> None:
        self._hub, self._trust, self._tokens, self._fan = hub, trust, tokens, fan
        self._gate = asyncio.Semaphore(concurrency)
        self._tasks = tasks
        self._stopping: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._next = 1
        self.responder = Responder()
        self.up = 0
        self.lost: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self._dial_ms: list[float] = []

    async def grow(self, total: int) -> dict[str, Any]:
        """Dial agents until ``total`` have been tried; their outcome once all are known."""
        start = time.perf_counter()
        self._dial_ms.clear()
        loop = asyncio.get_running_loop()
        outcomes: list[asyncio.Future[bool]] = []
        while self._next <= total:
            outcome: asyncio.Future[bool] = loop.create_future()
            self._tasks.create_task(self._hold(self._next, outcome))
            outcomes.append(outcome)
            self._next += 1
        if outcomes:
            await asyncio.wait(outcomes)
        dials = self._dial_ms or [0.0]
        return self.stats() | {
            "seconds": time.perf_counter() - start,
            "dial_ms_median": percentile(dials, 50),
            "dial_ms_p95": percentile(dials, 95),
            "dial_ms_max": max(dials),
        }

    def stats(self) -> dict[str, Any]:
        """Agents up, failures and losses by reason, and the responder's counts."""
        return {
            "agents": self.up,
            "failed": dict(self.failed),
            "lost": dict(self.lost),
            "jobs": dict(self.responder.counts),
        }

    def close(self) -> None:
        """Every agent leaves (its task closes its connection)."""
        if not self._stopping.done():
            self._stopping.set_result(None)

    async def _hold(self, n: int, outcome: asyncio.Future[bool]) -> None:
        """One agent: dial (gated), report, stay until the swarm closes or the link drops."""
        name = agent_name(n)
        try:
            async with contextlib.AsyncExitStack() as stack:
                async with self._gate:
                    began = time.perf_counter()
                    link = await stack.enter_async_context(self._dial(name, n <= self._fan))
                    self._dial_ms.append((time.perf_counter() - began) * 1000)
                self.up += 1
                outcome.set_result(True)
                either: list[asyncio.Future[Any]] = [self._stopping, link.closed]
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
                self.up -= 1
                if not self._stopping.done():
                    self.lost[link.closed.result().reason[:60]] += 1
        except CloudpingError as exc:
            self.failed[exc.code] += 1
            if not outcome.done():
                outcome.set_result(False)

    def _dial(self, name: str, fan: bool) -> contextlib.AbstractAsyncContextManager[HubConnection]:
        attributes = AgentAttributes(
            capabilities=("icmp", "udp", "tcp"),
            tags=(FAN_TAG,) if fan else (),
            software="cloudping-bench-swarm",
        )
        token = self._tokens.issue(name, "agent", ttl=TOKEN_TTL_S, now=time.time())
        hello = Hello(name=name, token=token, attributes=attributes)
        return dial_hub(
            *self._hub,
            trust=self._trust,
            hello=hello,
            on_event=functools.partial(self.responder, name),
            timeout=DIAL_TIMEOUT_S,
        )

    async def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to one request line."""
        if "grow" in request:
            return await self.grow(int(request["grow"]))
        return self.stats()


async def run(args: argparse.Namespace) -> None:
    """Answer request lines until stdin ends (or ``--lifetime`` passes), then leave."""
    host, _, port = args.hub.rpartition(":")
    keys = KeyDirectory.in_data_dir(args.data_dir).load()
    tokens = TokenService(keys, args.issuer)
    async with asyncio.timeout(args.lifetime), asyncio.TaskGroup() as tasks:
        swarm = Swarm(
            (host, int(port)),
            HubTrust.pinned(args.fingerprint),
            tokens,
            fan=args.fan,
            concurrency=args.concurrency,
            tasks=tasks,
        )
        try:
            async for line in stdin_lines():
                print(json.dumps(await swarm.answer(json.loads(line))), flush=True)
        finally:
            swarm.close()


def main(argv: Sequence[str]) -> None:
    """Parse the options, allow a descriptor per agent, run."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.swarm")
    p.add_argument("--hub", required=True, metavar="HOST:PORT")
    p.add_argument("--fingerprint", required=True)
    p.add_argument("--data-dir", required=True, type=Path, help="the hub's (its signing key)")
    p.add_argument("--issuer", default=DEFAULT_ISSUER)
    p.add_argument("--fan", type=int, default=200, help="agents tagged 'fan'")
    p.add_argument("--concurrency", type=int, default=32, help="handshakes in flight")
    p.add_argument("--lifetime", type=float, default=600.0, help="seconds before it leaves")
    args = p.parse_args(argv)
    # One UDP socket per agent: the soft limit is often 1024 (the hard one is higher).
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(run(args))


if __name__ == "__main__":
    main(sys.argv[1:])
