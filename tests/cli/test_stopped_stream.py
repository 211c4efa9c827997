"""A stream the hub stops, or a connection that breaks, says why and what arrived so far."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from upprocess import cloudping_argv, start_up, stop

from cloudping.main import main

WAIT_S = 30.0
MEASUREMENT: dict[str, object] = {
    "type": "measurement",
    "id": "m1",
    "command": "ping 127.0.0.1",
    "agents": ["a"],
}
START: dict[str, object] = {
    "type": "start",
    "agent": "a",
    "target": "127.0.0.1",
    "address": "127.0.0.1",
    "family": 4,
    "probe": "ping",
    "method": "raw",
    "size": 56,
}
JOB = {"agent": "a", "target": "127.0.0.1", "address": "127.0.0.1"}
REPLIES: list[dict[str, object]] = [
    {"type": "reply", **JOB, "seq": 1, "rtt_ms": 1.0, "size": 64, "ttl": 64},
    {"type": "timeout", **JOB, "seq": 2, "timeout_ms": 1000.0},
    {"type": "reply", **JOB, "seq": 3, "rtt_ms": 3.0, "size": 64, "ttl": 64},
]


def _lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    with stream:
        for line in stream:
            into.put(line.rstrip("\n"))
    into.put(None)


def _until(lines: queue.Queue[str | None], fragment: str) -> list[str]:
    """The lines read until one holds ``fragment`` (bounded)."""
    seen: list[str] = []
    deadline = time.monotonic() + WAIT_S
    while (line := lines.get(timeout=max(0.0, deadline - time.monotonic()))) is not None:
        seen.append(line)
        if fragment in line:
            return seen
    raise AssertionError(f"no line with {fragment!r}: {seen}")


@pytest.mark.parametrize("as_json", [False, True])
def test_a_hub_stopped_mid_ping_says_so_with_the_statistics_so_far(
    tmp_path: Path, as_json: bool
) -> None:
    up = start_up(tmp_path / "data", "--serve", "127.0.0.0/8")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPING_")}
        words = ["--hub", up.url, "--token", up.token, *(["--json"] if as_json else [])]
        ping = ["ping", "-c", "20", "-i", "0.2", "127.0.0.1"]
        cli = subprocess.Popen(
            cloudping_argv(*words, *ping), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )  # fmt: skip
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_lines, args=(cli.stdout, lines), daemon=True).start()
        seen = _until(lines, '"seq":3' if as_json else "icmp_seq=3")
        assert stop(up) == 0
        assert cli.wait(WAIT_S) == 2
        while (line := lines.get(timeout=WAIT_S)) is not None:
            seen.append(line)
        assert cli.stderr is not None
        with cli.stderr:
            assert cli.stderr.read() == "cloudping: the hub closed the stream: cancelled\n"
    finally:
        stop(up)
    if as_json:
        events = [json.loads(line) for line in seen]
        assert events[-1]["type"] == "end"
        assert events[-1]["status"] == "cancelled"
        assert "summary" not in {event["type"] for event in events}  # none invented
        return
    replies = sum("icmp_seq=" in line for line in seen)
    assert 3 <= replies < 20
    assert "--- 127.0.0.1 ping statistics ---" in seen
    assert f"{replies} packets transmitted, {replies} received, 0% packet loss" in "\n".join(seen)
    assert any(line.startswith("rtt min/avg/max/mdev = ") for line in seen)


def test_ctrl_c_through_a_hub_prints_the_statistics_of_the_replies_seen(tmp_path: Path) -> None:
    up = start_up(tmp_path / "data", "--serve", "127.0.0.0/8")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPING_")}
        words = ["--hub", up.url, "--token", up.token, "ping", "-c", "20", "-i", "0.2"]
        cli = subprocess.Popen(
            cloudping_argv(*words, "127.0.0.1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )  # fmt: skip
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_lines, args=(cli.stdout, lines), daemon=True).start()
        seen = _until(lines, "icmp_seq=2")
        cli.send_signal(signal.SIGINT)
        assert cli.wait(WAIT_S) == 0  # replies came: as iputils ping after Ctrl-C
        while (line := lines.get(timeout=WAIT_S)) is not None:
            seen.append(line)
        assert cli.stderr is not None
        with cli.stderr:
            assert cli.stderr.read() == ""
    finally:
        stop(up)
    replies = sum("icmp_seq=" in line for line in seen)
    assert "--- 127.0.0.1 ping statistics ---" in seen
    assert f"{replies} packets transmitted, {replies} received, 0% packet loss" in "\n".join(seen)


def _serve_once(listener: socket.socket, body: bytes) -> None:
    connection, _ = listener.accept()
    with connection:
        connection.settimeout(WAIT_S)
        request = b""
        while b"\r\n\r\n" not in request:
            request += connection.recv(65536)
        connection.sendall(body)
    # The connection closes here: the stream stops with no `end`.


def _ndjson(events: list[dict[str, object]]) -> bytes:
    return b"".join(json.dumps(event).encode() + b"\n" for event in events)


def _until_eof(payload: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\nConnection: close\r\n\r\n"
    return head + payload


def _cut_chunk(payload: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
    head += b"Transfer-Encoding: chunked\r\n\r\n"
    return head + f"{len(payload):x}\r\n".encode() + payload + b'\r\n1000\r\n{"ty'


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock


@pytest.mark.parametrize("framing", [_until_eof, _cut_chunk])
def test_a_stream_cut_without_its_end_says_so_and_folds_the_replies_seen(
    listener: socket.socket, capsys: pytest.CaptureFixture[str], framing: Callable[[bytes], bytes]
) -> None:
    body = framing(_ndjson([MEASUREMENT, START, *REPLIES]))
    server = threading.Thread(target=_serve_once, args=(listener, body), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    assert main(["--hub", url, "ping", "-c", "20", "127.0.0.1"]) == 2
    server.join(WAIT_S)
    out, err = capsys.readouterr()
    assert err == "cloudping: the hub closed the connection before the end\n"
    assert out.splitlines()[-3:] == [
        "--- 127.0.0.1 ping statistics ---",
        out.splitlines()[-2],
        "rtt min/avg/max/mdev = 1.000/2.000/3.000/1.000 ms",
    ]
    assert out.splitlines()[-2].startswith(
        "3 packets transmitted, 2 received, 33.3333% packet loss"
    )


def test_a_stream_cut_before_any_reply_says_none_arrived(
    listener: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _until_eof(_ndjson([MEASUREMENT, START]))
    server = threading.Thread(target=_serve_once, args=(listener, body), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    assert main(["--hub", url, "ping", "127.0.0.1"]) == 2
    server.join(WAIT_S)
    assert capsys.readouterr().err.splitlines() == [
        "cloudping: the hub closed the connection before the end",
        "cloudping: no result arrived for 127.0.0.1 from a",
    ]
