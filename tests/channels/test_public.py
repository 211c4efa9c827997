"""What needs no measurement: the agent list, /healthz, the JWKS and the seed's /ping."""

from __future__ import annotations

import base64
import hashlib

import jwt
import pytest

from .world import error_of, lines, world

pytestmark = pytest.mark.anyio


async def test_the_agent_list_is_public_and_hides_coordinates() -> None:
    async with world() as w:
        response = await w.client.get("/api/v1/agents")
    assert response.status_code == 200
    agents = response.json()["agents"]
    assert [agent["name"] for agent in agents] == ["ams1", "fra1"]
    assert agents[1] == {
        "name": "fra1",
        "country": "DE",
        "city": "fra1",
        "asn": 1,
        "isp": None,
        "tags": ["datacenter"],
        "capabilities": ["icmp", "udp", "tcp", "dns", "http", "http3", "scan"],
    }


async def test_the_agent_list_shows_coordinates_when_the_settings_say_so() -> None:
    async with world(expose_coordinates=True) as w:
        response = await w.client.get("/api/v1/agents")
    agent = response.json()["agents"][0]
    assert (agent["lat"], agent["lon"]) == (52.5, 13.4)


async def test_healthz_answers_ok() -> None:
    async with world() as w:
        response = await w.client.get("/healthz")
    assert response.json() == {"status": "ok"}


async def test_an_unknown_path_is_a_json_404() -> None:
    async with world() as w:
        response = await w.client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


async def test_the_seed_ping_endpoint_streams_ndjson() -> None:
    async with world() as w:
        query = {
            "targets": "a.example,b.example",
            "from": "fra1",
            "count": "2",
            "intervalMs": "500",
        }
        response = await w.client.get("/ping", params=query, headers=w.auth("measure"))
        stored = await w.store.get(lines(response)[0]["id"])
    events = lines(response)
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert events[-1]["type"] == "end"
    assert {e["target"] for e in events if e["type"] == "reply"} == {"a.example", "b.example"}
    assert stored.command_json["interval"] == 0.5
    assert stored.command_json["count"] == 2


async def test_the_seed_ping_endpoint_without_targets_is_400() -> None:
    async with world() as w:
        response = await w.client.get("/ping", headers=w.auth("measure"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


async def test_the_seed_ping_endpoint_with_a_bad_count_names_it() -> None:
    async with world() as w:
        query = {"targets": "a.example", "count": "many"}
        response = await w.client.get("/ping", params=query, headers=w.auth("measure"))
    assert response.status_code == 400
    assert error_of(response)["word"] == "many"


async def test_the_jwks_lets_anyone_verify_the_hubs_tokens_and_holds_no_private_key() -> None:
    async with world() as w:
        response = await w.client.get("/auth/jwks.json")
        token = w.token("measure")
    assert response.status_code == 200
    assert "max-age=" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert all("d" not in key for key in keys)  # the private part never leaves the hub
    assert {(key["kty"], key["crv"]) for key in keys} == {("OKP", "Ed25519")}
    kid = jwt.get_unverified_header(token)["kid"]
    [public] = [key for key in keys if key["kid"] == kid]
    key = jwt.PyJWK(public).key
    no_clock: jwt.types.Options = {"verify_exp": False, "verify_iat": False}  # a fixed clock
    claims = jwt.decode(token, key, ["EdDSA"], no_clock, audience="api", issuer=w.tokens.issuer)
    assert claims["sub"] == "alice"


async def test_without_the_web_page_browsers_get_a_strict_html_index_at_the_root() -> None:
    async with world() as w:  # the API alone: what a hub with --no-web serves at /
        response = await w.client.get("/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for path in ("/api/v1/openapi.json", "/api/v1/agents", "/healthz"):
        assert f'<a href="{path}">' in page
    assert "--no-web" in page
    assert "://" not in page  # nothing from elsewhere
    assert "<script" not in page
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; ")
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
