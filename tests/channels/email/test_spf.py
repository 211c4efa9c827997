"""SPF over an in-memory DNS: mechanisms, qualifiers, include/redirect, the look-up limit."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from cloudping.channels.email.spf import SpfTempError, check_spf


@dataclass
class Zone:
    """Records by name; a name in ``broken`` fails for now."""

    txt: dict[str, list[bytes]] = field(default_factory=dict)
    a: dict[str, list[str]] = field(default_factory=dict)
    mx: dict[str, list[str]] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)

    async def txt_records(self, name: str) -> list[bytes]:
        if name in self.broken:
            raise SpfTempError(name)
        return self.txt.get(name, [])

    async def addresses(self, name: str, version: int) -> list[str]:
        return [a for a in self.a.get(name, []) if (":" in a) == (version == 6)]

    async def mx_hosts(self, name: str) -> list[str]:
        return self.mx.get(name, [])


ZONE = Zone(
    txt={
        "ops.lab": [b"v=spf1 ip4:198.18.1.0/24 a:www.ops.lab mx include:relay.lab ~all"],
        "relay.lab": [b"v=spf1 ip6:2001:db8:9::/48 -all"],
        "redir.lab": [b"v=spf1 redirect=ops.lab"],
        "strict.lab": [b"v=spf1 a/24 -all"],
        "macro.lab": [b"v=spf1 exists:%{i}.x.lab -all"],
        "two.lab": [b"v=spf1 -all", b"v=spf1 +all"],
        "loops.lab": [b"v=spf1 include:loops.lab -all"],
        "other.lab": [b"some verification token"],
    },
    a={
        "www.ops.lab": ["198.18.7.7"],
        "mx.ops.lab": ["2001:db8:5::25"],
        "strict.lab": ["198.18.8.1"],
    },
    mx={"ops.lab": ["mx.ops.lab"]},
    broken={"down.lab"},
)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("address", "domain", "result"),
    [
        ("198.18.1.9", "ops.lab", "pass"),  # ip4
        ("198.18.7.7", "ops.lab", "pass"),  # a:
        ("2001:db8:5::25", "ops.lab", "pass"),  # mx
        ("2001:db8:9::1", "ops.lab", "pass"),  # include
        ("198.18.2.1", "ops.lab", "softfail"),  # ~all
        ("2001:db8:9::1", "relay.lab", "pass"),
        ("198.18.1.9", "relay.lab", "fail"),
        ("198.18.1.9", "redir.lab", "pass"),
        ("198.18.8.200", "strict.lab", "pass"),  # a/24
        ("198.18.9.1", "strict.lab", "fail"),
        ("198.18.1.9", "macro.lab", "permerror"),
        ("198.18.1.9", "two.lab", "permerror"),
        ("198.18.1.9", "loops.lab", "permerror"),  # past 10 look-ups
        ("198.18.1.9", "other.lab", "none"),
        ("198.18.1.9", "nowhere.lab", "none"),
        ("198.18.1.9", "down.lab", "temperror"),
    ],
)
async def test_spf_results(address: str, domain: str, result: str) -> None:
    assert await check_spf(address, domain, ZONE) == result
