"""From a web page's side: a page on another site, or a rebound name, cannot drive the hub.

Before the guard, ``POST /api/v1/measurements`` with ``Content-Type: text/plain``, ``Origin:
http://evil.example`` and ``Host: evil.example`` ran as the guest on ``cloudping up``.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from cloudping.edge import HttpSettings

from .served import GUEST_PING, WAIT, served

pytestmark = pytest.mark.anyio
EVIL = {"Origin": "http://evil.example"}
MEASURE = "/api/v1/measurements"


def _error(response: httpx.Response) -> dict[str, object]:
    error: dict[str, object] = response.json()["error"]
    return error


async def test_the_reported_request_is_refused_for_its_host(tmp_path: Path) -> None:
    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        headers = EVIL | {"Host": "evil.example", "Content-Type": "text/plain"}
        response = await http.post(
            hub.base + MEASURE, content=json.dumps(GUEST_PING), headers=headers
        )
    assert response.status_code == 421
    assert _error(response)["code"] == "host_not_allowed"


@pytest.mark.parametrize("path", [MEASURE, "/ping?targets=127.0.0.1", "/mcp", "/api/v1/agents"])
async def test_a_rebound_name_is_refused_on_every_route(tmp_path: Path, path: str) -> None:
    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        rebound = await http.get(hub.base + path, headers={"Host": "evil.example:8080"})
        named = await http.get(hub.base + "/api/v1/agents", headers={"Host": "localhost:8080"})
    assert rebound.status_code == 421
    assert named.status_code == 200


async def test_a_page_on_another_site_is_refused_even_with_json(tmp_path: Path) -> None:
    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        response = await http.post(hub.base + MEASURE, json=GUEST_PING, headers=EVIL)
        ours = await http.post(hub.base + MEASURE, json=GUEST_PING, headers={"Origin": hub.base})
    assert response.status_code == 403
    assert _error(response)["code"] == "origin_not_allowed"
    assert ours.status_code == 200  # the hub's own page may


async def test_a_text_plain_body_is_415_naming_json(tmp_path: Path) -> None:
    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        response = await http.post(
            hub.base + MEASURE,
            content=json.dumps(GUEST_PING),
            headers={"Content-Type": "text/plain"},
        )
    assert response.status_code == 415
    error = _error(response)
    assert error["code"] == "unsupported_media_type"
    assert error["expected"] == ["application/json"]
    assert "application/json" in str(error["message"])


@pytest.mark.parametrize("path", [MEASURE, "/ping?targets=127.0.0.1"])
async def test_a_cross_site_request_is_no_guest(tmp_path: Path, path: str) -> None:
    # A form or an <img> on another site sends no Origin on a GET, but the browser says
    # Sec-Fetch-Site: cross-site; such a request must not spend the visitor's guest quota.
    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        headers = {"Sec-Fetch-Site": "cross-site"}
        if path == MEASURE:
            refused = await http.post(hub.base + path, json=GUEST_PING, headers=headers)
        else:
            refused = await http.get(hub.base + path, headers=headers)
        same_site = await http.post(
            hub.base + MEASURE, json=GUEST_PING, headers={"Sec-Fetch-Site": "same-origin"}
        )
    assert refused.status_code == 401
    assert _error(refused)["code"] == "token_missing"
    assert same_site.status_code == 200
    assert json.loads(same_site.text.splitlines()[0])["type"] == "measurement"


async def test_configured_names_replace_the_loopback_ones(tmp_path: Path) -> None:
    http_settings = HttpSettings(allowed_hosts=("hub.example:*",))
    async with served(tmp_path, http=http_settings) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        named = await http.get(hub.base + "/api/v1/agents", headers={"Host": "hub.example:443"})
        loopback = await http.get(hub.base + "/api/v1/agents")
    assert named.status_code == 200
    assert loopback.status_code == 421
