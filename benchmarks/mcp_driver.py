"""The client side of ``benchmarks/mcp.py``: ``ping -c 1`` through MCP and the API, timed.

``python -P benchmarks/mcp_driver.py PART HUB TARGET N...`` reads the tokens as a JSON object
on stdin (``session``, ``fresh``, ``api``, ``swarm``: a subject each, so no way spends another's
hourly quota) and prints one JSON object, with ``cpu_s``, this process's CPU time for the part.

- ``series ROUNDS WARMUP``: the three ways once per round, the order rotating (the first
  ``WARMUP`` rounds left out); a sample per call: ``wall_ms`` from just before the request to
  its result, and ``hub_ms`` (the measurement's duration) and ``probe_ms`` (the ping job's) as
  the hub reports them. Ways: ``session`` (one MCP session for every call), ``fresh`` (a new
  MCP session per call on one keep-alive HTTP client: ``open_ms`` initialize, ``list_ms`` the
  tools/list an SDK client asks before its first call of a tool, ``call_ms``; ``wall_ms``
  includes the close) and ``api`` (POST /api/v1/measurements read to its ``end``, on one
  keep-alive connection: also ``headers_ms`` and ``first_line_ms``);
- ``burst CALLS WARMUP``: ``session`` and ``api`` again, each call right after the last;
- ``swarm SESSIONS``: that many MCP sessions, each on its own HTTP connection, opened together
  (initialize and tools/list: ``open_ms``), then all call ping at the same moment:
  ``wall_ms`` of the calls, each call's latency, and the errors.

``-P``: the benchmarks folder stays off ``sys.path``, or ``benchmarks/mcp.py`` would shadow the
MCP SDK (and ``benchmarks/http.py`` the standard library's ``http``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

CALL_TIMEOUT_S = 30.0
SWARM_TIMEOUT_S = 120.0
Sample = dict[str, float]
Way = Callable[[], Awaitable[Sample]]


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


class Hub:
    """The hub's URL, the ping to run, and a token per way."""

    def __init__(self, url: str, target: str, tokens: dict[str, str]) -> None:
        self.url, self.target, self.tokens = url.rstrip("/"), target, tokens
        self.arguments = {"targets": [target], "count": 1}
        self.api_url = f"{self.url}/api/v1/measurements"
        self.api_body = {"command": f"ping -c 1 {target}"}
        # Built once: a client per session would load the CA store each time (~25 ms of CPU),
        # for http:// URLs that never use it.
        self._tls = ssl.create_default_context()

    def http(self, way: str) -> httpx2.AsyncClient:
        """An HTTP client with the way's token, on one keep-alive connection."""
        return httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {self.tokens[way]}"},
            timeout=CALL_TIMEOUT_S,
            limits=httpx2.Limits(max_connections=1),
            verify=self._tls,
        )

    @contextlib.asynccontextmanager
    async def session(self, http: httpx2.AsyncClient) -> AsyncIterator[Client]:
        """An MCP session over ``http`` (initialized on entry, closed on exit)."""
        async with Client(streamable_http_client(f"{self.url}/mcp", http_client=http)) as client:
            yield client

    async def call(self, client: Client) -> Sample:
        """One ``ping`` tool call, timed around the call."""
        start = time.perf_counter()
        result = await client.call_tool("ping", self.arguments)
        wall = _ms_since(start)
        if result.is_error or result.structured_content is None:
            raise RuntimeError(f"tool error: {result.content}")
        [job] = result.structured_content["results"]
        if job["verdict"] != "answered":
            raise RuntimeError(f"the ping was not answered: {job}")
        hub_ms = result.structured_content["duration_ms"]
        return {"wall_ms": wall, "hub_ms": hub_ms, "probe_ms": job["duration_ms"]}

    async def fresh(self, http: httpx2.AsyncClient) -> Sample:
        """A new session for one call: initialize, tools/list, the call, the close."""
        start = time.perf_counter()
        async with self.session(http) as client:
            opened = _ms_since(start)
            await client.list_tools()
            listed = _ms_since(start)
            sample = await self.call(client)
        call_ms = sample["wall_ms"]
        return sample | {"open_ms": opened, "list_ms": listed - opened, "call_ms": call_ms,
                         "wall_ms": _ms_since(start)}  # fmt: skip

    async def api(self, http: httpx2.AsyncClient) -> Sample:
        """The same command through ``POST /api/v1/measurements``, read to its ``end``."""
        sample: Sample = {}
        start = time.perf_counter()
        async with http.stream("POST", self.api_url, json=self.api_body) as answer:
            sample["headers_ms"] = _ms_since(start)
            answer.raise_for_status()
            async for line in answer.aiter_lines():
                _take(sample, line, start)
        return sample | {"wall_ms": _ms_since(start)}


def _take(sample: Sample, line: str, start: float) -> None:
    """Fold one NDJSON event of the API's stream into ``sample``."""
    sample.setdefault("first_line_ms", _ms_since(start))
    event = json.loads(line)
    if event["type"] == "summary":
        sample["probe_ms"] = event["duration_ms"]
    elif event["type"] == "end":
        sample["hub_ms"] = event["duration_ms"]
    elif event["type"] == "error":
        raise RuntimeError(f"error event: {event}")


async def series(hub: Hub, rounds: int, warmup: int) -> dict[str, Any]:
    """The three ways interleaved, the order rotating; the samples after ``warmup`` rounds."""
    async with (
        hub.http("session") as session_http,
        hub.session(session_http) as session,
        hub.http("fresh") as fresh_http,
        hub.http("api") as api_http,
    ):
        ways: dict[str, Way] = {
            "session": lambda: hub.call(session),
            "fresh": lambda: hub.fresh(fresh_http),
            "api": lambda: hub.api(api_http),
        }
        found: dict[str, list[Sample]] = {name: [] for name in ways}
        names = list(ways)
        for n in range(warmup + rounds):
            for name in names[n % len(names) :] + names[: n % len(names)]:
                sample = await _timed(ways[name])
                if n >= warmup:
                    found[name].append(sample)
    return {"series": found}


async def burst(hub: Hub, calls: int, warmup: int) -> dict[str, Any]:
    """``warmup + calls`` calls back to back per way (one session; one API connection)."""
    async with (
        hub.http("session") as session_http,
        hub.session(session_http) as session,
        hub.http("api") as api_http,
    ):
        ways: dict[str, Way] = {
            "session": lambda: hub.call(session),
            "api": lambda: hub.api(api_http),
        }
        found: dict[str, list[Sample]] = {}
        for name, way in ways.items():
            samples = [await _timed(way) for _ in range(warmup + calls)]
            found[name] = samples[warmup:]
    return {"series": found}


async def _timed(way: Way) -> Sample:
    async with asyncio.timeout(CALL_TIMEOUT_S):
        return await way()


async def swarm(hub: Hub, sessions: int) -> dict[str, Any]:
    """``sessions`` sessions opened together, then one ping each, all at the same moment."""
    ready, go = asyncio.Event(), asyncio.Event()
    latencies: list[float] = []
    errors: list[str] = []
    opened = 0

    def settled() -> None:
        if opened + len(errors) == sessions:
            ready.set()

    async def one() -> None:
        nonlocal opened
        try:
            async with hub.http("swarm") as http, hub.session(http) as client:
                await client.list_tools()  # what the SDK asks before a first call
                opened += 1
                settled()
                await go.wait()
                latencies.append((await hub.call(client))["wall_ms"])
        except Exception as exc:  # noqa: BLE001 - counted and shown; the others go on
            errors.append(f"{type(exc).__name__}: {exc}")
            settled()  # a session that failed to open must not hold the others back

    start = time.perf_counter()
    async with asyncio.timeout(SWARM_TIMEOUT_S), asyncio.TaskGroup() as group:
        for _ in range(sessions):
            group.create_task(one())
        await ready.wait()
        calls = time.perf_counter()
        go.set()
    return {
        "open_ms": (calls - start) * 1000,
        "wall_ms": _ms_since(calls),
        "latencies": latencies,
        "errors": errors,
    }


async def drive(argv: list[str], tokens: dict[str, str]) -> dict[str, Any]:
    """Run one part (see the module docstring); add this process's CPU time for it."""
    part, url, target, *numbers = argv
    hub = Hub(url, target, tokens)
    cpu = time.process_time()
    if part == "series":
        result = await series(hub, int(numbers[0]), int(numbers[1]))
    elif part == "burst":
        result = await burst(hub, int(numbers[0]), int(numbers[1]))
    elif part == "swarm":
        result = await swarm(hub, int(numbers[0]))
    else:
        raise SystemExit(f"unknown part {part!r}: series, burst or swarm")
    return result | {"cpu_s": time.process_time() - cpu}


def main(argv: list[str]) -> None:
    """Read the tokens from stdin, run, print the JSON answer."""
    tokens = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(drive(argv, tokens))))


if __name__ == "__main__":
    main(sys.argv[1:])
