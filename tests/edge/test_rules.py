"""Which Host and Origin headers the hub's HTTP server accepts (DNS rebinding protection)."""

from __future__ import annotations

import pytest

from cloudping.edge import HostRules, host_rules

LOOPBACK = "127.0.0.1"
ANY = "0.0.0.0"  # noqa: S104 (a listen address)


def test_a_loopback_hub_accepts_only_loopback_names() -> None:
    rules = host_rules(LOOPBACK, (), (), guests=False)
    assert rules.enforced
    assert rules.hosts == ("127.0.0.1:*", "localhost:*", "[::1]:*")
    assert "http://localhost:*" in rules.origins


def test_configured_hosts_and_origins_win() -> None:
    rules = host_rules(ANY, ("hub.example.org:443",), ("https://app.example",), guests=True)
    assert rules.hosts == ("hub.example.org:443",)
    assert rules.origins == ("https://app.example",)


def test_a_public_hub_that_requires_tokens_accepts_any_host() -> None:
    rules = host_rules(ANY, (), (), guests=False)
    assert not rules.enforced
    assert rules.host_allowed("attacker.example")
    assert rules.origin_allowed("http://attacker.example")


def test_guests_keep_the_protection_on_a_specific_address_too() -> None:
    assert "198.18.0.1:*" in host_rules("198.18.0.1", (), (), guests=True).hosts
    assert "[2001:db8::1]:*" in host_rules("2001:db8::1", (), (), guests=True).hosts


def test_origins_alone_keep_the_default_hosts() -> None:
    # Configuring only origins must not leave an empty host list (every request a 421).
    rules = host_rules(LOOPBACK, (), ("https://app.example",), guests=False)
    assert "127.0.0.1:*" in rules.hosts
    assert rules.origins == ("https://app.example",)


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("https://hub.example.org", "hub.example.org", True),  # the hub's own page
        ("http://hub.example.org:8080", "hub.example.org:8080", True),
        ("https://HUB.example.org", "hub.example.org", True),
        ("https://hub.example.org", "other.example:443", False),  # another site's page
        ("https://evil.example", "evil.example", False),  # a rebound name: Host not allowed
        ("null", "hub.example.org", False),
        ("ftp://hub.example.org", "hub.example.org", False),
        ("https://hub.example.org", None, False),
    ],
)
def test_a_page_of_the_hub_itself_is_same_origin_by_any_allowed_name(
    origin: str, host: str | None, allowed: bool
) -> None:
    rules = host_rules(ANY, ("hub.example.org", "hub.example.org:8080"), (), guests=False)
    assert rules.origin_allowed(origin, host) is allowed


def test_hosts_alone_keep_the_default_origins() -> None:
    rules = host_rules(ANY, ("hub.example.org:443",), (), guests=False)
    assert rules.hosts == ("hub.example.org:443",)
    assert "http://localhost:*" in rules.origins


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("hub.example:8080", True),
        ("hub.example", False),  # ":*" asks for a port
        ("hub.example:", False),
        ("hub.example:80x", False),
        ("hub.example.evil:80", False),
        ("exact.example", True),
        (None, False),
    ],
)
def test_a_wildcard_port_matches_only_a_port(host: str | None, allowed: bool) -> None:
    rules = HostRules(hosts=("hub.example:*", "exact.example"), enforced=True)
    assert rules.host_allowed(host) is allowed


def test_no_origin_is_a_same_origin_or_non_browser_request() -> None:
    rules = HostRules(origins=("https://app.example",), enforced=True)
    assert rules.origin_allowed(None)
    assert not rules.origin_allowed("null")  # a sandboxed frame or a file: page
