"""From a client's side: half-sent requests cannot hold the server, nor can too many
connections. Before, 2,581 half-sent requests stayed open for 40 s."""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from cloudping.edge import HttpSettings

from .served import WAIT, served

pytestmark = pytest.mark.anyio
HALF = b"GET /api/v1/agents HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "  # never ends


async def half_sent(port: int, stack: AsyncExitStack) -> asyncio.StreamReader:
    """A connection that sends the start of a request and nothing more."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    stack.callback(writer.close)
    writer.write(HALF)
    await writer.drain()
    return reader


async def get(port: int) -> bytes:
    """The status line of a whole ``GET /healthz``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        await writer.drain()
        return await reader.readline()
    finally:
        writer.close()


async def test_half_sent_requests_are_closed_after_the_header_timeout(tmp_path: Path) -> None:
    http = HttpSettings(header_timeout_s=0.5)
    async with served(tmp_path, http=http) as hub, AsyncExitStack() as stack:
        readers = [await half_sent(hub.port, stack) for _ in range(20)]
        start = time.monotonic()
        async with asyncio.timeout(WAIT):
            answers = await asyncio.gather(*(reader.read() for reader in readers))
        waited = time.monotonic() - start
    assert answers == [b""] * 20  # closed by the server, without an answer
    assert 0.3 < waited < 3.0


async def test_trickled_headers_do_not_reset_the_clock(tmp_path: Path) -> None:
    http = HttpSettings(header_timeout_s=0.5)
    async with served(tmp_path, http=http) as hub:
        reader, writer = await asyncio.open_connection("127.0.0.1", hub.port)
        start = time.monotonic()

        async def trickle() -> None:
            for byte in HALF:
                writer.write(bytes([byte]))
                await asyncio.sleep(0.05)  # the attack itself: one byte every 50 ms

        dripping = asyncio.create_task(trickle())
        async with asyncio.timeout(WAIT):
            closed = await reader.read()
        waited = time.monotonic() - start
        dripping.cancel()
        writer.close()
    assert closed == b""
    assert waited < 2.0  # the whole trickle would take 2.5 s


async def test_past_the_cap_new_requests_get_503(tmp_path: Path) -> None:
    async with served(tmp_path, http=HttpSettings(max_connections=3)) as hub:
        async with AsyncExitStack() as stack:
            for _ in range(3):
                await half_sent(hub.port, stack)
            async with asyncio.timeout(WAIT):
                refused = await get(hub.port)
        async with asyncio.timeout(WAIT):
            while (served_again := await get(hub.port)).startswith(b"HTTP/1.1 503"):
                await asyncio.sleep(0.05)  # the server sees the three close on its next turn
    assert refused.startswith(b"HTTP/1.1 503 ")
    assert served_again.startswith(b"HTTP/1.1 200 ")


async def test_a_kept_alive_connection_gets_the_deadline_for_its_next_request(
    tmp_path: Path,
) -> None:
    http = HttpSettings(header_timeout_s=0.5)
    async with served(tmp_path, http=http) as hub:
        reader, writer = await asyncio.open_connection("127.0.0.1", hub.port)
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{hub.port}\r\n\r\n".encode())
        writer.write(HALF)  # the next request starts, and stalls
        await writer.drain()
        async with asyncio.timeout(WAIT):
            first = await reader.readline()
            rest = await reader.read()  # the first answer's rest, then the close
        writer.close()
    assert first.startswith(b"HTTP/1.1 200 ")
    assert rest.endswith(b'{"status":"ok"}')
