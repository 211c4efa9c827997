"""A benchmark driver: streaming API measurements, timed, one JSON request per stdin line.

``python -m benchmarks.apiclient URL`` (token in ``CLOUDPING_TOKEN``) reads lines such as
``{"commands": ["ping -c 1 198.18.3.2 from a1", ...]}``: it POSTs every command at the same
time, each its own NDJSON stream, and answers one line ``{"results": [...], "wall_ms": ...}``.
``{"agents": true}`` answers ``{"agents": [names]}`` (``GET /api/v1/agents``). It leaves at EOF.

Times are taken on this side, from just before the request to the arrival of a line:
``first_ms`` the ``measurement`` event, ``end_ms`` the ``end`` event. Command ``n`` of a line
is sent by simulated user ``n``, whose client and keep-alive connection last as long as this
process, as a long-lived API consumer's would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
import sys
import time
from collections import Counter
from typing import Any

import httpx

from benchmarks.hubproc import stdin_lines, take

REQUEST_TIMEOUT_S = 60.0


async def measure(client: httpx.AsyncClient, url: str, command: str) -> dict[str, Any]:
    """Run one command through the API; its timings, RTTs, probe times and event counts."""
    result: dict[str, Any] = {"ok": False, "rtts": [], "probe_ms": [], "types": Counter()}
    start = time.perf_counter()
    try:
        async with client.stream(
            "POST", f"{url}/api/v1/measurements", json={"command": command}
        ) as answer:
            result["status"] = answer.status_code
            if answer.status_code != 200:
                result["error"] = (await answer.aread()).decode()[:300]
                return result
            async for line in answer.aiter_lines():
                take(result, json.loads(line), (time.perf_counter() - start) * 1000)
    except httpx.HTTPError as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    result["ok"] = "end_ms" in result and not result["types"]["error"]
    return result


class Users:
    """Simulated API users, each an HTTP client of its own with one keep-alive connection.

    One shared client would reuse a pool of 100 connections, and httpcore's pool costs more
    per request the more connections it holds (the client's CPU, not the hub's, then
    dominated the timings); each user holding its own connection is also what 100 separate
    API consumers look like to the hub.
    """

    def __init__(self, url: str, stack: contextlib.AsyncExitStack) -> None:
        token = os.environ.get("CLOUDPING_TOKEN", "")
        self.url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._tls = ssl.create_default_context()  # unused (http://), built once, not per user
        self._stack = stack
        self._clients: list[httpx.AsyncClient] = []

    async def client(self, n: int) -> httpx.AsyncClient:
        """User ``n``'s client (made on first use)."""
        while len(self._clients) <= n:
            client = httpx.AsyncClient(
                headers=self._headers,
                verify=self._tls,
                limits=httpx.Limits(max_connections=1),
                timeout=REQUEST_TIMEOUT_S,
            )
            self._clients.append(await self._stack.enter_async_context(client))
        return self._clients[n]

    async def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to one request line: command ``n`` is run by user ``n``."""
        if request.get("agents"):
            listed = await (await self.client(0)).get(f"{self.url}/api/v1/agents")
            return {"agents": [agent["name"] for agent in listed.json()["agents"]]}
        commands: list[str] = request["commands"]
        clients = [await self.client(n) for n in range(len(commands))]
        start = time.perf_counter()
        runs = (measure(c, self.url, command) for c, command in zip(clients, commands, strict=True))
        results = await asyncio.gather(*runs)
        return {"results": results, "wall_ms": (time.perf_counter() - start) * 1000}


async def serve(url: str) -> None:
    """Answer request lines until stdin ends."""
    async with contextlib.AsyncExitStack() as stack:
        users = Users(url, stack)
        async for line in stdin_lines():
            print(json.dumps(await users.answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
