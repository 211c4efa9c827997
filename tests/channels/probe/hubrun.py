"""A hub run in this process with its in-process agent (serving loopback), the API on
loopback and the ``/probe`` channel: what the endpoint tests talk to over real sockets."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cloudping.agent.admit import AgentRules
from cloudping.auth import DEFAULT_ISSUER, data_dir_tokens
from cloudping.channels.probe import BUILTIN, ProbeModule, probe_channel
from cloudping.hub.local import LocalAgentSettings
from cloudping.hub.server import HubServerSettings
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import serve
from cloudping.service import ApiSettings
from cloudping.service.settings import Quota

WAIT = 20.0
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


@dataclass(frozen=True)
class RunningHub:
    url: str
    metrics_url: str | None
    tokens: dict[str, str]

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.tokens[token]}"} if token else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=WAIT)


def issue(data_dir: Path, **scopes: tuple[str, ...]) -> dict[str, str]:
    """Tokens by name, each with its scopes (made before the hub starts: files)."""
    with data_dir_tokens(data_dir, DEFAULT_ISSUER) as tokens:
        return {
            name: tokens.issue(name, "api", scopes=granted, ttl=3600, now=time.time())  # type: ignore[arg-type]
            for name, granted in scopes.items()
        }


@asynccontextmanager
async def running_hub(
    data_dir: Path,
    *,
    quota: Quota | None = None,
    metrics_port: int | None = None,
    modules: Mapping[str, ProbeModule] = BUILTIN,
) -> AsyncIterator[RunningHub]:
    scopes = {
        "prober": ("measure", "private"),
        "public": ("measure",),
        "admin": ("admin",),
        "reader": (),
    }
    tokens = await asyncio.to_thread(issue, data_dir, **scopes)
    stop, ready = asyncio.Event(), asyncio.Event()
    ports: list[int] = []

    def greeting(_: object, port: int | None) -> str:
        assert port is not None
        ports.append(port)
        ready.set()
        return ""

    settings = ApiSettings() if quota is None else ApiSettings(user_quota=quota)
    api = ApiListen("127.0.0.1", 0, settings)
    hub = HubServerSettings(
        data_dir=data_dir, local_agent=LocalAgentSettings(rules=AgentRules(served=LOOPBACK))
    )
    metrics = ("127.0.0.1", metrics_port) if metrics_port is not None else None
    task = asyncio.create_task(
        serve(
            hub,
            stop=stop,
            api=api,
            greeting=greeting,
            channels=(probe_channel(modules),),
            metrics_listen=metrics,
        )
    )
    try:
        async with asyncio.timeout(WAIT):
            await ready.wait()
        metrics_url = f"http://127.0.0.1:{metrics_port}" if metrics_port else None
        yield RunningHub(f"http://127.0.0.1:{ports[0]}", metrics_url, tokens)
    finally:
        stop.set()
        async with asyncio.timeout(WAIT):
            await task
