"""The auto router: local data first, special ranges answered locally, the remote providers
in order for the rest, one merged view and each provider's own answer."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from cloudping.errors import CloudpingError
from cloudping.ipinfo.facts import Facts
from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo
from cloudping.ipinfo.sources import Failure

PUBLIC = ipaddress.ip_address("192.88.98.1")  # not special, not in the lab files
TARGET = ipaddress.ip_address("198.18.3.2")


class Twin:
    """A remote provider in memory: a fixed answer, and every address it was asked for."""

    def __init__(self, name: str, answer: Facts | Failure) -> None:
        self.name = name
        self.answer = answer
        self.asked: list[str] = []

    async def fetch(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Facts | Failure:
        self.asked.append(str(ip))
        return self.answer


def local(lab_files: tuple[Path, Path]) -> list[MmdbFile]:
    city, asn = lab_files
    return [MmdbFile(asn, "geoip-asn"), MmdbFile(city, "geoip-city")]


@pytest.mark.anyio
async def test_a_lab_address_is_answered_by_the_lab_files_and_named_benchmarking(
    lab_files: tuple[Path, Path],
) -> None:
    remote = Twin("ipinfo", Facts(asn=1))
    report = await Ipinfo(local(lab_files), [remote]).report(TARGET)
    assert report.to_json() == {
        "address": "198.18.3.2",
        "asn": 65003,
        "as_name": "LAB-TARGET",
        "country": "FR",
        "region": "Ile-de-France",
        "city": "Paris",
        "latitude": 51.0,
        "longitude": 5.0,
        "special": "Benchmarking",
        "providers": [
            {
                "provider": "geoip-asn",
                "asn": 65003,
                "as_name": "LAB-TARGET",
                "country": None,
                "region": None,
                "city": None,
                "latitude": None,
                "longitude": None,
                "prefix": "198.18.3.0/24",
                "error": None,
            },
            {
                "provider": "geoip-city",
                "asn": None,
                "as_name": None,
                "country": "FR",
                "region": "Ile-de-France",
                "city": "Paris",
                "latitude": 51.0,
                "longitude": 5.0,
                "prefix": "198.18.3.0/24",
                "error": None,
            },
        ],
    }
    assert remote.asked == []  # a special range never leaves the hub


@pytest.mark.parametrize(
    ("address", "special"),
    [
        ("10.1.2.3", "Private-Use"),
        ("100.64.0.1", "Shared Address Space"),
        ("fd12::1", "DN42"),
        ("172.20.0.53", "DN42"),
        ("10.127.0.1", "NeoNetwork"),
        ("127.0.0.1", "Loopback"),
        ("2001:db8::1", "Documentation"),
    ],
)
@pytest.mark.anyio
async def test_special_ranges_are_answered_locally_without_asking_remote_providers(
    address: str, special: str
) -> None:
    remote = Twin("ipinfo", Facts(asn=1))
    report = await Ipinfo((), [remote]).report(ipaddress.ip_address(address))
    assert report.special == special
    assert report.facts.asn is None
    assert remote.asked == []


@pytest.mark.anyio
async def test_remote_answers_merge_in_order_and_a_failing_provider_leaves_the_others(
    lab_files: tuple[Path, Path],
) -> None:
    down = Twin("ipregistry", Failure("quota_exceeded", "429"))
    first = Twin("ipinfo", Facts(asn=64500, as_name="FIRST", country="DE"))
    second = Twin("ip2location", Facts(asn=64999, city="Berlin", country="AT"))
    report = await Ipinfo(local(lab_files), [down, first, second]).report(PUBLIC)
    assert (report.facts.asn, report.facts.as_name) == (64500, "FIRST")
    assert (report.facts.country, report.facts.city) == ("DE", "Berlin")
    assert [(a.provider, a.error.code if a.error else None) for a in report.providers] == [
        ("ipregistry", "quota_exceeded"),
        ("ipinfo", None),
        ("ip2location", None),
    ]
    assert report.special is None


@pytest.mark.anyio
async def test_the_cache_answers_the_second_ask_for_an_address() -> None:
    remote = Twin("ipinfo", Facts(asn=64500))
    ipinfo = Ipinfo((), [remote])
    await ipinfo.report(PUBLIC)
    await ipinfo.report(PUBLIC)
    assert remote.asked == [str(PUBLIC)]
    assert (ipinfo.cache.hits, ipinfo.cache.misses) == (1, 1)


@pytest.mark.anyio
async def test_providers_named_are_the_only_ones_asked(lab_files: tuple[Path, Path]) -> None:
    remote = Twin("ipinfo", Facts(asn=64500))
    ipinfo = Ipinfo(local(lab_files), [remote])
    report = await ipinfo.report(TARGET, only=("geoip-city",))
    assert [a.provider for a in report.providers] == ["geoip-city"]
    assert report.facts.asn is None
    with pytest.raises(CloudpingError) as refused:
        await ipinfo.report(TARGET, only=("maxmind",))
    assert refused.value.code == "unknown_provider"


def test_local_facts_are_remembered_until_a_file_is_reloaded(tmp_path: Path) -> None:
    from .labdata import write_asn  # noqa: PLC0415

    path = write_asn(tmp_path / "asn.mmdb")
    source = MmdbFile(path, "geoip-asn")
    ipinfo = Ipinfo([source])
    assert ipinfo.local(TARGET).as_name == "LAB-TARGET"
    write_asn(path, generation=1)
    assert ipinfo.local(TARGET).as_name == "LAB-TARGET"  # not reloaded yet
    source.reload()
    assert ipinfo.local(TARGET).as_name == "LAB-TARGET-1"


@pytest.mark.anyio
async def test_a_name_is_answered_for_each_of_its_addresses(lab_files: tuple[Path, Path]) -> None:
    from cloudping.commands import IpinfoCommand, parse  # noqa: PLC0415
    from cloudping.ipinfo.answer import ipinfo_answer  # noqa: PLC0415

    async def lab_dns(name: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]:
        assert name == "target.lab"
        return ipaddress.ip_address("198.18.3.2"), ipaddress.ip_address("2001:db8:3::2")

    ipinfo = Ipinfo(local(lab_files), resolve=lab_dns)
    command = parse("ipinfo target.lab 198.18.1.2")
    assert isinstance(command, IpinfoCommand)
    answer = await ipinfo_answer(ipinfo, command)
    assert [(r["address"], r.get("name"), r["asn"]) for r in answer.data["results"]] == [
        ("198.18.3.2", "target.lab", 65003),
        ("2001:db8:3::2", "target.lab", 65003),
        ("198.18.1.2", None, 65001),
    ]
    assert answer.text.splitlines()[0].startswith("198.18.3.2 (target.lab)  AS65003 LAB-TARGET")
