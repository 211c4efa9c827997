"""A minimal hub on 127.0.0.1 over QUIC or WebSocket, for the agent's loopback tests.

It accepts (or refuses) every hello, offers its jobs and records what comes back. The agent
pins its self-signed certificate by fingerprint and dials it as ``cloudping agent`` does:
the same words (:meth:`MiniHubAt.words`), in process or as the real command.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cloudping.agent.connect import Dial
from cloudping.serve import agent as cli
from cloudping.transport.core import ConnectionEvent
from cloudping.transport.ends import AgentConnection
from cloudping.transport.hubcert import self_signed
from cloudping.transport.quic import serve_agents
from cloudping.transport.ws import serve_agents_ws
from cloudping.wire import Accept, Hello, JobEnd, JobEvent, JobOffer, Refuse

from .twin import WAIT

Transport = Literal["quic", "ws"]
TRANSPORTS: tuple[Transport, ...] = ("quic", "ws")
NAME = "lo1"
TOKEN = "eyJ.loopback-secret.sig"  # noqa: S105 (a stand-in that must never be logged)
ACCEPT = Accept(session_id="s1", heartbeat_interval_ms=1000, idle_timeout_ms=5000)


class MiniHub:
    """Accepts (or refuses) every hello, offers its jobs, records what comes back."""

    def __init__(self, jobs: list[JobOffer], refuse: Refuse | None = None) -> None:
        self.jobs, self.refuse = jobs, refuse
        self.reports: list[JobEvent | JobEnd] = []
        self.hellos = 0
        self._changed = asyncio.Event()

    def __call__(self, agent: AgentConnection, event: ConnectionEvent) -> None:
        if isinstance(event, Hello):
            self.hellos += 1
            if self.refuse is not None:
                agent.send(self.refuse)
            else:
                agent.send(ACCEPT)
                for job in self.jobs:
                    agent.send(job)
        elif isinstance(event, JobEvent | JobEnd):
            self.reports.append(event)
        self._changed.set()

    def types(self, job_id: str) -> list[str]:
        """The types of the job's events, in order."""
        return [
            r.event["type"] for r in self.reports if isinstance(r, JobEvent) and r.job_id == job_id
        ]

    def end(self, job_id: str) -> JobEnd | None:
        """The job's end, once it came."""
        return next((r for r in self.reports if isinstance(r, JobEnd) and r.job_id == job_id), None)

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        """Until ``condition()`` holds (re-checked at every event), at most WAIT seconds."""
        async with asyncio.timeout(WAIT):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


@dataclass(frozen=True, slots=True)
class MiniHubAt:
    """Where a mini hub listens: what ``--hub`` says, and its certificate's pin."""

    hub: str
    fingerprint: str

    def words(self) -> list[str]:
        """``cloudping agent``'s options for this hub (agent ``lo1``, serving loopback)."""
        return [
            "--hub", self.hub, "--name", NAME, "--token", TOKEN,
            "--hub-fingerprint", self.fingerprint, "--serve", "127.0.0.0/8",
        ]  # fmt: skip

    def dialler(self) -> Dial:
        """Dials as ``cloudping agent`` with :meth:`words` does (its settings and dialler)."""
        return cli.dialler(cli.settings(cli.parser().parse_args(self.words()), ("icmp",)))


@asynccontextmanager
async def serve_mini_hub(
    directory: Path, mini: MiniHub, transport: Transport
) -> AsyncIterator[MiniHubAt]:
    """Serve ``mini`` on 127.0.0.1 (a free port) over ``transport`` until the block ends;
    its certificate and key are written into ``directory``."""
    cert = self_signed(["127.0.0.1"])
    (directory / "hub.crt").write_bytes(cert.certificate_pem)
    (directory / "hub.key").write_bytes(cert.private_key_pem)
    crt, key = directory / "hub.crt", directory / "hub.key"
    if transport == "ws":
        async with serve_agents_ws(
            "127.0.0.1", 0, certificate=crt, private_key=key, on_event=mini
        ) as ws:
            yield MiniHubAt(ws.url, cert.fingerprint)
    else:
        async with serve_agents(
            "127.0.0.1", 0, certificate=crt, private_key=key, on_event=mini
        ) as quic:
            yield MiniHubAt(f"127.0.0.1:{quic.port}", cert.fingerprint)
