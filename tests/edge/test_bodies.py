"""From a client's side: a body over a route's limit is refused before it is read.

Before the guard, a 300 MB chunked POST was answered "over 65536 bytes" only after the hub
had buffered all of it (RSS 106 -> 720 MB).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cloudping.commands.pem import MAX_PEM_CHARS
from cloudping.edge import (
    COMMAND_BODY_LIMIT,
    HostRules,
    HttpGuard,
    RoutePolicies,
    RoutePolicy,
)

from .served import GUEST_PING, WAIT, served

pytestmark = pytest.mark.anyio
MEASURE = "/api/v1/measurements"
CHUNK = b"x" * 65_536
HUGE = 300 * 1024 * 1024  # bytes: the reported body
MB = 1024 * 1024


def rss_bytes() -> int:
    """This process's resident set (the server runs in it)."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


async def test_a_huge_chunked_body_is_413_before_it_is_all_sent(tmp_path: Path) -> None:
    # The attacker streams 300 MB in chunks and reads the answer as soon as there is one.
    async with served(tmp_path) as hub:
        before = rss_bytes()
        reader, writer = await asyncio.open_connection("127.0.0.1", hub.port)
        writer.write(
            f"POST {MEASURE} HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        sent = 0

        async def upload() -> None:
            nonlocal sent
            while sent < HUGE:
                writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                await writer.drain()
                sent += len(CHUNK)

        sending = asyncio.create_task(upload())
        async with asyncio.timeout(WAIT):
            status = await reader.readline()
            head = await reader.readuntil(b"\r\n\r\n")
        sending.cancel()
        grown = rss_bytes() - before
        writer.close()
    assert status.startswith(b"HTTP/1.1 413 "), status
    assert b"content-type: application/json" in head.lower()
    assert sent < HUGE // 10, f"the client had sent {sent // MB} MB when the answer came"
    assert grown < 20 * MB, f"the server grew by {grown // MB} MB"


async def test_a_client_that_reads_only_after_sending_still_gets_the_413(tmp_path: Path) -> None:
    # httpx sends the whole body before it reads: the server drops the rest for a while
    # instead of resetting the connection under the answer.
    async def body() -> AsyncIterator[bytes]:
        for _ in range(16):
            yield CHUNK

    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        headers = {"Content-Type": "application/json"}
        response = await http.post(hub.base + MEASURE, content=body(), headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] | {"message": ""} == {
        "code": "body_too_large",
        "message": "",
        "limit": COMMAND_BODY_LIMIT,
    }


async def test_a_declared_length_over_the_limit_is_413_without_reading(tmp_path: Path) -> None:
    async with served(tmp_path) as hub:
        reader, writer = await asyncio.open_connection("127.0.0.1", hub.port)
        writer.write(
            f"POST {MEASURE} HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n".encode()
        )
        await writer.drain()
        async with asyncio.timeout(WAIT):
            status = await reader.readline()  # not one byte of the body was sent
        writer.close()
    assert status.startswith(b"HTTP/1.1 413 ")


async def test_a_structured_command_with_the_most_certificates_passes_the_guard(
    tmp_path: Path,
) -> None:
    # ca_pem may hold 64 KiB of PEM text: 64-character lines, each newline escaped in JSON.
    pem = ("A" * 63 + "\n") * (MAX_PEM_CHARS // 64)
    form = {"command": "http", "urls": ["https://www.lab/"], "ca_pem": pem}
    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        answer = await http.post(hub.base + MEASURE, json=form)
    assert answer.status_code == 400  # the grammar's verdict (not certificates), not the guard's
    assert "ca_pem" in answer.json()["error"]["message"]


async def test_a_body_at_the_limit_is_read(tmp_path: Path) -> None:
    padded = b'{"command": "ping -c 1 127.0.0.1", "pad": "'
    async with served(tmp_path) as hub, httpx.AsyncClient(timeout=WAIT) as http:
        over = await http.post(
            hub.base + MEASURE,
            content=padded + b"x" * COMMAND_BODY_LIMIT + b'"}',
            headers={"Content-Type": "application/json"},
        )
        small = await http.post(hub.base + MEASURE, json=GUEST_PING)
    assert over.status_code == 413
    assert small.status_code == 200


async def echo(request: Request) -> Response:
    return JSONResponse({"bytes": len(await request.body())})


def guarded(rules: HostRules) -> Starlette:
    """A dummy app: ``/hook`` carries its own secret and takes up to 1 MiB of ``text/plain``
    (as a webhook or the mail endpoint would declare); ``/other`` is an ordinary route."""
    hook = RoutePolicy(body_limit=MB, media_types=("text/plain",), own_secret=True)
    policies = RoutePolicies(routes=(("/hook", hook),))
    routes = [Route("/hook", echo, methods=["POST"]), Route("/other", echo, methods=["POST"])]
    return Starlette(
        routes=routes, middleware=[Middleware(HttpGuard, rules=rules, policies=policies)]
    )


async def test_a_route_with_its_own_secret_takes_any_host_and_names_its_own_limit() -> None:
    rules = HostRules(hosts=("hub.example:*",), enforced=True)
    transport = httpx.ASGITransport(app=guarded(rules))
    headers = {"Host": "mail-gateway.example", "Content-Type": "text/plain"}
    body = b"y" * (COMMAND_BODY_LIMIT * 4)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.example:80") as http:
        hook = await http.post("/hook", content=body, headers=headers)
        other = await http.post("/other", content=b"{}", headers=headers)
        json_hook = await http.post("/hook", json={}, headers={"Host": "x.example"})
        too_big = await http.post("/hook", content=b"y" * (MB + 1), headers=headers)
    assert (hook.status_code, hook.json()) == (200, {"bytes": len(body)})
    assert other.status_code == 421  # the Host rule holds everywhere else
    assert json_hook.status_code == 415
    assert json_hook.json()["error"]["expected"] == ["text/plain"]
    assert too_big.status_code == 413
    assert too_big.json()["error"]["limit"] == MB
