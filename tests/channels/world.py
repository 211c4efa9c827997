"""An API over a real hub with in-memory agents, store and keys, and an httpx client on it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette

from cloudping.auth import KeyRing, Scope, SigningKey, TokenService
from cloudping.channels.api import app
from cloudping.hub import Hub, HubSettings
from cloudping.ipinfo.router import Ipinfo
from cloudping.routes.lookup import RouteSources
from cloudping.service import ApiSettings, CommandService
from cloudping.store import MemoryStore
from cloudping.testing import ScriptedAgent, scripted_hub

NOW = 1_750_000_000.0
BASE = "http://testserver"
WAIT = 5.0  # seconds: every wait in these tests is bounded by it
# Where both agents say they are (cities are their names: fra1 in "fra1").
_BERLIN: dict[str, Any] = {"country": "DE", "lat": 52.5, "lon": 13.4, "tags": ("datacenter",)}


@dataclass
class World:
    """The app, what it is built on, and a client that speaks to it in-process."""

    hub: Hub
    store: MemoryStore
    tokens: TokenService
    client: httpx.AsyncClient
    links: dict[str, ScriptedAgent]
    app: Starlette
    now: list[float] = field(default_factory=lambda: [NOW])

    def token(self, *scopes: Scope, sub: str = "alice", ttl: int = 3600) -> str:
        """A token issued now."""
        return self.tokens.issue(sub, "api", scopes=scopes, ttl=ttl, now=self.now[0])

    def auth(self, *scopes: Scope, sub: str = "alice") -> dict[str, str]:
        """The Authorization header of a fresh token."""
        return {"Authorization": f"Bearer {self.token(*scopes, sub=sub)}"}


@contextlib.asynccontextmanager
async def world(
    settings: ApiSettings | None = None,
    *,
    client: tuple[str, int] = ("127.0.0.1", 4000),
    routes: RouteSources | None = None,
    ipinfo: Ipinfo | None = None,
    **options: Any,
) -> AsyncIterator[World]:
    """A hub with agents ``fra1`` (finishes its jobs) and ``ams1`` (waits to be told).

    ``client`` is the address requests come from; ``routes`` the route store ``route``
    reads; ``ipinfo``: the hub's IP info providers; ``options`` go to :class:`ApiSettings`.
    """
    store = MemoryStore()
    tokens = TokenService(KeyRing.of(SigningKey.generate()))
    now = [NOW]
    chosen = settings or ApiSettings(clock=lambda: now[0], follow_interval_s=0.01, **options)
    links = {
        name: ScriptedAgent(name, finishes=name == "fra1", count=2, asn=asn, city=name, **_BERLIN)
        for asn, name in enumerate(("fra1", "ams1"), start=1)
    }
    async with scripted_hub(*links.values(), store=store, settings=HubSettings(max_jobs=10)) as hub:
        api = app(CommandService(hub, store, chosen, routes=routes, ipinfo=ipinfo), tokens)
        transport = httpx.ASGITransport(app=api, client=client)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield World(hub, store, tokens, http, links, api, now)


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON objects of an NDJSON body."""
    return [json.loads(line) for line in response.text.splitlines()]


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a JSON error answer (checking its shape)."""
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str)
    assert isinstance(error["message"], str)
    return error
