"""``cloudping agent``: its options become a checked hello, or a refusal to start."""

from __future__ import annotations

import argparse
import ipaddress

import pytest

from cloudping.main import main
from cloudping.serve import agent as cli
from cloudping.wire import AgentAttributes

PIN = "AB:" * 31 + "AB"
TOKEN = "t0k3n"  # noqa: S105 (a stand-in)
BASE = ["--hub", "hub.example.net:4433", "--name", "fra1", "--token", TOKEN]


def settings_of(*extra: str, icmp: bool = True) -> cli.AgentSettings:
    args = cli.parser().parse_args([*BASE, *extra])
    return cli.settings(args, cli.capabilities(lambda: icmp))


def test_the_options_become_the_hello_and_the_rules() -> None:
    config = settings_of(
        "--hub-fingerprint", PIN, "--country", "DE", "--city", "Frankfurt",
        "--lat-lon", "50.11,8.68", "--asn", "AS3320", "--isp", "DTAG", "--dn42-asn", "4242420001",
        "--tag", "dn42", "--tag", "fra", "--serve", "172.20.0.0/14,fd00::/8", "--max-rate", "50",
    )  # fmt: skip
    assert (config.host, config.port) == ("hub.example.net", 4433)
    assert config.trust.pin == bytes.fromhex("ab" * 32)
    assert config.hello.name == "fra1"
    assert config.hello.token == TOKEN
    assert config.hello.attributes == AgentAttributes(
        country="DE",
        city="Frankfurt",
        lat=50.11,
        lon=8.68,
        asn=3320,
        isp="DTAG",
        dn42_asn=4242420001,
        tags=("dn42", "fra"),
        capabilities=("icmp", "udp", "tcp", "dns", "http", "http3", "scan"),
        serves=("172.20.0.0/14", "fd00::/8"),
        software=config.hello.attributes.software,
    )
    assert config.rules.max_rate_pps == 50
    assert config.rules.served == (
        ipaddress.ip_network("172.20.0.0/14"),
        ipaddress.ip_network("fd00::/8"),
    )


def test_an_agent_that_cannot_open_an_icmp_socket_does_not_offer_icmp() -> None:
    config = settings_of("--hub-ca", "/etc/hub-ca.pem", icmp=False)
    assert "icmp" not in config.hello.attributes.capabilities
    assert config.trust.ca_file is not None


def test_the_token_stays_out_of_the_settings_repr() -> None:
    assert TOKEN not in repr(settings_of("--hub-fingerprint", PIN))


def test_without_a_fingerprint_or_a_ca_the_agent_does_not_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["agent", *BASE])
    assert stopped.value.code == 2
    assert "--hub-fingerprint" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "complaint"),
    [
        (["--hub-fingerprint", "abcd"], "not a SHA-256 fingerprint"),
        (["--hub-fingerprint", PIN, "--serve", "10.1.0.0/8"], "--serve"),
        (["--hub-fingerprint", PIN, "--country", "Germany"], "bad country"),
    ],
)
def test_bad_settings_stop_the_agent_before_it_dials(
    extra: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agent", *BASE, *extra]) == 2
    assert complaint in capsys.readouterr().err


def test_the_hub_address_needs_a_port() -> None:
    assert cli.hub_address("[2001:db8::1]:4433") == ("2001:db8::1", 4433)
    with pytest.raises(ValueError, match="needs a port"):
        cli.hub_address("hub.example.net")


@pytest.mark.parametrize("text", ["52.5", "north,east"])
def test_a_bad_lat_lon_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        cli.lat_lon(text)
