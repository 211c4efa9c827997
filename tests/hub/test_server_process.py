"""The hub's in-process ``local`` agent, and ``cloudping hub`` as an operator runs it."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import signal
import socket
from pathlib import Path

import httpx
from children import cloudping_child
from upprocess import free_port

from cloudping.commands import parse
from cloudping.hub.local import LocalAgentSettings
from cloudping.hub.server import HubServer
from cloudping.serve.http import ApiListen
from cloudping.serve.hub import serve, welcome
from cloudping.service import ApiSettings

from .serving import (
    LONG_PING,
    SERVING_LOOPBACK,
    SHORT_PING,
    WAIT,
    Dialler,
    Stream,
    cancelled_at_first_reply,
    run,
    running_agent,
    settings,
)

LOCAL = LocalAgentSettings(rules=SERVING_LOOPBACK)


class Written(io.StringIO):
    """Text output that says when something was written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = asyncio.Event()

    def write(self, text: str, /) -> int:
        self.written.set()
        return super().write(text)


def test_the_local_agent_runs_a_ping_in_process_without_quic(tmp_path: Path) -> None:
    async def scenario() -> None:
        config = dataclasses.replace(settings(tmp_path), local_agent=LOCAL)
        async with HubServer(config) as server:
            assert [entry.name for entry in await server.registry.list()] == ["local"]
            stream = Stream()
            measurement = await server.hub.run(parse(SHORT_PING), None, stream)
            stored = await server.store.get(measurement)
        assert stream.types() == ["measurement", "start", "reply", "reply", "summary", "end"]
        assert {e["agent"] for e in stream.events[1:-1]} == {"local"}
        assert stored.status == "done"

    run(scenario())


def test_cancelling_a_measurement_on_the_local_agent_ends_it_cancelled(tmp_path: Path) -> None:
    async def scenario() -> None:
        config = dataclasses.replace(settings(tmp_path), local_agent=LOCAL)
        async with HubServer(config) as server:
            stored = await cancelled_at_first_reply(server)
        assert stored.status == "cancelled"
        assert stored.events[-1].event["type"] == "end"

    run(scenario())


def test_serve_prints_the_pin_and_agent_line_then_stops_gracefully(tmp_path: Path) -> None:
    async def scenario() -> None:
        out, stop = Written(), asyncio.Event()
        task = asyncio.create_task(serve(settings(tmp_path), out, stop))
        async with asyncio.timeout(WAIT):
            await out.written.wait()
        stop.set()
        async with asyncio.timeout(WAIT):
            await task
        text = out.getvalue()
        async with HubServer(settings(tmp_path)) as server:
            assert server.fingerprint in text
            assert welcome(server).splitlines()[-1] in text
        assert "cloudping agent --hub 127.0.0.1:" in text
        assert "--aud agent" in text

    run(scenario())


def test_cloudping_hub_serves_agents_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    async def scenario() -> None:
        hub = cloudping_child(
            "hub", "--data-dir", str(tmp_path),
            "--agent-listen", f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        async with hub as process:
            assert process.stdout is not None
            async with asyncio.timeout(WAIT):
                first = (await process.stdout.readline()).decode()
                pin_line = ""
                while "fingerprint" not in pin_line:
                    pin_line = (await process.stdout.readline()).decode()
                    assert pin_line, "cloudping hub stopped before printing its fingerprint"
            port = int(first.rsplit(":", 1)[1])
            pin = pin_line.split()[-1]
            secret = await _agent_token(tmp_path)
            dial = Dialler(f"127.0.0.1:{port}", pin, "a1", secret)
            async with running_agent(dial):
                await dial.next_accept()
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(WAIT):
                _, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert secret.encode() not in err

    run(scenario())


async def _agent_token(data_dir: Path) -> str:
    """An agent token from the data directory's key, as `cloudping token issue` makes it."""
    words = ["token", "issue", "--data-dir", str(data_dir), "--sub", "a1", "--aud", "agent"]
    async with (
        cloudping_child(*words, stdout=asyncio.subprocess.PIPE) as process,
        asyncio.timeout(WAIT),
    ):
        out, _ = await process.communicate()
    assert process.returncode == 0
    return out.decode().strip()


def test_serve_with_listen_also_serves_the_http_api_until_stopped(tmp_path: Path) -> None:
    async def scenario() -> None:
        out, stop = Written(), asyncio.Event()
        api = ApiListen("127.0.0.1", 0, ApiSettings())
        task = asyncio.create_task(serve(settings(tmp_path), out, stop, api=api))
        async with asyncio.timeout(WAIT):
            await out.written.wait()
        url = out.getvalue().split("HTTP API: ", 1)[1].split()[0].removesuffix("/api/v1")
        async with httpx.AsyncClient(timeout=WAIT) as client:
            assert (await client.get(f"{url}/healthz")).status_code == 200
            refused = await client.post(f"{url}/api/v1/measurements", json={"command": "ping x"})
            assert refused.status_code == 401  # the hub's API wants a token
            mcp = out.getvalue().split("MCP: ", 1)[1].split()[0]
            assert mcp == f"{url}/mcp"
            assert (await client.post(mcp, json={})).status_code == 401  # so does MCP
        stop.set()
        async with asyncio.timeout(WAIT):
            await task

    run(scenario())


def test_stopping_the_hub_ends_an_open_api_stream_with_end(tmp_path: Path) -> None:
    async def scenario() -> None:
        out, stop = Written(), asyncio.Event()
        config = dataclasses.replace(settings(tmp_path), local_agent=LOCAL)
        api = ApiListen("127.0.0.1", 0, ApiSettings(anonymous="guest"))
        task = asyncio.create_task(serve(config, out, stop, api=api))
        async with asyncio.timeout(WAIT):
            await out.written.wait()
        url = out.getvalue().split("HTTP API: ", 1)[1].split()[0]
        types: list[str] = []
        async with (
            asyncio.timeout(WAIT),
            httpx.AsyncClient(timeout=WAIT) as client,
            client.stream("POST", f"{url}/measurements", json={"command": LONG_PING}) as answer,
        ):
            async for line in answer.aiter_lines():
                types.append(json.loads(line)["type"])
                if types[-1] == "reply":
                    stop.set()  # as SIGTERM does
            await task
        assert types[0] == "measurement"
        assert types[-1] == "end"

    run(scenario())
