"""`cloudping scan` in its own network lab: a /24 with a known set of live addresses.

The lab is this module's own (`Lab.build()`, ~0.15 s): the extra addresses it adds to the
target would change what other tests of the shared session lab see.
"""

from __future__ import annotations

import io
import ipaddress
import json
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lab import Lab, lab_available
from PIL import Image

from cloudping.events import published_schema
from cloudping.render.colours import rtt_colour
from cloudping.render.picture.bitmap import NO_ANSWER, UNREACHABLE, place
from cloudping.render.scanresult import ScanResult

pytestmark = pytest.mark.lab

NET4, NET6 = "198.18.3.0/24", "2001:db8:3::/120"
EXTRA4 = [f"198.18.3.{i}" for i in (*range(10, 20), 100, 200, 201, 254)]
EXTRA6 = [f"2001:db8:3::{i:x}" for i in (*range(0x10, 0x20), 0x80, 0xFE)]
LINK4 = {"198.18.3.1", "198.18.3.2"}  # r2 and target on that link
LINK6 = {"2001:db8:3::1", "2001:db8:3::2"}
FAST = ["-W", "0.5", "--rate", "2000"]
NO_NET_RAW = ["setpriv", "--bounding-set=-net_raw", "--"]


@pytest.fixture(scope="module")
def sweep_lab() -> Iterator[Lab]:
    reason = lab_available()
    if reason is not None:
        pytest.skip(reason)
    with Lab.build() as built:
        built.add_addresses("target", 4, EXTRA4)
        built.add_addresses("target", 6, EXTRA6)
        yield built


def scan(lab: Lab, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return lab.python("agent", ["scan", *args], timeout=timeout, check=False)


def events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def of_type(stream: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in stream if e["type"] == kind]


def alive(stream: list[dict[str, Any]]) -> set[str]:
    return {e["address"] for e in of_type(stream, "scan") if e.get("state") == "alive"}


@pytest.mark.parametrize(
    ("cidr", "expected"), [(NET4, LINK4 | set(EXTRA4)), (NET6, LINK6 | set(EXTRA6))]
)
def test_icmp_scan_finds_exactly_the_live_addresses(
    sweep_lab: Lab, cidr: str, expected: set[str]
) -> None:
    result = scan(sweep_lab, "--json", *FAST, cidr)
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    validator = jsonschema.Draft202012Validator(published_schema())
    for event in stream:
        validator.validate(event)
    assert alive(stream) == expected
    [start] = of_type(stream, "start")
    assert (start["probe"], start["address"], start["method"]) == ("scan", cidr, "raw")
    [summary] = of_type(stream, "summary")
    assert (summary["total"], summary["probed"], summary["alive"]) == (256, 256, len(expected))
    assert 256 <= summary["sent"] <= 512  # one pass, plus one retry of each silent address
    assert all(0 <= e["rtt_ms"] < 100 for e in of_type(stream, "scan"))
    assert stream[-1]["type"] == "end"


def test_text_output_lists_the_answers_and_the_ranges(sweep_lab: Lab) -> None:
    result = scan(sweep_lab, *FAST, NET4)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"SCAN {NET4}: 256 addresses, ICMP echo (raw socket)"
    assert any(line.startswith("198.18.3.100 alive ") for line in lines)
    block = lines[lines.index(f"--- {NET4} scan ---") + 1 :]
    assert block[1] == (
        "alive: 198.18.3.1-198.18.3.2, 198.18.3.10-198.18.3.19, 198.18.3.100, "
        "198.18.3.200-198.18.3.201, 198.18.3.254"
    )
    # Missing addresses may draw r2's host unreachable (its neighbour cache remembers earlier
    # failed lookups), so the unreachable count is not fixed; those come as ranges at the end.
    assert block[0].startswith("256 addresses, 256 probed, 16 alive, ")
    assert all(line.startswith("unreachable (host_unreachable from ") for line in block[2:])
    assert not any(" unreachable: " in line for line in lines)


def test_png_output_colours_the_known_cells(sweep_lab: Lab, tmp_path: Path) -> None:
    picture = tmp_path / "scan.png"
    result = scan(sweep_lab, "--json", *FAST, "--png", str(picture), NET4)
    assert result.returncode == 0, result.stderr
    answers = {e["address"]: e for e in of_type(events(result.stdout), "scan")}
    image = Image.open(io.BytesIO(picture.read_bytes())).convert("RGB")
    layout = ScanResult(ipaddress.ip_network(NET4), "local", {}, frozenset(), 256)
    grid = place(layout, datetime(2026, 1, 1, tzinfo=UTC))  # any date: one header line

    def colour(offset: int) -> object:
        left, top, right, bottom = grid.box(offset)
        return image.getpixel(((left + right) // 2, (top + bottom) // 2))

    for offset in (2, 10, 19, 100, 254):
        assert colour(offset) == rtt_colour(answers[f"198.18.3.{offset}"]["rtt_ms"]), offset
    for offset in (0, 3, 20, 99, 255):  # silent, unless r2 already knows they are not there
        state = answers.get(f"198.18.3.{offset}", {"state": None})["state"]
        assert colour(offset) == (UNREACHABLE if state == "unreachable" else NO_ANSWER), offset


@pytest.mark.parametrize(("cidr", "extra"), [(NET4, EXTRA4), (NET6, EXTRA6)])
def test_udp_scan_counts_port_unreachable_from_the_host_as_alive(
    sweep_lab: Lab, cidr: str, extra: list[str]
) -> None:
    result = scan(sweep_lab, "--json", "--proto", "udp", *FAST, cidr)
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    found = alive(stream)
    # r2 also answers for the IPv6 subnet-router anycast address 2001:db8:3:: (RFC 4291).
    assert set(extra) | (LINK4 if "." in cidr else LINK6) <= found
    assert found - set(extra) <= LINK4 | LINK6 | {"2001:db8:3::"}
    assert of_type(stream, "start")[0]["method"] == "udp"


def test_tcp_scan_counts_a_reset_as_alive(sweep_lab: Lab) -> None:
    result = scan(sweep_lab, "--json", "--proto", "tcp", "-p", "9", *FAST, NET4)
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    assert alive(stream) == LINK4 | set(EXTRA4)
    assert of_type(stream, "start")[0]["port"] == 9


def test_a_router_that_rejects_makes_every_address_unreachable(sweep_lab: Lab) -> None:
    cidr = sweep_lab.unreachable(4).rsplit(".", 1)[0] + ".0/28"
    result = scan(sweep_lab, "--json", *FAST, cidr)
    assert result.returncode == 1, result.stderr  # nobody alive
    stream = events(result.stdout)
    answers = {
        (e.get("state"), e.get("icmp_error"), e.get("responder")) for e in of_type(stream, "scan")
    }
    assert answers == {("unreachable", "host_unreachable", sweep_lab.addr("r2", 4))}
    [summary] = of_type(stream, "summary")
    assert (summary["alive"], summary["unreachable"], summary["sent"]) == (0, 16, 16)


def test_ctrl_c_still_prints_the_summary_so_far(sweep_lab: Lab) -> None:
    cidr = sweep_lab.blackhole(4).rsplit(".", 1)[0] + ".0/24"
    argv = [sys.executable, "-m", "cloudping", "scan", "--json", "--rate", "50", cidr]
    proc = sweep_lab.popen("agent", argv, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], 10)
    assert ready, "no output within 10 s"
    assert json.loads(proc.stdout.readline())["type"] == "measurement"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    [summary] = of_type(events(out), "summary")
    assert 0 < summary["probed"] < 256
    assert summary["alive"] == 0


@pytest.mark.skipif(
    shutil.which("setpriv") is None, reason="needs setpriv (util-linux) to drop CAP_NET_RAW"
)
def test_without_raw_sockets_the_datagram_socket_finds_the_same(sweep_lab: Lab) -> None:
    argv = [*NO_NET_RAW, sys.executable, "-m", "cloudping", "scan", "--json", *FAST, NET4]
    result = sweep_lab.run("agent", argv, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    assert of_type(stream, "start")[0]["method"] == "datagram"
    assert alive(stream) == LINK4 | set(EXTRA4)


@pytest.mark.skipif(
    shutil.which("setpriv") is None, reason="needs setpriv (util-linux) to drop CAP_NET_RAW"
)
def test_datagram_socket_reports_the_router_that_rejects(sweep_lab: Lab) -> None:
    cidr = sweep_lab.unreachable(4).rsplit(".", 1)[0] + ".0/30"
    argv = [*NO_NET_RAW, sys.executable, "-m", "cloudping", "scan", "--json", *FAST, cidr]
    stream = events(sweep_lab.run("agent", argv, timeout=60, check=False).stdout)
    answers = {(e.get("state"), e.get("responder")) for e in of_type(stream, "scan")}
    assert answers == {("unreachable", sweep_lab.addr("r2", 4))}


def test_the_local_broadcast_address_is_a_result_with_its_reason_not_an_error(
    sweep_lab: Lab,
) -> None:
    # The agent sits on 198.18.1.0/24: the kernel refuses a raw socket's echo to its
    # broadcast address (EACCES without SO_BROADCAST); the rest of the sweep goes on.
    result = scan(sweep_lab, "--json", *FAST, "198.18.1.248/29")
    assert result.stderr == ""
    stream = events(result.stdout)
    assert of_type(stream, "error") == []
    [failed] = [e for e in of_type(stream, "scan") if e["state"] == "failed"]
    assert failed["address"] == "198.18.1.255"
    assert failed["reason"] == "sendto: Permission denied (a broadcast address)"
    [summary] = of_type(stream, "summary")
    assert (summary["probed"], summary["failed"]) == (8, 1)
    text = scan(sweep_lab, *FAST, "198.18.1.0/24")
    assert text.returncode == 0
    assert text.stderr == ""
    lines = text.stdout.splitlines()
    assert lines[-1] == "not probed (sendto: Permission denied (a broadcast address)): 198.18.1.255"
    assert lines[-3].startswith("256 addresses, 256 probed, 2 alive, 0 unreachable, 1 not probed")


def test_unreachable_addresses_print_as_ranges_with_their_router_or_each_with_v(
    sweep_lab: Lab,
) -> None:
    prefix = sweep_lab.unreachable(4).rsplit(".", 1)[0]
    router = sweep_lab.addr("r2", 4)
    result = scan(sweep_lab, *FAST, f"{prefix}.0/28")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert not any(line.startswith(prefix) for line in lines)  # no line per address
    assert lines[-1] == f"unreachable (host_unreachable from {router}): {prefix}.0-{prefix}.15"
    verbose = scan(sweep_lab, "-v", *FAST, f"{prefix}.0/28")
    each = [line for line in verbose.stdout.splitlines() if line.startswith(prefix)]
    assert len(each) == 16
    assert all(f" unreachable: host_unreachable from {router} " in line for line in each)
    assert verbose.stdout.splitlines()[-1] == "alive: none"
