"""The target policy: public addresses pass, special ones are refused unless served."""

from __future__ import annotations

import ipaddress

import pytest

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
