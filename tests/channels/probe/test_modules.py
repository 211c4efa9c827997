"""Probe modules: the built-in ones are Debian's blackbox.yml (those cloudping can run) plus
dns_udp; more come from the settings file's table, checked key by key; each module and
target becomes one command of the grammar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudping.channels.probe import BUILTIN, ProbeModule, modules_from_table
from cloudping.channels.probe.command import probe_command
from cloudping.commands import DnsCommand, HttpCommand, PingCommand, TcpingCommand, format_command
from cloudping.errors import UsageError

DEBIAN_BLACKBOX = Path("/etc/prometheus/blackbox.yml")
# Modules of Debian's file that need a conversation (banners, gRPC) cloudping does not hold.
NOT_OFFERED = {"pop3s_banner", "ssh_banner", "irc_banner", "grpc", "grpc_plain"}


def test_the_builtin_modules_are_debians_runnable_ones_plus_dns_udp() -> None:
    debian = {
        line.strip().rstrip(":")
        for line in DEBIAN_BLACKBOX.read_text().splitlines()
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":")
    }
    assert set(BUILTIN) == debian - NOT_OFFERED | {"dns_udp"}


def test_each_prober_becomes_its_command_with_the_target_as_one_value() -> None:
    icmp = probe_command(BUILTIN["icmp_ttl5"], "198.18.3.2", "a1,a2")
    assert isinstance(icmp, PingCommand)
    assert format_command(icmp) == "ping -c 1 -W 5 --ttl 5 -s a1,a2 198.18.3.2"
    tcp = probe_command(BUILTIN["tcp_connect"], "198.18.3.2:22", None)
    assert isinstance(tcp, TcpingCommand)
    assert tcp.endpoints == (("198.18.3.2", 22),)
    http = probe_command(BUILTIN["http_post_2xx"], "https://www.lab/", None)
    assert isinstance(http, HttpCommand)
    assert (http.method, http.follow) == ("POST", True)
    dns = probe_command(BUILTIN["dns_udp"], "198.18.3.2:53", None)
    assert isinstance(dns, DnsCommand)
    assert (dns.server, dns.names, dns.transport) == (
        "198.18.3.2:53",
        ("www.prometheus.io",),
        "udp",
    )


@pytest.mark.parametrize("target", ["198.18.3.2 -c 1000", "--from x", "198.18.3.2,-i"])
def test_a_target_cannot_smuggle_options(target: str) -> None:
    with pytest.raises(UsageError):
        probe_command(BUILTIN["icmp"], target, None)


def test_modules_from_the_settings_table_use_blackboxs_keys() -> None:
    table = {
        "icmp_ipv6_x10": {
            "prober": "icmp",
            "timeout": "2s",
            "icmp": {"preferred_ip_protocol": "ip6", "packets": 10},
        },
        "lab_dns": {
            "prober": "dns",
            "timeout": "500ms",
            "dns": {"query_name": "www.lab", "query_type": "aaaa", "transport_protocol": "tcp"},
        },
        "http_2xx": {"prober": "http", "http": {"valid_status_codes": [200, 204]}},
    }
    modules = modules_from_table(table)
    assert modules["icmp_ipv6_x10"] == ProbeModule(
        "icmp_ipv6_x10", "icmp", timeout_s=2.0, ip_protocol="ip6", packets=10
    )
    assert modules["lab_dns"] == ProbeModule(
        "lab_dns", "dns", timeout_s=0.5, query_name="www.lab", query_type="AAAA", transport="tcp"
    )
    assert modules["http_2xx"].valid_status_codes == (200, 204)
    assert modules["icmp"] == BUILTIN["icmp"]


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"x": {"prober": "grpc"}}, "probe.modules.x.prober"),
        ({"x": {"prober": "icmp", "icmp": {"ttl": 0}}}, "probe.modules.x.icmp.ttl"),
        ({"x": {"prober": "icmp", "icmp": {"tos": 1}}}, "probe.modules.x.icmp.tos"),
        ({"x": {"prober": "icmp", "http": {}}}, "probe.modules.x.http"),
        ({"x": {"prober": "tcp", "timeout": "soon"}}, "probe.modules.x.timeout"),
        ({"x": {"prober": "tcp", "timeout": 90}}, "probe.modules.x"),
        ({"x": {"prober": "dns"}}, "probe.modules.x"),
        ({"x": "icmp"}, "probe.modules.x"),
    ],
)
def test_a_wrong_key_or_value_is_an_error_naming_it(table: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=rf"^{named.replace('.', '[.]')}\b"):
        modules_from_table(table)
