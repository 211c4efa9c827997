"""The target policy: public addresses pass, special ones are refused unless served."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from cloudping.commands import parse
from cloudping.events import ErrorEvent, Event, HopEvent, ReplyEvent, ScanEvent
from cloudping.probes.env import ProbeEnv
from cloudping.probes.registry import probe_for
from cloudping.probes.targets import PolicyDeniedError, TargetPolicy


@pytest.mark.parametrize("address", ["1.1.1.1", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    TargetPolicy().check(address)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.1.1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("172.20.0.1", "private"),
        ("fd00::1", "private"),
        ("198.18.3.2", "private or reserved"),
        ("2001:db8::1", "private or reserved"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address to refuse, not a bind)
    ],
)
def test_special_addresses_are_refused_with_a_reason(address: str, kind: str) -> None:
    with pytest.raises(PolicyDeniedError, match=kind) as caught:
        TargetPolicy().check(address)
    assert caught.value.code == "policy_denied"
    assert caught.value.fields["address"] == address


def test_a_served_range_is_allowed_and_only_that_range() -> None:
    dn42 = TargetPolicy(
        served=(ipaddress.ip_network("172.20.0.0/14"), ipaddress.ip_network("fd00::/8"))
    )
    dn42.check("172.20.1.1")
    dn42.check("fd42::1")
    with pytest.raises(PolicyDeniedError):
        dn42.check("10.0.0.1")


def test_a_range_is_allowed_only_when_wholly_public_or_served() -> None:
    TargetPolicy().check_network(ipaddress.ip_network("8.8.8.0/24"))
    served = TargetPolicy(served=(ipaddress.ip_network("172.20.0.0/14"),))
    served.check_network(ipaddress.ip_network("172.20.1.0/24"))
    for cidr in ("10.0.0.0/24", "172.16.0.0/12", "198.18.3.0/24", "2001:db8::/120"):
        with pytest.raises(PolicyDeniedError, match="not wholly public"):
            served.check_network(ipaddress.ip_network(cidr))


@pytest.mark.parametrize(
    "command",
    ["ping -c 1 127.0.0.1", "traceroute 127.0.0.1", "mtr -c 1 127.0.0.1", "tcping 127.0.0.1:22",
     "ping --proto udp -c 1 127.0.0.1", "scan 198.18.250.0/30"],
)  # fmt: skip
def test_every_probe_refuses_a_loopback_target_under_a_policy(command: str) -> None:
    events: list[Event] = []

    async def measure() -> None:
        async with ProbeEnv(policy=TargetPolicy()) as env:
            probe = probe_for(parse(command).command)
            assert probe is not None
            await probe(parse(command), env, events.append)

    asyncio.run(asyncio.wait_for(measure(), 30))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [e.code for e in errors] == ["policy_denied"]
    assert not any(isinstance(e, ReplyEvent | HopEvent | ScanEvent) for e in events)
