"""``cloudping up`` as a subprocess on free loopback ports, for the CLI's end-to-end tests.

A module at the top of ``tests/`` (on ``sys.path``, as ``lab`` is): ``from upprocess import``.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT_S = 30.0
ADMIN_PREFIX = "admin token ("
LAST_LINE = "--hub-fingerprint"


@dataclass
class UpProcess:
    """A running ``cloudping up``: its process, API base URL and printed admin token."""

    process: subprocess.Popen[str]
    url: str
    token: str
    output: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None


def free_port(kind: socket.SocketKind) -> int:
    """A port the kernel says is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cloudping_argv(*words: str) -> list[str]:
    """``python -m cloudping WORDS...`` with this interpreter."""
    return [sys.executable, "-m", "cloudping", *words]


def start_up(data_dir: Path, *extra: str, port: int | None = None) -> UpProcess:
    """Start ``cloudping up`` and wait (bounded) for its welcome text to end.

    Args:
        port: the API's (a free one when not given); the URL on it is the tokens' issuer.
    """
    port = port or free_port(socket.SOCK_STREAM)
    argv = cloudping_argv(
        "up",
        "--data-dir",
        str(data_dir),
        "--listen",
        f"127.0.0.1:{port}",
        "--agent-listen",
        f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}",
        *extra,
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDPING_")}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    output, reader = read_welcome(process, START_TIMEOUT_S)
    tokens = [line.rpartition(" ")[2] for line in output if line.startswith(ADMIN_PREFIX)]
    assert tokens, f"cloudping up printed no admin token: {output}"
    return UpProcess(process, f"http://127.0.0.1:{port}", tokens[-1], output, reader)


def read_welcome(
    process: subprocess.Popen[str], timeout: float
) -> tuple[list[str], threading.Thread]:
    """The welcome lines of ``cloudping up`` (or ``hub``), read until the last one (bounded),
    and the thread that goes on draining stdout so the process never blocks on a full pipe.

    Raises:
        AssertionError: the welcome did not end in ``timeout`` seconds, or the process exited.
    """
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                lines.put(line.rstrip("\n"))
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    output: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while (line := lines.get(timeout=max(0.0, deadline - time.monotonic()))) is not None:
            output.append(line)
            if LAST_LINE in line:
                return output, reader
    except queue.Empty:
        raise AssertionError(f"no whole welcome in {timeout:g} s: {output}") from None
    raise AssertionError(f"exited ({process.wait(timeout)}) before its welcome ended: {output}")


def issue_token(data_dir: Path, sub: str, aud: str, *scopes: str, issuer: str | None = None) -> str:
    """A token from ``cloudping token issue`` (which makes the hub's key on first use)."""
    argv = cloudping_argv("token", "issue", "--data-dir", str(data_dir), "--sub", sub)
    argv += ["--aud", aud, *(word for scope in scopes for word in ("--scope", scope))]
    argv += ["--issuer", issuer] if issuer else []
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def stop(up: UpProcess, timeout: float = 10.0) -> int:
    """SIGTERM, then the exit status (killed if it does not stop within ``timeout``)."""
    if up.process.poll() is None:
        up.process.terminate()
    try:
        return up.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        up.process.kill()
        up.process.wait()
        raise
    finally:
        if up.reader is not None:
            up.reader.join(timeout)  # it closes stdout at its end
