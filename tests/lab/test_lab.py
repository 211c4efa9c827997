"""The lab itself, checked with the reference tools (iputils ping, traceroute, mtr, fping)."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .nft import (
    drop_tcp,
    drop_time_exceeded,
    random_loss,
    reject_admin_prohibited,
    reject_tcp_reset,
)
from .topology import ROLES, ROUTERS, Family, Lab, Role, cleanup_stale_labs, list_namespaces

pytestmark = pytest.mark.lab
FAMILIES = [4, 6]
PORT = 8080

# Prints how a TCP connect ends: open, refused, timeout or error ERRNO.
CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print("open")
except ConnectionRefusedError:
    print("refused")
except TimeoutError:
    print("timeout")
except OSError as exc:
    print("error", exc.errno)
"""


def ping(lab: Lab, family: Family, address: str, *flags: str, source: Role = "agent") -> str:
    argv = ["ping", f"-{family}", "-n", "-W", "1", *flags, address]
    return lab.run(source, argv, timeout=30, check=False).stdout


def loss_percent(ping_output: str) -> float:
    match = re.search(r"([\d.]+)% packet loss", ping_output)
    assert match is not None, ping_output
    return float(match[1])


def traceroute_hops(output: str) -> list[str]:
    """The one address of each hop line of `traceroute -n`, or "*" for a silent hop."""
    hops = []
    for line in output.splitlines()[1:]:
        fields = line.split()[1:]
        addresses = {field for field in fields if _is_address(field)}
        if not addresses and set(fields) == {"*"}:
            hops.append("*")
            continue
        assert len(addresses) == 1, f"a hop answered from {addresses or 'nowhere'}: {line!r}"
        hops.append(addresses.pop())
    return hops


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def connect(lab: Lab, family: Family, timeout: float) -> str:
    argv = [sys.executable, "-c", CONNECT, lab.addr("target", family), str(PORT), str(timeout)]
    return lab.run("agent", argv, timeout=timeout + 10).stdout.strip()


def pid_running(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (an orphan's reaper may be slow)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


# -- reachability ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_ping_from_agent_reaches_target(lab: Lab, family: Family) -> None:
    output = ping(lab, family, lab.addr("target", family), "-c", "3", "-i", "0.2")
    assert "3 packets transmitted, 3 received, 0% packet loss" in output


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("source", ["agent", "agent2"])
def test_every_host_pings_every_other_host(lab: Lab, source: Role, family: Family) -> None:
    others = [role for role in ROLES if role != source]
    argv = ["fping", f"-{family}", "-r", "0", "-t", "1000", *(lab.addr(r, family) for r in others)]
    output = lab.run(source, argv, timeout=30).stdout
    assert output.count(" is alive") == len(others), output


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize(("method", "flags"), [("icmp", ["-I"]), ("udp", []), ("tcp", ["-T"])])
def test_traceroute_from_agent_lists_exactly_the_lab_hops(
    lab: Lab, family: Family, method: str, flags: list[str]
) -> None:
    argv = ["traceroute", "-n", f"-{family}", *flags, "-q", "3", "-w", "1", "-m", "8"]
    output = lab.run("agent", [*argv, lab.addr("target", family)], timeout=60).stdout
    assert traceroute_hops(output) == lab.hops(family), f"{method}:\n{output}"


def test_traceroute_from_agent2_enters_r1_by_its_own_link(lab: Lab) -> None:
    argv = ["traceroute", "-n", "-I", "-q", "1", "-w", "1", lab.addr("target", 4)]
    output = lab.run("agent2", argv, timeout=30).stdout
    assert traceroute_hops(output) == lab.hops(4, source="agent2") == [
        "198.18.4.1", "198.18.2.2", "198.18.3.2",
    ]  # fmt: skip


@pytest.mark.parametrize("family", FAMILIES)
def test_mtr_report_lists_the_lab_hops_without_loss(lab: Lab, family: Family) -> None:
    argv = ["mtr", "-n", f"-{family}", "--report", "--json", "-c", "3", "-i", "0.1", "-G", "1"]
    report = json.loads(lab.run("agent", [*argv, lab.addr("target", family)], timeout=60).stdout)
    hubs = report["report"]["hubs"]
    assert [hub["host"] for hub in hubs] == lab.hops(family)
    assert [hub["Loss%"] for hub in hubs] == [0.0, 0.0, 0.0]


def test_addresses_are_the_documented_ones(lab: Lab) -> None:
    assert [lab.addr(role, 4) for role in ROLES] == [
        "198.18.1.2", "198.18.4.2", "198.18.1.1", "198.18.2.2", "198.18.3.2",
    ]  # fmt: skip
    assert lab.addr("target", 6) == "2001:db8:3::2"
    assert lab.hops(6) == ["2001:db8:1::1", "2001:db8:2::2", "2001:db8:3::2"]
    assert (lab.blackhole(4), lab.blackhole(6)) == ("198.18.99.1", "2001:db8:99::1")


# -- silent and answering failures ----------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_blackhole_loses_every_ping_without_an_icmp_error(lab: Lab, family: Family) -> None:
    output = ping(lab, family, lab.blackhole(family), "-c", "3", "-i", "0.2")
    assert "3 packets transmitted, 0 received, 100% packet loss" in output
    assert "From " not in output  # iputils prints each ICMP error as "From ROUTER ..."
    assert "errors" not in output


@pytest.mark.parametrize("family", FAMILIES)
def test_unreachable_address_gets_an_icmp_error_for_every_ping(lab: Lab, family: Family) -> None:
    output = ping(lab, family, lab.unreachable(family), "-c", "5", "-i", "0.05")
    assert "5 packets transmitted, 0 received, +5 errors, 100% packet loss" in output
    assert output.count(f"From {lab.addr('r2', family)} ") == 5


@pytest.mark.parametrize("family", FAMILIES)
def test_kernel_icmp_rate_limit_applies_only_in_the_ratelimited_lab(
    lab: Lab, lab_ratelimited: Lab, family: Family
) -> None:
    flags = ("-c", "20", "-i", "0.01")
    free = ping(lab, family, lab.unreachable(family), *flags)
    limited = ping(lab_ratelimited, family, lab_ratelimited.unreachable(family), *flags)
    assert "+20 errors" in free
    errors = re.search(r"\+(\d+) errors", limited)
    assert errors is not None, limited
    assert int(errors[1]) < 20, limited


# -- namespace settings ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_namespace_has_the_lab_sysctls(lab: Lab, role: Role) -> None:
    keys = ["net.ipv4.icmp_ratelimit", "net.ipv6.icmp.ratelimit", "net.ipv4.ip_forward",
            "net.ipv6.conf.all.forwarding", "net.ipv4.ping_group_range"]  # fmt: skip
    values = lab.run(role, ["sysctl", "-n", *keys], timeout=10).stdout.splitlines()
    forwarding = "1" if role in ROUTERS else "0"
    assert values == ["0", "0", forwarding, forwarding, "0\t2147483647"]


def test_ratelimited_lab_keeps_the_kernel_defaults(lab_ratelimited: Lab) -> None:
    keys = ["net.ipv4.icmp_ratelimit", "net.ipv6.icmp.ratelimit"]
    values = lab_ratelimited.run("r2", ["sysctl", "-n", *keys], timeout=10).stdout.split()
    assert "0" not in values


def test_unprivileged_icmp_sockets_are_allowed(lab: Lab) -> None:
    code = (
        "import socket as s\n"
        "s.socket(s.AF_INET, s.SOCK_DGRAM, s.IPPROTO_ICMP).close()\n"
        "s.socket(s.AF_INET6, s.SOCK_DGRAM, s.IPPROTO_ICMPV6).close()\n"
    )
    lab.run("agent", [sys.executable, "-c", code], timeout=30)


def test_no_ipv6_address_is_tentative(lab: Lab) -> None:
    for role in ROLES:
        assert lab.run(role, ["ip", "-6", "addr", "show", "tentative"], timeout=10).stdout == ""


# -- faults (nftables) ----------------------------------------------------------------------


def test_random_loss_of_30_percent_loses_about_that_many_pings(lab: Lab) -> None:
    target = lab.addr("target", 4)
    with random_loss(lab, "r2", 30) as table:
        lossy = ping(lab, 4, target, "-q", "-c", "100", "-i", "0.01")
        assert table.packets() > 0
    assert 10 <= loss_percent(lossy) <= 55, lossy
    after = ping(lab, 4, target, "-q", "-c", "20", "-i", "0.01")
    assert loss_percent(after) == 0, f"the table was not removed:\n{after}"


@pytest.mark.parametrize("family", FAMILIES)
def test_router_without_time_exceeded_is_a_silent_hop(lab: Lab, family: Family) -> None:
    argv = ["traceroute", "-n", f"-{family}", "-I", "-q", "1", "-w", "0.5"]
    with drop_time_exceeded(lab, "r1", family):
        output = lab.run("agent", [*argv, lab.addr("target", family)], timeout=30).stdout
    assert traceroute_hops(output) == ["*", *lab.hops(family)[1:]]


@pytest.mark.parametrize("family", FAMILIES)
def test_admin_prohibited_on_a_router_is_reported_by_ping(lab: Lab, family: Family) -> None:
    with reject_admin_prohibited(lab, "r2", proto="icmp", hook="forward"):
        output = ping(lab, family, lab.addr("target", family), "-c", "1")
    expected = "Packet filtered" if family == 4 else "Administratively prohibited"
    assert f"From {lab.addr('r2', family)} " in output
    assert expected in output


@pytest.fixture(scope="module")
def tcp_listener(lab: Lab) -> Iterator[None]:
    server = lab.tcp_listener("target", PORT)
    yield
    lab.stop(server)


@pytest.mark.usefixtures("tcp_listener")
@pytest.mark.parametrize("family", FAMILIES)
def test_tcp_faults_turn_an_open_port_refused_or_filtered(lab: Lab, family: Family) -> None:
    assert connect(lab, family, timeout=2) == "open"
    with reject_tcp_reset(lab, "target", PORT):
        assert connect(lab, family, timeout=2) == "refused"
    with drop_tcp(lab, "r2", PORT, hook="forward") as table:
        assert connect(lab, family, timeout=0.5) == "timeout"
        assert table.packets() >= 1
    assert connect(lab, family, timeout=2) == "open"


# -- life cycle -----------------------------------------------------------------------------


@pytest.mark.usefixtures("lab")  # skips (or fails in CI) where no lab can be built
def test_close_stops_processes_and_leaves_no_namespace() -> None:
    second = Lab.build()
    names = second.namespaces
    sleeper = second.popen("target", ["sleep", "60"])
    forked = second.run("target", ["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], timeout=10)
    etc = second.etc_dir("agent")
    (etc / "resolv.conf").write_text("nameserver 198.18.3.2\n")
    assert "198.18.3.2" in second.run("agent", ["cat", "/etc/resolv.conf"], timeout=10).stdout

    second.close()

    assert sleeper.poll() is not None
    assert not pid_running(int(forked.stdout))
    assert not etc.exists()
    assert set(names).isdisjoint(list_namespaces())


def test_two_labs_coexist_with_distinct_names(lab: Lab) -> None:
    with Lab.build() as second:
        assert set(second.namespaces).isdisjoint(lab.namespaces)
        assert "0% packet loss" in ping(second, 4, second.addr("target", 4), "-c", "1")
    assert "0% packet loss" in ping(lab, 4, lab.addr("target", 4), "-c", "1")


@pytest.mark.usefixtures("lab")
def test_stale_lab_of_a_dead_process_is_removed() -> None:
    with subprocess.Popen(["true"]) as gone:
        gone.wait(10)
    stale = f"cp{gone.pid}-0-agent"
    subprocess.run(["ip", "netns", "add", stale], check=True, timeout=10)
    try:
        assert stale in cleanup_stale_labs()
        assert stale not in list_namespaces()
    finally:
        subprocess.run(
            ["ip", "netns", "delete", stale], capture_output=True, timeout=10, check=False
        )
    assert f"cp{os.getpid()}-" in " ".join(list_namespaces())  # our own labs are kept


@pytest.mark.parametrize("family", FAMILIES)
def test_added_addresses_answer_and_others_do_not(lab: Lab, family: Family) -> None:
    with Lab.build() as own:  # not the shared lab: sweep tests rely on its address set
        extra = [f"198.18.3.{n}" if family == 4 else f"2001:db8:3::{n:x}" for n in (10, 11, 12)]
        own.add_addresses("target", family, extra)
        absent = "198.18.3.13" if family == 4 else "2001:db8:3::d"
        argv = ["fping", f"-{family}", "-r", "0", "-t", "500", *extra, absent]
        output = own.run("agent", argv, timeout=30, check=False).stdout
    assert sorted(output.splitlines()) == sorted(
        [f"{address} is alive" for address in extra] + [f"{absent} is unreachable"]
    )


def test_every_namespace_resolves_through_its_own_loopback_only(lab: Lab) -> None:
    for role in ("agent", "agent2", "r1", "r2", "target"):
        conf = lab.run(role, ["cat", "/etc/resolv.conf"], timeout=10).stdout
        assert conf.splitlines()[0] == "nameserver 127.0.0.1", role
