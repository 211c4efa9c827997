"""Guests per address (design.md "Auth, limits and safety"), from the guests' side.

Before, every guest was one subject ``guest``: one local client spent the shared quota and
locked every guest out for ~55 minutes, and any guest could read any guest's measurement.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from cloudping.service import Quota, client_address, guest_subject

from .world import BASE, World, error_of, world

pytestmark = pytest.mark.anyio
PING = {"command": "ping -c 1 -s fra1 example.com"}
ONE_AN_HOUR = Quota(measurements_per_hour=1, jobs_per_measurement=4)
PROXY = ipaddress.ip_network("127.0.0.1/32")


@asynccontextmanager
async def from_address(w: World, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same API whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=w.app, client=(address, 4000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


async def test_one_guest_spending_its_quota_leaves_the_others_theirs() -> None:
    async with (
        world(anonymous="guest", guest_loopback_only=False, guest_quota=ONE_AN_HOUR) as w,
        from_address(w, "198.18.0.5") as first,
        from_address(w, "198.18.0.6") as second,
    ):
        spent = await first.post("/api/v1/measurements", json=PING)
        refused = await first.post("/api/v1/measurements", json=PING)
        other = await second.post("/api/v1/measurements", json=PING)
    assert spent.status_code == 200
    assert refused.status_code == 429
    assert error_of(refused)["message"].startswith("guest:198.18.0.5 has started 1")
    assert other.status_code == 200


async def test_a_guest_reads_only_the_measurements_made_from_its_address() -> None:
    background = PING | {"background": True}
    async with (
        world(anonymous="guest", guest_loopback_only=False) as w,
        from_address(w, "198.18.0.5") as owner,
        from_address(w, "198.18.0.6") as stranger,
    ):
        made = await owner.post("/api/v1/measurements", json=background)
        await w.hub.wait(made.json()["id"])
        path = f"/api/v1/measurements/{made.json()['id']}"
        theirs = await stranger.get(path)
        their_events = await stranger.get(path + "/events")
        mine = await owner.get(path)
    assert made.status_code == 202
    assert theirs.status_code == 404
    assert their_events.status_code == 404
    assert mine.status_code == 200
    assert mine.json()["subject"] == "guest:198.18.0.5"


async def test_ipv6_guests_are_one_per_64() -> None:
    async with (
        world(anonymous="guest", guest_loopback_only=False, guest_quota=ONE_AN_HOUR) as w,
        from_address(w, "2001:db8:1:2::5") as first,
        from_address(w, "2001:db8:1:2:ffff::9") as same_64,
        from_address(w, "2001:db8:1:3::5") as next_64,
    ):
        spent = await first.post("/api/v1/measurements", json=PING)
        refused = await same_64.post("/api/v1/measurements", json=PING)
        other = await next_64.post("/api/v1/measurements", json=PING)
    assert spent.status_code == 200
    assert refused.status_code == 429  # one host picks any address of its /64
    assert other.status_code == 200


async def test_x_forwarded_for_from_an_untrusted_peer_buys_no_new_quota() -> None:
    async with (
        world(anonymous="guest", guest_loopback_only=False, guest_quota=ONE_AN_HOUR) as w,
        from_address(w, "198.18.0.5") as liar,
    ):
        spent = await liar.post("/api/v1/measurements", json=PING)
        forged = {"X-Forwarded-For": "198.18.0.77"}
        refused = await liar.post("/api/v1/measurements", json=PING, headers=forged)
    assert spent.status_code == 200
    assert refused.status_code == 429


async def test_behind_a_trusted_proxy_each_forwarded_client_is_its_own_guest() -> None:
    async with world(
        anonymous="guest",
        guest_loopback_only=False,
        guest_quota=ONE_AN_HOUR,
        trusted_proxies=(PROXY,),
    ) as w:
        first = {"X-Forwarded-For": "198.18.0.7"}
        # The left part of the header is the client's own word: the proxy's entry counts.
        again = {"X-Forwarded-For": "198.18.0.99, 198.18.0.7"}
        second = {"X-Forwarded-For": "198.18.0.8"}
        made = await w.client.post("/api/v1/measurements", json=PING, headers=first)
        refused = await w.client.post("/api/v1/measurements", json=PING, headers=again)
        other = await w.client.post("/api/v1/measurements", json=PING, headers=second)
    assert made.status_code == 200
    assert refused.status_code == 429
    assert other.status_code == 200


def test_guest_subjects_are_per_address_and_per_64() -> None:
    assert guest_subject("198.18.0.5") == "guest:198.18.0.5"
    assert guest_subject("2001:db8:1:2:3:4:5:6") == "guest:2001:db8:1:2::/64"
    assert guest_subject("::ffff:198.18.0.5") == "guest:198.18.0.5"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("198.18.0.5", "198.18.0.9", "198.18.0.5"),  # not a proxy: the header is ignored
        ("127.0.0.1", "198.18.0.9", "198.18.0.9"),
        ("127.0.0.1", "198.18.0.1, 198.18.0.9", "198.18.0.9"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "not-an-address", None),
        (None, None, None),
    ],
)
def test_the_client_address_trusts_only_the_proxies(
    peer: str | None, forwarded: str | None, client: str | None
) -> None:
    assert client_address(peer, forwarded, (PROXY,)) == client
