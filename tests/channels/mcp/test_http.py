"""MCP over real HTTP: a hub with its in-process agent, uvicorn on 127.0.0.1 (port 0), and the
SDK's StreamableHTTP client. The agent serves 127.0.0.0/8, so a token with the ``private``
scope may ping 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hub.test_server import SERVING_LOOPBACK, settings
from jsonschema import Draft202012Validator
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import TextContent

from cloudping.auth import Audience, Scope
from cloudping.channels.mcp import McpSettings
from cloudping.hub.local import LocalAgentSettings
from cloudping.hub.server import HubServer
from cloudping.serve.http import ApiListen, serve_api
from cloudping.service import ApiSettings, Quota

pytestmark = pytest.mark.anyio
WAIT = 10.0  # seconds: the bound on every wait (loopback answers in milliseconds)
PING = {"targets": ["127.0.0.1"], "count": 2, "interval": 0.2}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


@dataclass
class RunningHub:
    """A hub serving the API and ``/mcp`` on 127.0.0.1."""

    server: HubServer
    base: str

    @property
    def url(self) -> str:
        return f"{self.base}/mcp"

    def token(self, *scopes: Scope, aud: Audience = "api") -> str:
        return self.server.tokens.issue("alice", aud, scopes=scopes, ttl=600, now=time.time())

    @asynccontextmanager
    async def client(self, token: str | None) -> AsyncIterator[Client]:
        """An MCP client over StreamableHTTP, with ``token`` as its Bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=WAIT) as http,
            Client(streamable_http_client(self.url, http_client=http)) as client,
        ):
            yield client


@asynccontextmanager
async def running_hub(
    data_dir: Path, api: ApiSettings | None = None, mcp: McpSettings | None = None
) -> AsyncIterator[RunningHub]:
    config = dataclasses.replace(
        settings(data_dir), local_agent=LocalAgentSettings(rules=SERVING_LOOPBACK)
    )
    listen = ApiListen("127.0.0.1", 0, api or ApiSettings(), mcp or McpSettings())
    async with (
        asyncio.timeout(WAIT * 3),
        HubServer(config) as server,
        serve_api(server, listen) as port,
    ):
        yield RunningHub(server, f"http://127.0.0.1:{port}")


def text_of(result: Any) -> str:
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


async def raw_post(hub: RunningHub, headers: dict[str, str]) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=WAIT) as http:
        return await http.post(hub.url, json=INITIALIZE, headers=ACCEPT | headers)


async def test_tools_list_over_http_has_every_tool_with_its_schemas(tmp_path: Path) -> None:
    async with running_hub(tmp_path) as hub, hub.client(hub.token("measure")) as client:
        tools = (await client.list_tools()).tools
        directory = await client.read_resource("cloudping://agents")
    assert len(tools) == 12
    assert '"name":"local"' in directory.contents[0].text  # type: ignore[union-attr]
    ping = next(tool for tool in tools if tool.name == "ping")
    assert ping.input_schema["properties"]["count"]["minimum"] == 1
    assert all(tool.output_schema for tool in tools)


async def test_ping_to_loopback_validates_and_progress_comes_before_the_result(
    tmp_path: Path,
) -> None:
    seen: list[tuple[float, float | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total))

    async with running_hub(tmp_path) as hub:
        token = hub.token("measure", "private")
        async with hub.client(token) as client:
            schema = next(t for t in (await client.list_tools()).tools if t.name == "ping")
            result = await client.call_tool("ping", PING, progress_callback=on_progress)
            seen_before_result = list(seen)
    assert not result.is_error, text_of(result)
    assert schema.output_schema is not None
    Draft202012Validator(schema.output_schema).validate(result.structured_content)
    [job] = result.structured_content["results"]
    assert (job["agent"], job["target"], job["verdict"]) == ("local", "127.0.0.1", "answered")
    assert job["ping"]["received"] == 2
    assert seen_before_result, "no progress notification arrived before the result"
    assert seen_before_result[-1] == (2, 2)
    assert token not in text_of(result)


async def test_no_token_or_a_bad_one_is_401(tmp_path: Path) -> None:
    async with running_hub(tmp_path) as hub:
        missing = await raw_post(hub, {})
        bad = await raw_post(hub, {"Authorization": "Bearer not.a.token"})
        agent = await raw_post(hub, {"Authorization": f"Bearer {hub.token(aud='agent')}"})
    for response in (missing, bad, agent):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    # The API's error shape and codes, not the SDK's {"error": "invalid_token", ...}.
    codes = [response.json()["error"]["code"] for response in (missing, bad, agent)]
    assert codes == ["token_missing", "token_invalid", "token_wrong_audience"]
    assert bad.json()["error"]["message"] == "the token is not a well-formed JWT"


async def test_a_token_without_measure_is_403(tmp_path: Path) -> None:
    async with running_hub(tmp_path) as hub:
        response = await raw_post(hub, {"Authorization": f"Bearer {hub.token('private')}"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    assert "measure" in response.json()["error"]["message"]


async def test_a_quota_shared_with_the_api_is_a_tool_error_once_spent(tmp_path: Path) -> None:
    api = ApiSettings(user_quota=Quota(2, 4))
    async with running_hub(tmp_path, api) as hub:
        token = hub.token("measure", "private")
        async with httpx2.AsyncClient(timeout=WAIT) as http:
            body = {"command": "ping -c 1 127.0.0.1"}
            headers = {"Authorization": f"Bearer {token}"}
            spent = await http.post(f"{hub.base}/api/v1/measurements", json=body, headers=headers)
        async with hub.client(token) as client:
            first = await client.call_tool("ping", PING)
            second = await client.call_tool("ping", PING)
    assert spent.status_code == 200
    assert not first.is_error
    assert second.is_error
    assert text_of(second).startswith("quota_exceeded: alice has started 2 measurements")


async def test_a_guest_on_loopback_measures_without_a_token(tmp_path: Path) -> None:
    async with running_hub(tmp_path, ApiSettings(anonymous="guest")) as hub:
        async with hub.client(None) as client:
            agents = await client.call_tool("list_agents", {})
            directory = await client.read_resource("cloudping://agents")
            ping = await client.call_tool("ping", PING)
        stored = await hub.server.store.get(ping.structured_content["measurement_id"])
        refused = await raw_post(hub, {"Authorization": "Bearer not.a.token"})
    assert [agent["name"] for agent in agents.structured_content["agents"]] == ["local"]
    assert '"name":"local"' in directory.contents[0].text  # type: ignore[union-attr]
    assert not ping.is_error
    assert stored.subject == "guest:127.0.0.1"  # guests per address
    assert refused.status_code == 401  # a bad token is never taken for the guest


async def test_the_stateless_setting_serves_without_sessions(tmp_path: Path) -> None:
    mcp = McpSettings(stateless=True)
    async with running_hub(tmp_path, mcp=mcp) as hub:
        async with hub.client(hub.token("measure", "private")) as client:
            result = await client.call_tool("ping", PING)
            directory = await client.read_resource("cloudping://agents")
        response = await raw_post(hub, {"Authorization": f"Bearer {hub.token('measure')}"})
    assert not result.is_error
    assert '"name":"local"' in directory.contents[0].text  # type: ignore[union-attr]
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers


async def test_a_host_header_that_is_not_allowed_is_refused(tmp_path: Path) -> None:
    async with running_hub(tmp_path) as hub:
        auth = {"Authorization": f"Bearer {hub.token('measure')}"}
        rebound = await raw_post(hub, auth | {"Host": "attacker.example"})
        allowed = await raw_post(hub, auth)
    assert rebound.status_code == 421
    assert allowed.status_code == 200
    assert allowed.headers["mcp-session-id"]


async def test_cancelling_a_call_over_http_cancels_the_measurement(tmp_path: Path) -> None:
    messages: list[str] = []
    replied = asyncio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")
        if progress >= 1:
            replied.set()

    async with (
        running_hub(tmp_path) as hub,
        hub.client(hub.token("measure", "private")) as client,
    ):
        long_ping = PING | {"count": 50}  # 10 s unless cancelled
        call = asyncio.create_task(
            client.call_tool("ping", long_ping, progress_callback=on_progress)
        )
        await replied.wait()
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        measurement = messages[0].split()[1]  # "measurement ID started on local"
        async with asyncio.timeout(5):
            await hub.server.hub.wait(measurement)
        stored = await hub.server.store.get(measurement)
    assert stored.status == "cancelled"
    assert len([e for e in stored.events if e.event["type"] == "reply"]) < 50
