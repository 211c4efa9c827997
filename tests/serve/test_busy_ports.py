"""A taken port, as a user meets it: `cloudping up`/`hub` name the address, what it serves and
the option that moves it, exit 2, and print no traceback."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from upprocess import cloudping_argv, free_port

EXIT_TIMEOUT_S = 60


@contextmanager
def occupied(kind: socket.SocketKind) -> Iterator[str]:
    """A port on 127.0.0.1 held by this test (listening, for TCP) until the block ends."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            sock.listen()
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def run(*words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cloudping_argv(*words), check=False, capture_output=True, text=True, timeout=EXIT_TIMEOUT_S
    )


def free(kind: socket.SocketKind) -> str:
    return f"127.0.0.1:{free_port(kind)}"


CASES = [
    ("--listen", socket.SOCK_STREAM, "tcp", "the HTTP API and MCP"),
    ("--agent-listen", socket.SOCK_DGRAM, "udp", "agents (QUIC)"),
    ("--agent-ws-listen", socket.SOCK_STREAM, "tcp", "agents (WebSocket)"),
    ("--metrics-listen", socket.SOCK_STREAM, "tcp", "the metrics"),
]


@pytest.mark.parametrize("process", ["up", "hub"])
@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_taken_port_names_its_address_and_option_and_exits_2(
    tmp_path: Path, process: str, case: tuple[str, socket.SocketKind, str, str]
) -> None:
    option, kind, protocol, role = case
    addresses = {
        "--listen": free(socket.SOCK_STREAM),
        "--agent-listen": free(socket.SOCK_DGRAM),
        "--agent-ws-listen": free(socket.SOCK_STREAM),
        "--metrics-listen": free(socket.SOCK_STREAM),
    }
    with occupied(kind) as busy:
        addresses[option] = busy
        words = [word for pair in addresses.items() for word in pair]
        done = run(process, "--data-dir", str(tmp_path / "data"), *words)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"cloudping {process}: cannot listen on {protocol} {busy}: address already in use "
        f"({role}: {option} HOST:PORT moves it)"
    ]
    assert "Traceback" not in done.stderr + done.stdout
