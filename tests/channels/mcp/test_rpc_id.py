"""A JSON-RPC request whose id is neither a string nor a number is an Invalid Request (-32600)
with HTTP 400, not a notification accepted with 202 (JSON-RPC 2.0 section 4; MCP: not null)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx2
import pytest

from .test_http import ACCEPT, INITIALIZE, WAIT, running_hub

pytestmark = pytest.mark.anyio
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


@pytest.mark.parametrize("bad_id", [{}, {"a": 1}, [], [1], True, None])
async def test_a_request_id_that_is_not_a_string_or_number_is_invalid_request_400(
    tmp_path: Path, bad_id: Any
) -> None:
    async with running_hub(tmp_path) as hub, httpx2.AsyncClient(timeout=WAIT) as http:
        headers = ACCEPT | {"Authorization": f"Bearer {hub.token('measure')}"}
        started = await http.post(hub.url, json=INITIALIZE, headers=headers)
        session = headers | {
            "mcp-session-id": started.headers["mcp-session-id"],
            "mcp-protocol-version": INITIALIZE["params"]["protocolVersion"],  # type: ignore[index]
        }
        await http.post(hub.url, json=INITIALIZED, headers=session)
        tools = {"jsonrpc": "2.0", "method": "tools/list"}
        alone = await http.post(hub.url, json=tools | {"id": bad_id}, headers=session)
        batch = [tools | {"id": 7}, tools | {"id": bad_id}]
        in_batch = await http.post(hub.url, json=batch, headers=session)
        fine = await http.post(hub.url, json=tools | {"id": "a"}, headers=session)
    for response in (alone, in_batch):
        assert response.status_code == 400
        body = response.json()
        assert (body["jsonrpc"], body["id"], body["error"]["code"]) == ("2.0", None, -32600)
    assert fine.status_code == 200
