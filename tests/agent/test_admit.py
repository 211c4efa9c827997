"""Which offers the agent takes: pure checks with literal values."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from cloudping.agent.admit import (
    AgentRules,
    LimitExceededError,
    admit,
    job_policy,
    packet_count,
    packet_rate,
    parse_served,
)
from cloudping.commands import ScanCommand, parse_args
from cloudping.errors import UsageError
from cloudping.probes.targets import PolicyDeniedError

from .twin import LIMITS, offer


@pytest.mark.parametrize(
    ("words", "rate", "count"),
    [
        (["ping", "-c", "3", "-i", "0.5", "192.0.2.1", "192.0.2.2"], 4.0, 6),
        (["mtr", "-c", "2", "-m", "10", "192.0.2.1"], 10.0, 20),
        (["traceroute", "-q", "2", "-m", "10", "192.0.2.1"], 16.0, 20),
        (["scan", "192.0.2.0/28", "--rate", "50"], 50.0, 32),
        (["dns", "example.com"], None, None),
    ],
)
def test_rate_and_count_per_command(
    words: list[str], rate: float | None, count: int | None
) -> None:
    cmd = parse_args(words)
    assert packet_rate(cmd) == rate
    assert packet_count(cmd) == count


def test_an_offer_within_every_limit_is_admitted_unchanged() -> None:
    job = offer("j", "ping", "-c", "3", "192.0.2.1")
    assert admit(job, AgentRules()) == parse_args(["ping", "-c", "3", "192.0.2.1"])


def test_the_offers_own_rate_limit_counts_when_lower_than_the_agents() -> None:
    slow = dataclasses.replace(LIMITS, max_rate_pps=1)
    with pytest.raises(LimitExceededError, match="at most 1 packets/s") as caught:
        admit(offer("j", "ping", "-i", "0.5", "192.0.2.1", limits=slow), AgentRules())
    assert caught.value.fields == {"limit": "max_rate_pps", "allowed": 1, "asked": 2.0}


def test_an_offer_above_its_packet_budget_is_refused() -> None:
    small = dataclasses.replace(LIMITS, max_packets=5)
    with pytest.raises(LimitExceededError, match="max_packets"):
        admit(offer("j", "ping", "-c", "6", "192.0.2.1", limits=small), AgentRules())


def test_a_scan_without_a_rate_is_clamped_to_the_cap() -> None:
    cmd = admit(offer("j", "scan", "192.0.2.0/28"), AgentRules(max_rate_pps=40))
    assert isinstance(cmd, ScanCommand)
    assert cmd.rate == 40


def test_a_scan_asking_for_more_than_the_cap_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="asks for 50 packets/s"):
        admit(offer("j", "scan", "192.0.2.0/28", "--rate", "50"), AgentRules(max_rate_pps=40))


def test_an_offer_is_parsed_under_the_agents_limits() -> None:
    strict = dataclasses.replace(AgentRules().limits, count_max=3)
    with pytest.raises(UsageError):
        admit(offer("j", "ping", "-c", "4", "192.0.2.1"), AgentRules(limits=strict))


def test_served_ranges_open_only_to_the_private_scope() -> None:
    rules = AgentRules(served=parse_served("172.20.0.0/14,fd00::/8"))
    job_policy(offer("j", "ping", "172.20.0.1"), rules).check("172.20.0.1")
    public = dataclasses.replace(LIMITS, private=False)
    with pytest.raises(PolicyDeniedError, match="`private` scope"):
        job_policy(offer("j", "ping", "172.20.0.1", limits=public), rules).check("172.20.0.1")


def test_served_ranges_parse_strictly() -> None:
    assert parse_served("10.0.0.0/8, fd00::/8") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert parse_served("") == ()
    with pytest.raises(ValueError, match=r"10\.1\.0\.0/8"):
        parse_served("10.1.0.0/8")
