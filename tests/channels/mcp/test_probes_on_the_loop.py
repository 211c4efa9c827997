"""Probes run by the hub's own agent, on the hub's event loop, over MCP: certificates travel as
``ca_pem`` and are trusted, and no probe opens a file or connects a blocking socket on the
loop (the audit hook of ``tests/loopaudit.py``, autouse here, fails the test otherwise)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from .test_http import running_hub

pytestmark = pytest.mark.anyio


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def https_port(ca: trustme.CA) -> AsyncIterator[int]:
    """An HTTPS server on 127.0.0.1 with a certificate of ``ca``, answering 200 "ok"."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    async with server:
        yield server.sockets[0].getsockname()[1]


def closed_udp_port() -> int:
    """A UDP port on 127.0.0.1 nobody listens on now: a query there is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_ca_pem_is_trusted_and_no_probe_blocks_the_hubs_loop(
    tmp_path: Path, ca: trustme.CA, https_port: int
) -> None:
    url = f"https://127.0.0.1:{https_port}/"
    pem = ca.cert_pem.bytes().decode()
    async with running_hub(tmp_path) as hub, hub.client(hub.token("measure", "private")) as client:
        trusted = await client.call_tool("http", {"urls": [url], "ca_pem": pem})
        untrusted = await client.call_tool("http", {"urls": [url]})
        dns = await client.call_tool(
            "dns", {"names": ["x.test"], "server": f"127.0.0.1:{closed_udp_port()}"}
        )
        tcping = await client.call_tool(
            "tcping", {"targets": [f"127.0.0.1:{https_port}"], "count": 1}
        )
    [ok] = trusted.structured_content["results"]
    assert (ok["http"]["status"], ok["http"]["tls"]["verified"]) == (200, True)
    [refused] = untrusted.structured_content["results"]
    assert "certificate not trusted" in refused["http"]["error"]
    assert not dns.is_error
    assert not tcping.is_error
