"""`cloudping tcping` and `ping --proto tcp|udp` in the network lab: real SYNs, RSTs and ICMP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from lab import Family, Lab, drop_tcp, drop_udp, reject_tcp_reset

from cloudping.events import published_schema

FAMILIES: tuple[Family, ...] = (4, 6)
OPEN_PORT = 8443  # the listener's; other ports of the target have nothing behind them
UDP_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data[:5], peer)
"""
TIME = r"time=[\d.]+ ms"


def cloudping(lab: Lab, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return lab.python("agent", args, timeout, check=False)


def hostport(lab: Lab, family: Family, port: int) -> str:
    address = lab.addr("target", family)
    return f"{address}:{port}" if family == 4 else f"[{address}]:{port}"


def events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def of_type(stream: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in stream if e["type"] == kind]


@pytest.fixture(scope="module")
def listener(lab: Lab) -> Iterator[None]:
    server = lab.tcp_listener("target", OPEN_PORT)
    yield
    lab.stop(server)


@pytest.mark.usefixtures("listener")
@pytest.mark.parametrize("family", FAMILIES)
def test_a_listening_port_is_open_on_every_probe(lab: Lab, family: Family) -> None:
    where = hostport(lab, family, OPEN_PORT)
    result = cloudping(lab, "tcping", "-c", "3", "-i", "0.2", where)
    assert result.returncode == 0, result.stderr
    lines = re.findall(
        rf"^Connected to {re.escape(where)}: seq=(\d) {TIME} \(open\)$", result.stdout, re.M
    )
    assert lines == ["1", "2", "3"]
    assert f"--- {where} tcping statistics ---" in result.stdout
    assert re.search(
        r"^3 probes transmitted, 3 received, 0% loss, time \d+ms$", result.stdout, re.M
    )
    assert re.search(
        r"^rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms$", result.stdout, re.M
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_a_reset_is_a_closed_port_with_its_round_trip_time(lab: Lab, family: Family) -> None:
    port = 9001
    with reject_tcp_reset(lab, "target", port) as rule:
        result = cloudping(
            lab, "--json", "tcping", "-c", "2", "-i", "0.2", hostport(lab, family, port)
        )
        assert rule.packets() == 2
    assert result.returncode == 1, "a RST proves the host answers, not that the service does"
    stream = events(result.stdout)
    target = lab.addr("target", family)
    assert [
        (e["seq"], e.get("state"), e["address"], e.get("port")) for e in of_type(stream, "reply")
    ] == [
        (1, "closed", target, port),
        (2, "closed", target, port),
    ]
    assert all(0 < e["rtt_ms"] < 100 for e in of_type(stream, "reply"))
    [summary] = of_type(stream, "summary")
    assert (summary["probe"], summary["sent"], summary["received"]) == ("tcping", 2, 2)
    assert summary["open"] == 0


@pytest.mark.parametrize("family", FAMILIES)
def test_a_reset_reads_as_connection_refused(lab: Lab, family: Family) -> None:
    where = hostport(lab, family, 9002)
    with reject_tcp_reset(lab, "target", 9002):
        result = cloudping(lab, "tcping", "-c", "1", where)
    assert re.search(
        rf"^Connection refused by {re.escape(where)}: seq=1 {TIME} \(closed\)$", result.stdout, re.M
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_dropped_syns_are_filtered_and_exit_1(lab: Lab, family: Family) -> None:
    where = hostport(lab, family, 9003)
    with drop_tcp(lab, "target", 9003) as rule:
        result = cloudping(lab, "tcping", "-c", "2", "-i", "0.2", "-W", "0.5", where)
        assert rule.packets() == 2, "one SYN per probe: each socket is closed at its timeout"
    assert result.returncode == 1
    assert re.findall(
        rf"^No answer from {re.escape(where)}: seq=(\d) \(filtered\)$", result.stdout, re.M
    ) == ["1", "2"]
    assert "2 probes transmitted, 0 received, 100% loss" in result.stdout


@pytest.mark.parametrize("family", FAMILIES)
def test_an_unreachable_host_is_reported_by_the_router_that_said_so(
    lab: Lab, family: Family
) -> None:
    result = cloudping(lab, "--json", "tcping", "-c", "2", "-i", "0.2", lab.unreachable(family))
    assert result.returncode == 1
    stream = events(result.stdout)
    router = lab.addr("r2", family)
    assert [
        (e.get("icmp_error"), e["address"], e.get("state")) for e in of_type(stream, "reply")
    ] == [
        ("host_unreachable", router, "unreachable"),
    ] * 2
    [summary] = of_type(stream, "summary")
    assert (summary["received"], summary["errors"], summary.get("port")) == (0, 2, 443)


def test_an_unreachable_host_reads_like_ping(lab: Lab) -> None:
    result = cloudping(lab, "tcping", "-c", "1", lab.unreachable(4))
    assert f"From {lab.addr('r2', 4)} seq=1 Destination Host Unreachable" in result.stdout
    assert "1 probes transmitted, 0 received, +1 errors, 100% loss" in result.stdout


@pytest.mark.parametrize("family", FAMILIES)
def test_udp_ping_is_answered_by_the_targets_port_unreachable(lab: Lab, family: Family) -> None:
    target = lab.addr("target", family)
    result = cloudping(lab, "--json", "ping", "--proto", "udp", "-c", "3", "-i", "0.2", target)
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    replies = of_type(stream, "reply")
    assert [
        (e.get("state"), e.get("icmp_error"), e["address"], e.get("port")) for e in replies
    ] == [
        ("closed", "port_unreachable", target, 33434),
    ] * 3
    assert all(0 < e["rtt_ms"] < 100 for e in replies)
    [start] = of_type(stream, "start")
    assert (start["probe"], start["method"], start.get("port"), start.get("size")) == (
        "ping",
        "udp",
        33434,
        56,
    )


def test_udp_ping_faster_than_the_targets_icmp_rate_limit_loses_answers_to_timeouts(
    lab_ratelimited: Lab,
) -> None:
    target = lab_ratelimited.addr("target", 4)
    args = ("--json", "ping", "--proto", "udp", "-c", "12", "-i", "0.02", "-W", "0.5", target)
    stream = events(lab_ratelimited.python("agent", args, 60, check=False).stdout)
    answered = {e["seq"] for e in of_type(stream, "reply") if e.get("state") == "closed"}
    timed_out = {e["seq"] for e in of_type(stream, "timeout")}
    assert answered.isdisjoint(timed_out)
    assert answered | timed_out == set(range(1, 13)), "every probe is accounted for"
    assert 1 <= len(answered) < 12, "the burst is answered, the rest is limited"
    [summary] = of_type(stream, "summary")
    assert summary["received"] == len(answered)


def test_udp_ping_text_says_port_unreachable(lab: Lab) -> None:
    target = lab.addr("target", 4)
    result = cloudping(lab, "ping", "--proto", "udp", "-c", "1", target)
    assert re.search(
        rf"^Port unreachable from {target}:33434: seq=1 {TIME} \(closed\)$", result.stdout, re.M
    )
    assert f"--- {target}:33434 ping statistics ---" in result.stdout


@pytest.mark.parametrize("family", FAMILIES)
def test_udp_ping_to_a_service_that_answers_is_open(lab: Lab, family: Family) -> None:
    port = 7007
    server = lab.popen("target", [sys.executable, "-c", UDP_ECHO, str(port)])
    try:
        lab.wait_listening("target", port, proto="udp", timeout=10)
        target = lab.addr("target", family)
        result = cloudping(
            lab, "--json", "ping", "--proto", "udp", "-p", str(port), "-c", "1", target
        )
    finally:
        lab.stop(server)
    [answer] = of_type(events(result.stdout), "reply")
    assert (
        answer.get("state"),
        answer.get("size"),
        answer.get("ttl"),
        answer.get("icmp_error"),
    ) == (
        "open",
        5,
        62,
        None,
    )


@pytest.mark.usefixtures("listener")
@pytest.mark.parametrize("family", FAMILIES)
def test_tcp_ping_to_a_port_connects(lab: Lab, family: Family) -> None:
    target = lab.addr("target", family)
    args = (
        "--json",
        "ping",
        "--proto",
        "tcp",
        "-p",
        str(OPEN_PORT),
        "-c",
        "2",
        "-i",
        "0.2",
        target,
    )
    result = cloudping(lab, *args)
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    assert [e.get("state") for e in of_type(stream, "reply")] == ["open", "open"]
    [start] = of_type(stream, "start")
    assert (start["probe"], start["method"], start.get("port")) == (
        "ping",
        "tcp-connect",
        OPEN_PORT,
    )


def test_tcp_ping_with_ttl_1_gets_time_exceeded_from_the_first_router(lab: Lab) -> None:
    result = cloudping(
        lab, "ping", "--proto", "tcp", "--ttl", "1", "-c", "1", lab.addr("target", 4)
    )
    assert result.returncode == 1
    assert f"From {lab.hops(4)[0]} seq=1 Time to live exceeded" in result.stdout


@pytest.mark.usefixtures("listener")
def test_targets_run_at_once_and_any_answer_makes_exit_0(lab: Lab) -> None:
    open_v6, filtered = hostport(lab, 6, OPEN_PORT), hostport(lab, 4, 9004)
    with drop_tcp(lab, "target", 9004):
        result = cloudping(lab, "tcping", "-c", "2", "-i", "0.2", "-W", "0.5", open_v6, filtered)
    assert result.returncode == 0
    assert f"[local {open_v6}] Connected to {open_v6}: seq=2" in result.stdout
    assert f"[local {filtered}] No answer from {filtered}: seq=2 (filtered)" in result.stdout


@pytest.mark.usefixtures("listener")
@pytest.mark.parametrize("family", FAMILIES)
def test_json_stream_is_framed_and_every_line_matches_the_schema(lab: Lab, family: Family) -> None:
    where = hostport(lab, family, OPEN_PORT)
    with drop_tcp(lab, "target", 9005):
        args = (
            "--json",
            "tcping",
            "-c",
            "2",
            "-i",
            "0.2",
            "-W",
            "0.5",
            where,
            hostport(lab, family, 9005),
        )
        result = cloudping(lab, *args)
    stream = events(result.stdout)
    validator = jsonschema.Draft202012Validator(published_schema())
    for event in stream:
        validator.validate(event)
    assert (stream[0]["type"], stream[-1]["type"], stream[-1]["status"]) == (
        "measurement",
        "end",
        "ok",
    )
    assert {
        (e["target"], e["probe"], e["method"], e.get("port")) for e in of_type(stream, "start")
    } == {
        (where, "tcping", "tcp-connect", OPEN_PORT),
        (hostport(lab, family, 9005), "tcping", "tcp-connect", 9005),
    }
    assert [(e["seq"], e.get("port"), e.get("state")) for e in of_type(stream, "timeout")] == [
        (1, 9005, "filtered"),
        (2, 9005, "filtered"),
    ]
    summaries = {e.get("port"): (e["probe"], e["received"]) for e in of_type(stream, "summary")}
    assert summaries == {OPEN_PORT: ("tcping", 2), 9005: ("tcping", 0)}


@pytest.mark.usefixtures("listener")
@pytest.mark.parametrize("family", FAMILIES)
def test_every_tcp_attempt_carries_its_port_state_on_reply_or_timeout(
    lab: Lab, family: Family
) -> None:
    open_, closed, filtered = (hostport(lab, family, p) for p in (OPEN_PORT, 9006, 9007))
    unreachable = lab.unreachable(family)
    with reject_tcp_reset(lab, "target", 9006), drop_tcp(lab, "target", 9007):
        args = ("--json", "tcping", "-c", "1", "-W", "0.5", open_, closed, filtered, unreachable)
        stream = events(cloudping(lab, *args).stdout)
    states = {e["target"]: (e["type"], e.get("state")) for e in of_type(stream, "reply")}
    states |= {e["target"]: (e["type"], e.get("state")) for e in of_type(stream, "timeout")}
    assert states == {
        open_: ("reply", "open"),
        closed: ("reply", "closed"),
        filtered: ("timeout", "filtered"),
        unreachable: ("reply", "unreachable"),
    }


@pytest.mark.parametrize("family", FAMILIES)
def test_a_silent_udp_port_times_out_open_or_filtered(lab: Lab, family: Family) -> None:
    target = lab.addr("target", family)
    with drop_udp(lab, "target", 9008) as rule:
        args = ("--json", "ping", "--proto", "udp", "-p", "9008", "-c", "2", "-i", "0.2")
        result = cloudping(lab, *args, "-W", "0.5", target)
        text = cloudping(lab, *args[1:], "-W", "0.3", target).stdout
        assert rule.packets() == 4
    stream = events(result.stdout)
    assert not of_type(stream, "reply")
    assert [(e["seq"], e.get("port"), e.get("state")) for e in of_type(stream, "timeout")] == [
        (1, 9008, "open_or_filtered"),
        (2, 9008, "open_or_filtered"),
    ]
    where = f"{target}:9008" if family == 4 else f"[{target}]:9008"
    assert f"No answer from {where}: seq=2 (open|filtered)" in text


def test_a_name_that_does_not_resolve_is_an_error_without_traceback(lab: Lab) -> None:
    result = cloudping(lab, "tcping", "-c", "1", "nonexistent.invalid:443")
    assert result.returncode == 2
    assert result.stderr.startswith("cloudping: nonexistent.invalid:")
    assert "Traceback" not in result.stderr
