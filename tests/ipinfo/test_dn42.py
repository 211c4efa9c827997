"""The DN42 registry over a small fixture tree: longest match for v4 and v6, the origin AS
and its name, the country of the inetnum."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from cloudping.errors import CloudpingError
from cloudping.ipinfo.dn42 import Dn42Registry, parse_object
from cloudping.ipinfo.facts import Facts
from cloudping.ipinfo.router import Ipinfo

DATA = Path(__file__).parent / "fixtures" / "dn42" / "data"


@pytest.fixture(scope="module")
def registry() -> Dn42Registry:
    return Dn42Registry(DATA)


BETA, ALPHA, GAMMA = (4242420002, "BETA-AS"), (4242420001, "ALPHA-AS"), (4242420003, "GAMMA-AS")


@pytest.mark.parametrize(
    ("address", "origin", "country", "network"),
    [
        ("172.20.0.10", BETA, "DE", "172.20.0.0/26"),  # in the /26 and the /24: the /26's
        ("172.20.0.200", ALPHA, "DE", "172.20.0.0/24"),  # in the /24 only
        ("fd42:d42:d42:10::1", BETA, "NL", "fd42:d42:d42:10::/64"),
        ("fd42:d42:d42:20::1", GAMMA, "NL", "fd42:d42:d42::/48"),
    ],
)
def test_the_most_specific_route_gives_the_origin_and_its_as_name(
    registry: Dn42Registry, address: str, origin: tuple[int, str], country: str, network: str
) -> None:
    facts = Facts(asn=origin[0], as_name=origin[1], country=country, network=network)
    assert registry.find(ipaddress.ip_address(address)) == facts


def test_an_address_no_object_holds_is_none(registry: Dn42Registry) -> None:
    assert registry.find(ipaddress.ip_address("172.21.0.1")) is None
    assert registry.find(ipaddress.ip_address("198.18.3.2")) is None


@pytest.mark.anyio
async def test_the_router_answers_dn42_space_from_the_registry(registry: Dn42Registry) -> None:
    report = await Ipinfo([registry]).report(ipaddress.ip_address("172.20.0.200"))
    assert (report.facts.asn, report.facts.as_name, report.special) == (
        4242420001,
        "ALPHA-AS",
        "DN42",
    )


def test_continuation_lines_join_the_value_before_them() -> None:
    record = parse_object("remarks:   one\n           two\nsource:    DN42\n")
    assert record == {"remarks": "one two", "source": "DN42"}


def test_a_directory_that_is_not_a_registry_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CloudpingError) as refused:
        Dn42Registry(tmp_path)
    assert refused.value.code == "bad_registry"
