"""``GET /api/v1/ipinfo/{address}`` and ``POST /api/v1/commands`` with ``ipinfo``: the hub's
providers, one merged object per address (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ipinfo.labdata import write_asn, write_city

from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo

from .world import error_of, world

pytestmark = pytest.mark.anyio


@pytest.fixture
def lab_ipinfo(tmp_path: Path) -> Ipinfo:
    """The lab files, read before the loop runs (as the hub reads them in a thread)."""
    asn = MmdbFile(write_asn(tmp_path / "asn.mmdb"), "geoip-asn")
    return Ipinfo([asn, MmdbFile(write_city(tmp_path / "city.mmdb"), "geoip-city")])


async def test_get_ipinfo_answers_the_merged_object_of_the_address(lab_ipinfo: Ipinfo) -> None:
    async with world(ipinfo=lab_ipinfo) as w:
        answered = await w.client.get("/api/v1/ipinfo/2001:db8:3::2", headers=w.auth("measure"))
    assert answered.status_code == 200
    body = answered.json()
    assert body["command"] == "ipinfo"
    [result] = body["results"]
    assert {key: result[key] for key in ("address", "asn", "as_name", "country", "city")} == {
        "address": "2001:db8:3::2",
        "asn": 65003,
        "as_name": "LAB-TARGET",
        "country": "FR",
        "city": "Paris",
    }
    assert result["special"] == "Documentation"
    assert [p["provider"] for p in result["providers"]] == ["geoip-asn", "geoip-city"]
    assert body["text"] == (
        "2001:db8:3::2  AS65003 LAB-TARGET  Paris, Ile-de-France, FR  special: Documentation"
    )


async def test_get_ipinfo_asks_only_the_providers_named(lab_ipinfo: Ipinfo) -> None:
    async with world(ipinfo=lab_ipinfo) as w:
        answered = await w.client.get(
            "/api/v1/ipinfo/198.18.2.2?provider=geoip-city", headers=w.auth("measure")
        )
        unknown = await w.client.get(
            "/api/v1/ipinfo/198.18.2.2?provider=nope", headers=w.auth("measure")
        )
    [result] = answered.json()["results"]
    assert (result["asn"], result["city"]) == (None, "Amsterdam")
    assert unknown.status_code == 400
    assert error_of(unknown)["code"] == "unknown_provider"


async def test_a_bad_address_is_a_bad_command_naming_it() -> None:
    async with world() as w:
        answered = await w.client.get("/api/v1/ipinfo/bad..name", headers=w.auth("measure"))
    assert answered.status_code == 400
    assert error_of(answered)["code"] == "bad_command"


async def test_the_command_answers_through_post_commands_as_well(lab_ipinfo: Ipinfo) -> None:
    async with world(ipinfo=lab_ipinfo) as w:
        answered = await w.client.post(
            "/api/v1/commands",
            json={"command": "ipinfo 198.18.1.2 10.0.0.1"},
            headers=w.auth("measure"),
        )
    first, second = answered.json()["results"]
    assert (first["asn"], first["country"], first["special"]) == (65001, "DE", "Benchmarking")
    assert (second["asn"], second["special"], second["providers"]) == (None, "Private-Use", [])


async def test_ipinfo_needs_the_measure_scope_as_it_may_spend_the_hubs_provider_quota() -> None:
    async with world() as w:
        answered = await w.client.get("/api/v1/ipinfo/198.18.3.2", headers=w.auth())
    assert answered.status_code == 403
    assert error_of(answered)["code"] == "scope_missing"
