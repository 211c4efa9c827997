"""Hostile commands over the HTTP API: never a 500, and the hub still answers ``/healthz``.

The agents are scripted (:class:`cloudping.testing.ScriptedAgent`): whatever parses gets a canned
answer, so every example runs the whole path (parse, policy, quota, hub, stream) in-process
and no packet leaves.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import httpx
from commands.strategies import hostile_forms, hostile_texts, hostile_words
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudping.auth import KeyRing, SigningKey, TokenService
from cloudping.channels.api import app
from cloudping.hub import HubSettings
from cloudping.service import ApiSettings, CommandService, Quota
from cloudping.store import MemoryStore
from cloudping.testing import ScriptedAgent, scripted_hub

from .world import BASE, NOW, WAIT

AGENTS = ("fra1", "ams1")

BATCH = st.lists(
    st.one_of(hostile_texts.map(lambda text: {"command": text}), hostile_forms),
    min_size=1,
    max_size=6,
)
SEED_QUERIES = st.lists(
    st.dictionaries(
        st.sampled_from(["targets", "from", "count", "intervalMs", "pktTimeoutMs", "x"]),
        st.one_of(hostile_words, st.text(max_size=8)),
        max_size=4,
    ),
    max_size=3,
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@asynccontextmanager
async def scripted_api() -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """The API over a hub whose agents answer from a script; a client and a measure token."""
    store = MemoryStore()
    agents = [ScriptedAgent(name, asn=asn, city=name) for asn, name in enumerate(AGENTS, 1)]
    tokens = TokenService(KeyRing.of(SigningKey.generate()))
    settings_ = ApiSettings(clock=lambda: NOW, user_quota=Quota(10_000, 1_000_000))
    async with scripted_hub(*agents, store=store, settings=HubSettings(max_jobs=20)) as hub:
        api = app(CommandService(hub, store, settings_), tokens)
        token = tokens.issue("alice", "api", scopes=("measure",), ttl=3600, now=NOW)
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield client, token


def _body(form: dict[str, Any]) -> bytes:
    # ensure_ascii: a lone surrogate travels as the JSON escape "\ud800", as a client sends it
    return json.dumps(form).encode()


def _query(params: dict[str, str]) -> str:
    # surrogatepass: the bytes of a lone surrogate, percent-encoded, as a hostile URL has them
    return "&".join(
        f"{quote(key)}={quote(value.encode('utf-8', 'surrogatepass'))}"
        for key, value in params.items()
    )


async def _send(batch: list[dict[str, Any]], queries: list[dict[str, str]]) -> list[int]:
    async with asyncio.timeout(WAIT * 4), scripted_api() as (client, token):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        statuses = []
        for form in batch:
            response = await client.post(
                "/api/v1/measurements", content=_body(form), headers=headers
            )
            statuses.append(response.status_code)
        for params in queries:
            response = await client.get(f"/ping?{_query(params)}", headers=headers)
            statuses.append(response.status_code)
        healthy = await client.get("/healthz")
        assert healthy.status_code == 200
    return statuses


@FUZZ
@given(BATCH, SEED_QUERIES)
def test_hostile_commands_never_get_a_500_and_the_hub_stays_healthy(
    batch: list[dict[str, Any]], queries: list[dict[str, str]]
) -> None:
    statuses = asyncio.run(_send(batch, queries))
    assert all(status < 500 for status in statuses), statuses
