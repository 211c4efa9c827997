"""The hub's UDP socket gets large kernel buffers (bursts from 1,000+ agents), past the
``net.core.rmem_max`` cap when the process may (root); checked on a real listener."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from cloudping.transport.hubcert import self_signed
from cloudping.transport.quic import serve_agents
from cloudping.transport.udpbuffers import BUFFER_BYTES, enlarge_buffers

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="going past net.core.rmem_max needs CAP_NET_ADMIN (root)"
)


def sysctl(name: str) -> int:
    return int(Path("/proc/sys/net/core", name).read_text())


@pytest.mark.lab  # root, as the lab: so in CI it may not skip
@needs_root
def test_buffers_above_the_sysctl_caps_are_granted_to_root() -> None:
    size = max(sysctl("rmem_max"), sysctl("wmem_max")) + 1024 * 1024
    with closing(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) as sock:
        got = enlarge_buffers(sock, size)
        assert got["receive"] >= size  # Linux reports twice the size asked for
        assert got["send"] >= size
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == got["receive"]


@pytest.mark.lab  # root, as the lab: so in CI it may not skip
@needs_root
def test_the_agents_listener_has_4_mib_buffers(tmp_path: Path) -> None:
    made = self_signed(["hub.test"])
    cert, key = tmp_path / "hub.crt", tmp_path / "hub.key"
    cert.write_bytes(made.certificate_pem)
    key.write_bytes(made.private_key_pem)

    async def listening_socket_memory() -> str:
        async with serve_agents(
            "127.0.0.1", 0, certificate=cert, private_key=key, on_event=lambda *_: None
        ) as server:
            port = server.port
            done = subprocess.run(
                ["ss", "-uamnH", "sport", "=", f":{port}"],
                capture_output=True, text=True, timeout=10, check=True,
            )  # fmt: skip
            return done.stdout

    listing = asyncio.run(listening_socket_memory())
    # ss -m: skmem:(r<queued>,rb<receive buffer>,t<queued>,tb<send buffer>,...)
    found = re.search(r"skmem:\(r\d+,rb(\d+),t\d+,tb(\d+)", listing)
    assert found is not None, listing
    assert int(found.group(1)) >= BUFFER_BYTES
    assert int(found.group(2)) >= BUFFER_BYTES
