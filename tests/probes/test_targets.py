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
from cloudping.special import SPECIAL_RANGES, Address, Network, SpecialRange, special_range

LAB = TargetPolicy(
    served=(ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32"))
)

# The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890), as published:
# (prefix, RFC, "Globally Reachable"; None where the registry says N/A).
IANA_REGISTRY = [
    ("0.0.0.0/8", "RFC 791", False),
    ("0.0.0.0/32", "RFC 1122", False),
    ("10.0.0.0/8", "RFC 1918", False),
    ("100.64.0.0/10", "RFC 6598", False),
    ("127.0.0.0/8", "RFC 1122", False),
    ("169.254.0.0/16", "RFC 3927", False),
    ("172.16.0.0/12", "RFC 1918", False),
    ("192.0.0.0/24", "RFC 6890", False),
    ("192.0.0.0/29", "RFC 7335", False),
    ("192.0.0.8/32", "RFC 7600", False),
    ("192.0.0.9/32", "RFC 7723", True),
    ("192.0.0.10/32", "RFC 8155", True),
    ("192.0.0.170/32", "RFC 8880", False),
    ("192.0.0.171/32", "RFC 8880", False),
    ("192.0.2.0/24", "RFC 5737", False),
    ("192.31.196.0/24", "RFC 7535", True),
    ("192.52.193.0/24", "RFC 7450", True),
    ("192.88.99.0/24", "RFC 7526", None),
    ("192.168.0.0/16", "RFC 1918", False),
    ("192.175.48.0/24", "RFC 7534", True),
    ("198.18.0.0/15", "RFC 2544", False),
    ("198.51.100.0/24", "RFC 5737", False),
    ("203.0.113.0/24", "RFC 5737", False),
    ("240.0.0.0/4", "RFC 1112", False),
    ("255.255.255.255/32", "RFC 919", False),
    ("::1/128", "RFC 4291", False),
    ("::/128", "RFC 4291", False),
    ("::ffff:0:0/96", "RFC 4291", False),
    ("64:ff9b::/96", "RFC 6052", True),
    ("64:ff9b:1::/48", "RFC 8215", False),
    ("100::/64", "RFC 6666", False),
    ("100:0:0:1::/64", "RFC 9780", False),
    ("2001::/23", "RFC 2928", False),
    ("2001::/32", "RFC 4380", None),
    ("2001:1::1/128", "RFC 7723", True),
    ("2001:1::2/128", "RFC 8155", True),
    ("2001:1::3/128", "RFC 9665", True),
    ("2001:2::/48", "RFC 5180", False),
    ("2001:3::/32", "RFC 7450", True),
    ("2001:4:112::/48", "RFC 7535", True),
    ("2001:10::/28", "RFC 4843", False),
    ("2001:20::/28", "RFC 7343", True),
    ("2001:30::/28", "RFC 9374", True),
    ("2001:db8::/32", "RFC 3849", False),
    ("2002::/16", "RFC 3056", None),
    ("2620:4f:8000::/48", "RFC 7534", True),
    ("3fff::/20", "RFC 9637", False),
    ("5f00::/16", "RFC 9602", False),
    ("fc00::/7", "RFC 4193", False),
    ("fe80::/10", "RFC 4291", False),
]


@pytest.mark.parametrize(("prefix", "rfc", "reachable"), IANA_REGISTRY)
def test_every_registry_row_is_in_the_table_as_published(
    prefix: str, rfc: str, reachable: bool | None
) -> None:
    rows = [row for row in SPECIAL_RANGES if row.network == ipaddress.ip_network(prefix)]
    assert [(row.rfc, row.reachable) for row in rows] == [(rfc, reachable)]


def _decided_by(network: Network) -> tuple[Address, SpecialRange]:
    """An address of ``network`` that its own row decides (0.0.0.0 has a row of its own)."""
    for address in (network[0], network[-1], network[1 % network.num_addresses]):
        row = special_range(address)
        if row is not None and row.network == network:
            return address, row
    raise AssertionError(f"no address of {network} is decided by its row")


@pytest.mark.parametrize(("prefix", "rfc", "reachable"), IANA_REGISTRY)
def test_an_address_of_each_row_follows_its_reachability(
    prefix: str, rfc: str, reachable: bool | None
) -> None:
    network = ipaddress.ip_network(prefix)
    address, row = _decided_by(network)
    if row.embeds is not None:
        return  # decided by the IPv4 addresses it carries (below)
    if reachable:
        TargetPolicy().check(str(address))
    else:
        with pytest.raises(PolicyDeniedError, match=rfc):
            TargetPolicy().check(str(address))


@pytest.mark.parametrize(
    ("address", "form"),
    [
        ("64:ff9b::7f00:1", "IPv4-IPv6 translat."),  # NAT64 /96, RFC 6052
        ("64:ff9b:1:7f00:0:100::", "IPv4-IPv6 translat."),  # NAT64 /48, RFC 8215
        ("::127.0.0.1", "IPv4-compatible"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:0:7f00:1", "IPv4-translated"),
        ("2002:7f00:1::1", "6to4"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "TEREDO"),  # client ~7f00:0001 = 127.0.0.1
        ("2001:0:7f00:1:8000:63bf:3fff:fdd2", "TEREDO"),  # server 127.0.0.1 (bits 32-63)
        ("64:ff9b::a01:203", "IPv4-IPv6 translat."),  # 10.1.2.3
    ],
)
def test_ipv6_forms_of_special_ipv4_addresses_are_refused(address: str, form: str) -> None:
    with pytest.raises(PolicyDeniedError, match=form) as caught:
        TargetPolicy().check(address)
    assert "a loopback address" in caught.value.message or "private-use" in caught.value.message


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::808:808",
        "2002:808:808::1",
        "::ffff:8.8.8.8",
        "2001:0:4136:e378:8000:63bf:f7f7:f7f7",  # Teredo: server 65.54.227.120, client 8.8.8.8
    ],
)
def test_ipv6_forms_of_public_ipv4_addresses_pass(address: str) -> None:
    TargetPolicy().check(address)


@pytest.mark.parametrize(
    "address", ["3fff::1", "5f00::1", "100::1", "2001:2::1", "fec0::1", "::2:1", "2001:10::1"]
)
def test_reserved_and_deprecated_ipv6_ranges_are_refused(address: str) -> None:
    with pytest.raises(PolicyDeniedError):
        TargetPolicy().check(address)


@pytest.mark.parametrize(
    "address", ["198.18.3.2", "2001:db8::2", "::ffff:198.18.3.2", "64:ff9b::c612:302"]
)
def test_the_lab_ranges_pass_where_an_agent_serves_them_in_any_form(address: str) -> None:
    LAB.check(address)


def test_served_ipv4_does_not_open_other_embedded_addresses() -> None:
    with pytest.raises(PolicyDeniedError, match="a loopback address"):
        LAB.check("::ffff:127.0.0.1")


@pytest.mark.parametrize("address", ["1.1.1.1", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    TargetPolicy().check(address)


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.1.1", "link local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("10.1.2.3", "private-use"),
        ("192.168.1.1", "private-use"),
        ("172.20.0.1", "private-use"),
        ("fd00::1", "unique-local"),
        ("198.18.3.2", "benchmarking"),
        ("2001:db8::1", "documentation"),
        ("0.0.0.0", "this host on this network"),  # noqa: S104 (an address to refuse, not a bind)
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
    for cidr in ("10.0.0.0/24", "172.16.0.0/12", "198.18.3.0/24", "2001:db8::/120",
                 "::ffff:127.0.0.0/120", "64:ff9b::/120", "2001::/120"):  # fmt: skip
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


LOOPBACK_SERVED = (ipaddress.ip_network("127.0.0.0/8"),)


def _refusal(policy: TargetPolicy, address: str) -> PolicyDeniedError:
    with pytest.raises(PolicyDeniedError) as refused:
        policy.check(address)
    return refused.value


def test_a_served_range_without_the_private_scope_is_refused_by_the_scope_rule() -> None:
    error = _refusal(TargetPolicy(served=LOOPBACK_SERVED, private=False), "127.0.0.1")
    assert error.fields["rule"] == "scope"
    assert "this agent serves the range, but only to tokens with the `private` scope" in str(error)
    assert "only public addresses" not in str(error)


def test_a_range_the_agent_does_not_serve_names_the_serve_option() -> None:
    error = _refusal(TargetPolicy(served=LOOPBACK_SERVED), "10.1.2.3")
    assert error.fields["rule"] == "not_served"
    assert str(error) == (
        "target 10.1.2.3 is a private-use address (10.0.0.0/8, RFC 1918): refused (this agent "
        "serves 127.0.0.0/8; an agent started with `--serve 10.0.0.0/8` (`cloudping up` or "
        "`cloudping agent`) may probe it for tokens with `private`)"
    )


def test_without_serve_the_refusal_says_the_agent_serves_nothing_private() -> None:
    error = _refusal(TargetPolicy(), "127.0.0.1")
    assert error.fields["rule"] == "not_served"
    assert "this agent serves no range beyond the public Internet" in str(error)
    assert "`--serve 127.0.0.0/8`" in str(error)


@pytest.mark.parametrize("address", ["224.0.0.1", "255.255.255.255", "0.1.2.3", "ff02::1"])
def test_ranges_where_no_host_answers_are_refused_by_the_reserved_rule(address: str) -> None:
    error = _refusal(TargetPolicy(), address)
    assert error.fields["rule"] == "reserved"
    assert "no single host answers there" in str(error)


def test_an_embedded_address_takes_the_rule_of_the_address_it_carries() -> None:
    error = _refusal(TargetPolicy(served=LOOPBACK_SERVED, private=False), "::ffff:127.0.0.1")
    assert error.fields["rule"] == "scope"
    assert "IPv4-mapped" in str(error)


def test_a_sweep_of_a_served_range_without_the_private_scope_names_the_scope() -> None:
    policy = TargetPolicy(served=LOOPBACK_SERVED, private=False)
    with pytest.raises(PolicyDeniedError) as refused:
        policy.check_network(ipaddress.ip_network("127.0.0.0/30"))
    assert refused.value.fields["rule"] == "scope"
    TargetPolicy(served=LOOPBACK_SERVED).check_network(ipaddress.ip_network("127.0.0.0/30"))


def test_the_error_event_carries_the_rule() -> None:
    event = ErrorEvent.of(_refusal(TargetPolicy(), "127.0.0.1"), agent="local")
    assert (event.code, event.rule, event.agent) == ("policy_denied", "not_served", "local")
