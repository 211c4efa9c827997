"""``GET /api/v1/routes`` and ``route`` through ``POST /commands`` and MCP ``route_lookup``:
the command service answers from the hub's route store, and a new generation is served by
the next request."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mcp_types import TextContent
from routes.mrtbytes import small_table

from cloudping.routes.ingest import ingest
from cloudping.routes.lookup import RouteStore

from .mcp.twin import mcp_world
from .world import error_of, world

pytestmark = pytest.mark.anyio
ROUTE_FIELDS = {"prefix", "peer", "peer_as", "as_path", "origin_as", "next_hop", "communities",
                "large_communities"}  # fmt: skip


@pytest.fixture
def routes(tmp_path: Path) -> RouteStore:
    (tmp_path / "a.mrt").write_bytes(small_table(64501))
    ingest(tmp_path / "data", "lab", str(tmp_path / "a.mrt"), now=0.0)
    return RouteStore(tmp_path / "data")


async def test_routes_by_address_answer_every_route_and_the_groups(routes: RouteStore) -> None:
    async with world(routes=routes) as w:
        found = await w.client.get(
            "/api/v1/routes", params={"prefix": "203.0.113.9"}, headers=w.auth()
        )
    assert found.status_code == 200
    body = found.json()
    assert body["command"] == "route"
    assert [(r["peer"], r["peer_as"], r["as_path"]) for r in body["routes"]] == [
        ("192.0.2.1", 64500, [64500, 64501]),
        ("2001:db8::1", 4200000001, [4200000001, 64501]),
    ]
    assert set(body["routes"][0]) >= ROUTE_FIELDS
    (group,) = body["groups"]
    assert group["origin_as"] == [64501]
    assert group["visibility"] == 2
    assert body["truncated"] is False
    assert body["text"].startswith("PREFIX")


@pytest.mark.parametrize(
    ("params", "prefixes"),
    [
        ({"origin": "AS4200000001"}, ["2001:db8:40::/48"]),
        ({"neighbor": "64500"}, ["203.0.113.0/24"]),
        ({"path": "4200000001,64501"}, ["203.0.113.0/24"]),
        ({"path": "64501 4200000001"}, []),
        ({"prefix": "203.0.0.0/8", "more_specific": "true"}, ["203.0.113.0/24"] * 2),
        ({"prefix": "203.0.113.0/25", "less_specific": "1"}, ["203.0.113.0/24"] * 2),
        ({"prefix": "203.0.113.0/24", "limit": "1"}, ["203.0.113.0/24"]),
    ],
)
async def test_every_query_parameter_of_the_names_list(
    routes: RouteStore, params: dict[str, str], prefixes: list[str]
) -> None:
    async with world(routes=routes) as w:
        found = await w.client.get("/api/v1/routes", params=params, headers=w.auth())
    assert found.status_code == 200, found.text
    assert [route["prefix"] for route in found.json()["routes"]] == prefixes


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({}, 400, "bad_command"),
        ({"prefix": "203.0.113.0/24", "origin": "1"}, 400, "bad_command"),
        ({"prefix": "203.0.113.0/24", "colour": "red"}, 400, "bad_request"),
        ({"prefix": "203.0.113.0/24", "more_specific": "perhaps"}, 400, "bad_request"),
        ({"origin": "1", "source": "rrc00"}, 404, "no_routes"),
    ],
)
async def test_bad_queries_get_their_status_and_code(
    routes: RouteStore, params: dict[str, str], status: int, code: str
) -> None:
    async with world(routes=routes) as w:
        found = await w.client.get("/api/v1/routes", params=params, headers=w.auth())
    assert found.status_code == status
    assert error_of(found)["code"] == code


async def test_a_new_generation_is_served_by_the_next_request(
    routes: RouteStore, tmp_path: Path
) -> None:
    async with world(routes=routes) as w:
        before = await w.client.get("/api/v1/routes", params={"origin": "64501"}, headers=w.auth())
        (tmp_path / "b.mrt").write_bytes(small_table(64502))
        # `cloudping route ingest` runs in another process; here, in a thread beside the loop.
        await asyncio.to_thread(ingest, routes.data_dir, "lab", str(tmp_path / "b.mrt"), now=1.0)
        old = await w.client.get("/api/v1/routes", params={"origin": "64501"}, headers=w.auth())
        new = await w.client.get("/api/v1/routes", params={"origin": "64502"}, headers=w.auth())
    assert len(before.json()["routes"]) == 2
    assert old.json()["routes"] == []
    assert len(new.json()["routes"]) == 2


async def test_route_through_post_commands_is_the_same_answer(routes: RouteStore) -> None:
    async with world(routes=routes) as w:
        posted = await w.client.post(
            "/api/v1/commands", json={"command": "route --origin 64501"}, headers=w.auth()
        )
        got = await w.client.get("/api/v1/routes", params={"origin": "64501"}, headers=w.auth())
    assert posted.json() == got.json()


async def test_mcp_route_lookup_answers_a_compact_grouped_table(routes: RouteStore) -> None:
    async with mcp_world(routes=routes) as w:
        result = await w.client.call_tool("route_lookup", {"prefix": "203.0.113.9"})
        missing = await w.client.call_tool("route_lookup", {"origin": 1, "source": "rrc00"})
    assert not result.is_error
    text = result.structured_content["text"]
    assert text.splitlines()[1].split()[:3] == ["203.0.113.0/24", "AS64501", "1/2"]
    assert text.endswith("2 routes, 1 prefix")
    assert missing.is_error
    first = missing.content[0]
    assert isinstance(first, TextContent)
    assert first.text.startswith("no_routes: ")
