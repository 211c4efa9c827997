"""A hub serving its whole HTTP surface with uvicorn on 127.0.0.1 (port 0), as ``cloudping
up`` does, for tests written from an attacker's side: raw HTTP requests to a real server."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from hub.serving import SERVING_LOOPBACK, settings

from cloudping.edge import HttpSettings
from cloudping.hub.local import LocalAgentSettings
from cloudping.hub.server import HubServer
from cloudping.serve.http import ApiListen, serve_api
from cloudping.service import ApiSettings

WAIT = 10.0  # seconds: the bound on every wait (loopback answers in milliseconds)
GUESTS = ApiSettings(anonymous="guest")
# A guest's ping that the local agent refuses (loopback needs the private scope): it still
# shows a measurement was admitted and run, and sends no packet.
GUEST_PING = {"command": "ping -c 1 127.0.0.1"}


@dataclass(frozen=True)
class Served:
    """The running hub, and where its HTTP server listens."""

    server: HubServer
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@asynccontextmanager
async def served(
    data_dir: Path, api: ApiSettings = GUESTS, http: HttpSettings | None = None
) -> AsyncIterator[Served]:
    """The hub with its local agent; ``api``: how it treats callers (guests by default)."""
    config = dataclasses.replace(
        settings(data_dir), local_agent=LocalAgentSettings(rules=SERVING_LOOPBACK)
    )
    listen = ApiListen("127.0.0.1", 0, api, http=http or HttpSettings())
    async with (
        asyncio.timeout(WAIT * 4),
        HubServer(config) as server,
        serve_api(server, listen) as port,
    ):
        yield Served(server, port)
