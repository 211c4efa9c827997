"""Which Host and Origin headers the MCP endpoint accepts (DNS rebinding protection)."""

from __future__ import annotations

import pytest

from cloudping.channels.mcp import McpSettings
from cloudping.service import ApiSettings

TOKENS_ONLY = ApiSettings()
GUESTS = ApiSettings(anonymous="guest")


def test_a_loopback_hub_accepts_only_loopback_names() -> None:
    security = McpSettings().transport_security("127.0.0.1", TOKENS_ONLY)
    assert security.enable_dns_rebinding_protection
    assert security.allowed_hosts == ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    assert "http://localhost:*" in security.allowed_origins


def test_configured_hosts_and_origins_win() -> None:
    settings = McpSettings(
        allowed_hosts=("hub.example.org:443",), allowed_origins=("https://app.example",)
    )
    security = settings.transport_security("0.0.0.0", GUESTS)  # noqa: S104 (a listen address)
    assert security.enable_dns_rebinding_protection
    assert security.allowed_hosts == ["hub.example.org:443"]
    assert security.allowed_origins == ["https://app.example"]


def test_a_public_hub_that_requires_tokens_accepts_any_host() -> None:
    security = McpSettings().transport_security("0.0.0.0", TOKENS_ONLY)  # noqa: S104
    assert not security.enable_dns_rebinding_protection


def test_guests_keep_the_protection_on_a_specific_address_too() -> None:
    security = McpSettings().transport_security("198.18.0.1", GUESTS)
    assert security.enable_dns_rebinding_protection
    assert "198.18.0.1:*" in security.allowed_hosts
    assert (
        "[2001:db8::1]:*" in McpSettings().transport_security("2001:db8::1", GUESTS).allowed_hosts
    )


@pytest.mark.parametrize("size", [100, 2_000_000])
def test_a_result_budget_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="result_bytes"):
        McpSettings(result_bytes=size)


def test_origins_alone_keep_the_default_hosts() -> None:
    # Configuring only origins must not leave an empty host list (every request a 421).
    settings = McpSettings(allowed_origins=("https://app.example",))
    security = settings.transport_security("127.0.0.1", TOKENS_ONLY)
    assert security.enable_dns_rebinding_protection
    assert "127.0.0.1:*" in security.allowed_hosts
    assert security.allowed_origins == ["https://app.example"]


def test_hosts_alone_keep_the_default_origins() -> None:
    settings = McpSettings(allowed_hosts=("hub.example.org:443",))
    security = settings.transport_security("0.0.0.0", TOKENS_ONLY)  # noqa: S104
    assert security.allowed_hosts == ["hub.example.org:443"]
    assert "http://localhost:*" in security.allowed_origins
