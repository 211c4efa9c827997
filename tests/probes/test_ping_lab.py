"""`cloudping ping` in the network lab: real packets through real routers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from typing import Any

import jsonschema
import pytest
from lab import Family, Lab, random_loss

from cloudping.events import published_schema

FAMILIES: tuple[Family, ...] = (4, 6)
NO_NET_RAW = ["setpriv", "--bounding-set=-net_raw", "--"]


def ping(
    lab: Lab, *args: str, timeout: float = 60, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    argv = [*prefix, sys.executable, "-m", "cloudping", "ping", *args]
    return lab.run("agent", argv, timeout=timeout, check=False)


def events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def of_type(stream: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in stream if e["type"] == kind]


@pytest.mark.parametrize("family", FAMILIES)
def test_five_pings_to_the_target_get_five_replies_and_the_statistics(
    lab: Lab, family: Family
) -> None:
    target = lab.addr("target", family)
    result = ping(lab, "-c", "5", "-i", "0.2", target)
    assert result.returncode == 0, result.stderr
    replies = re.findall(
        rf"^64 bytes from {re.escape(target)}: icmp_seq=(\d) ttl=62 time=[\d.]+ ms$",
        result.stdout,
        re.MULTILINE,
    )
    assert replies == ["1", "2", "3", "4", "5"]
    assert f"--- {target} ping statistics ---" in result.stdout
    assert re.search(
        r"^5 packets transmitted, 5 received, 0% packet loss, time \d+ms$", result.stdout, re.M
    )
    assert re.search(
        r"^rtt min/avg/max/mdev = [\d.]+/[\d.]+/[\d.]+/[\d.]+ ms$", result.stdout, re.M
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_an_address_that_never_answers_gives_full_loss_and_exit_1(lab: Lab, family: Family) -> None:
    result = ping(lab, "-c", "3", "-i", "0.2", "-W", "0.5", lab.blackhole(family))
    assert result.returncode == 1, result.stderr
    assert "3 packets transmitted, 0 received, 100% packet loss" in result.stdout
    assert result.stdout.count("no answer yet for icmp_seq=") == 3


@pytest.mark.parametrize("family", FAMILIES)
def test_json_stream_is_framed_and_every_line_matches_the_schema(lab: Lab, family: Family) -> None:
    result = ping(lab, "--json", "-c", "3", "-i", "0.2", lab.addr("target", family))
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    validator = jsonschema.Draft202012Validator(published_schema())
    for event in stream:
        validator.validate(event)
    assert stream[0]["type"] == "measurement"
    assert stream[-1]["type"] == "end"
    assert stream[-1]["status"] == "ok"
    assert stream[-1]["id"] == stream[0]["id"]
    [summary] = of_type(stream, "summary")
    assert (summary["sent"], summary["received"], summary["loss"]) == (3, 3, 0.0)
    assert [e["seq"] for e in of_type(stream, "reply")] == [1, 2, 3]
    assert of_type(stream, "start")[0]["method"] == "raw"


def test_random_loss_on_a_router_is_counted_exactly(lab: Lab) -> None:
    target = lab.addr("target", 4)
    with random_loss(lab, "r2", 30) as loss:
        result = ping(lab, "--json", "-c", "100", "-i", "0.01", "-W", "1", target)
        dropped = loss.packets()
    stream = events(result.stdout)
    replied = {
        e["seq"] for e in of_type(stream, "reply") if not e["late"] and not e.get("icmp_error")
    }
    timed_out = {e["seq"] for e in of_type(stream, "timeout")}
    [summary] = of_type(stream, "summary")
    assert replied.isdisjoint(timed_out)
    assert replied | timed_out == set(range(1, 101)), "every sent sequence is accounted for"
    assert summary["received"] == len(replied)
    assert summary["sent"] - summary["received"] == dropped, "lost exactly what the router dropped"
    assert summary["loss"] == pytest.approx(100 - len(replied))
    assert 10 <= summary["loss"] <= 55


@pytest.mark.parametrize("family", FAMILIES)
def test_ttl_1_gets_time_exceeded_from_the_first_router(lab: Lab, family: Family) -> None:
    result = ping(lab, "-c", "2", "-i", "0.2", "--ttl", "1", lab.addr("target", family))
    assert result.returncode == 1
    first_hop = lab.hops(family)[0]
    expected = "Time to live exceeded"
    assert result.stdout.count(f"From {first_hop} icmp_seq=") == 2, result.stdout
    assert expected in result.stdout
    assert "2 packets transmitted, 0 received, +2 errors, 100% packet loss" in result.stdout


@pytest.mark.parametrize("family", FAMILIES)
def test_an_unreachable_host_is_reported_by_the_router(lab: Lab, family: Family) -> None:
    result = ping(lab, "--json", "-c", "2", "-i", "0.2", lab.unreachable(family))
    answers = [
        (e["seq"], e.get("icmp_error"), e["address"])
        for e in of_type(events(result.stdout), "reply")
    ]
    router = lab.addr("r2", family)
    assert answers == [(1, "host_unreachable", router), (2, "host_unreachable", router)]
    assert result.returncode == 1


@pytest.mark.skipif(
    shutil.which("setpriv") is None, reason="needs setpriv (util-linux) to drop CAP_NET_RAW"
)
@pytest.mark.parametrize("family", FAMILIES)
def test_without_raw_sockets_the_datagram_socket_pings_with_the_same_results(
    lab: Lab, family: Family
) -> None:
    target = lab.addr("target", family)
    result = ping(lab, "--json", "-c", "3", "-i", "0.2", target, prefix=tuple(NO_NET_RAW))
    assert result.returncode == 0, result.stderr
    stream = events(result.stdout)
    assert of_type(stream, "start")[0]["method"] == "datagram"
    assert [(e["seq"], e.get("ttl"), e["address"]) for e in of_type(stream, "reply")] == [
        (1, 62, target),
        (2, 62, target),
        (3, 62, target),
    ]


@pytest.mark.skipif(
    shutil.which("setpriv") is None, reason="needs setpriv (util-linux) to drop CAP_NET_RAW"
)
def test_datagram_socket_reports_icmp_errors_from_the_error_queue(lab: Lab) -> None:
    result = ping(
        lab, "--json", "-c", "1", "--ttl", "1", lab.addr("target", 4), prefix=tuple(NO_NET_RAW)
    )
    [reply] = of_type(events(result.stdout), "reply")
    assert (reply.get("icmp_error"), reply["address"]) == ("time_exceeded", lab.hops(4)[0])


@pytest.mark.skipif(
    shutil.which("unshare") is None or shutil.which("setpriv") is None,
    reason="needs unshare and setpriv (util-linux)",
)
def test_with_no_icmp_socket_allowed_the_error_says_what_to_do(lab: Lab) -> None:
    # A fresh namespace keeps the kernel default ping_group_range "1 0": no datagram sockets.
    argv = [
        "unshare",
        "--net",
        *NO_NET_RAW,
        sys.executable,
        "-m",
        "cloudping",
        "ping",
        "-c",
        "1",
        "127.0.0.1",
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "CAP_NET_RAW" in result.stderr
    assert "ping_group_range" in result.stderr
    assert "Traceback" not in result.stderr


def test_one_hundred_packets_per_second_are_all_answered_and_attributed(lab: Lab) -> None:
    target = lab.addr("target", 4)
    result = ping(lab, "--json", "-c", "200", "-i", "0.01", target)
    replies = of_type(events(result.stdout), "reply")
    assert sorted(e["seq"] for e in replies) == list(range(1, 201))
    assert {(e["address"], e["duplicate"], e["late"]) for e in replies} == {(target, False, False)}


def test_two_targets_are_pinged_at_once_with_prefixed_lines(lab: Lab) -> None:
    t4, t6 = lab.addr("target", 4), lab.addr("target", 6)
    result = ping(lab, "-c", "2", "-i", "0.2", t4, t6)
    assert result.returncode == 0, result.stderr
    assert f"[local {t4}] --- {t4} ping statistics ---" in result.stdout
    assert f"[local {t6}] 2 packets transmitted, 2 received, 0% packet loss" in result.stdout


def test_a_name_that_does_not_resolve_is_an_error_without_traceback(lab: Lab) -> None:
    result = ping(lab, "-c", "1", "nonexistent.invalid")
    assert result.returncode == 2
    assert result.stderr.startswith("cloudping: nonexistent.invalid:")
    assert "Traceback" not in result.stderr


def test_df_with_a_packet_above_the_link_mtu_fails_locally_and_says_why(lab: Lab) -> None:
    result = ping(
        lab, "--json", "-c", "2", "-i", "0.2", "--df", "--size", "3000", lab.addr("target", 4)
    )
    stream = events(result.stdout)
    [error] = of_type(stream, "error")
    assert error["code"] == "send_failed"
    assert "Message too long" in error["message"]
    [summary] = of_type(stream, "summary")
    assert (summary["sent"], summary["errors"], summary["received"]) == (2, 2, 0)
