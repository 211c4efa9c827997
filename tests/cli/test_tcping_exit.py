"""tcping's exit status from the command line: an open port is an answer, a refused one is not
(the host is there, the service is not), as the README's exit-status paragraph says."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from cloudping.events import PingSummaryEvent
from cloudping.events.verdict import answered
from cloudping.main import main


@pytest.fixture
def bound() -> Iterator[socket.socket]:
    """A TCP socket bound to a free loopback port, not yet listening (a connect gets a RST)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def _tcping(sock: socket.socket) -> list[str]:
    return ["tcping", "-c", "2", "-i", "0.2", "-W", "2", f"127.0.0.1:{sock.getsockname()[1]}"]


def test_tcping_to_a_closed_port_says_so_and_exits_1(
    bound: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_tcping(bound)) == 1
    out = capsys.readouterr().out
    assert "Connection refused by 127.0.0.1:" in out
    assert "port closed: 2 of 2 attempts refused" in out


def test_tcping_to_an_open_port_exits_0(
    bound: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    bound.listen()
    assert main(_tcping(bound)) == 0
    out = capsys.readouterr().out
    assert "Connected to 127.0.0.1:" in out
    assert "port closed" not in out


def test_a_closed_port_in_json_counts_no_open_connect(
    bound: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--json", *_tcping(bound)]) == 1
    out = capsys.readouterr().out
    assert '"open":0' in out.replace(" ", "")


def test_a_tcping_summary_stored_before_open_was_counted_is_judged_by_received() -> None:
    old = PingSummaryEvent(
        agent="a", target="t:1", address="198.18.3.2", sent=1, received=1, loss=0, probe="tcping"
    )
    assert answered(old) is True
