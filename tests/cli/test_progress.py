"""The progress line of a long run: its text (time passed in), who gets it (a person at a
terminal, never a pipe or --json), and a real run under a pseudo-terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time
from collections.abc import Iterator

import pytest
from upprocess import cloudping_argv

from cloudping.channels.cli.statusline import WIPE, StatusDrawer, on_terminal
from cloudping.commands import parse
from cloudping.events import (
    MeasurementEvent,
    ReplyEvent,
    ScanEvent,
    ScanSummaryEvent,
    StartEvent,
)
from cloudping.render.terminal.status import StatusLine

NET = "198.18.0.0/20"
WAIT_S = 30.0


def scan_start() -> StartEvent:
    return StartEvent(
        agent="a", target=NET, address=NET, family=4, probe="scan", method="raw", size=56
    )


def scan_event(address: str, state: str = "unreachable") -> ScanEvent:
    return ScanEvent(agent="a", target=NET, address=address, state=state)  # type: ignore[arg-type]


def test_a_scan_line_counts_probed_of_total_alive_elapsed_and_rate() -> None:
    line = StatusLine(parse(f"scan {NET}"))
    for event in (scan_start(), scan_event("198.18.0.5", "alive"), scan_event("198.18.5.255")):
        line.observe(event)
    assert line.text(2.0) == f"scan {NET}: 1536/4096 probed, 1 alive, 2.0 s, 768/s"
    line.observe(
        ScanSummaryEvent(
            agent="a", target=NET, total=4096, probed=4096, alive=2, unreachable=0,
            alive_ranges=(), sent=4096, rate_pps=1.0, duration_ms=4000.0,
        )
    )  # fmt: skip
    assert line.text(4.0) == f"scan {NET}: 4096/4096 probed, 2 alive, 4.0 s, 1024/s"


def test_a_short_run_shows_no_line_until_it_lasts_and_then_counts_its_units() -> None:
    line = StatusLine(parse("ping -c 20 198.18.3.2"))
    line.observe(MeasurementEvent(id="m", command="ping -c 20 198.18.3.2", agents=("a",)))
    reply = ReplyEvent(
        agent="a", target="198.18.3.2", seq=1, address="198.18.3.2", rtt_ms=1.0, size=64
    )
    line.observe(reply)
    assert line.text(2.9) is None
    assert line.text(3.0) == "ping: 1/20 done, 3.0 s"
    assert StatusLine(parse("mtr 198.18.3.2")).text(0.0) == "mtr: 0/? done, 0.0 s"


@pytest.fixture
def terminal() -> Iterator[io.TextIOWrapper]:
    """The slave side of a fresh pseudo-terminal, as a text stream."""
    master, slave = os.openpty()
    with open(master, "rb", buffering=0), open(slave, "w", encoding="utf-8") as stream:
        yield stream


def test_only_a_person_at_a_terminal_gets_the_line(terminal: io.TextIOWrapper) -> None:
    read, write = os.pipe()
    with open(read, "rb"), open(write, "w") as pipe:
        assert on_terminal(False, terminal, terminal)
        assert not on_terminal(True, terminal, terminal)  # --json
        assert not on_terminal(False, pipe, terminal)  # stdout into a pipe
        assert not on_terminal(False, terminal, pipe)  # stderr into a file or pipe
        assert not on_terminal(False, io.StringIO(), io.StringIO())


def test_the_drawer_redraws_in_place_and_wipes_only_what_it_drew() -> None:
    err = io.StringIO()
    clock = iter([10.0, 10.5, 14.0]).__next__
    drawer = StatusDrawer(StatusLine(parse("ping -c 20 198.18.3.2")), err, clock)
    drawer.draw()  # 0.5 s in: too young, nothing drawn
    drawer.wipe()
    assert err.getvalue() == ""
    drawer.draw()  # 4 s in
    drawer.wipe()
    assert err.getvalue() == f"{WIPE}ping: 0/? done, 4.0 s{WIPE}"


def _read_all(master: int, process: subprocess.Popen[bytes]) -> bytes:
    """Everything the child writes to the terminal until it exits (bounded)."""
    data = b""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            data += chunk
        elif process.poll() is not None:
            break
    return data


def test_mtr_on_a_terminal_shows_the_line_and_leaves_only_the_report() -> None:
    master, slave = pty.openpty()
    argv = cloudping_argv("mtr", "-c", "3", "-i", "0.3", "127.0.0.1")
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave) as child:
        os.close(slave)
        try:
            data = _read_all(master, child)
        finally:
            os.close(master)
        assert child.wait(WAIT_S) == 0
    text = data.decode()
    assert "\rmtr: " in text.replace(WIPE, "\r")
    assert " done, " in text
    assert text.rstrip("\r\n").count(WIPE) >= 2  # drawn, then wiped before the report
    last = text.rsplit(WIPE, 1)[-1]
    assert "done," not in last  # nothing of the line stays on the screen


def test_mtr_into_a_pipe_has_no_line() -> None:
    done = subprocess.run(
        cloudping_argv("mtr", "-c", "2", "-i", "0.2", "127.0.0.1"),
        capture_output=True, text=True, timeout=WAIT_S, check=False,
    )  # fmt: skip
    assert done.returncode == 0
    assert "\r" not in done.stdout + done.stderr
    assert done.stderr == ""
