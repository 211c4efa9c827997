"""The ``bgp`` source: longest-prefix matches from the route store's generations, held in
memory, the origin most peers see, a new generation served after a reload; its origin AS wins
over a database's ASN, whose AS name is kept only when the two agree."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from routes.mrtbytes import VOTERS, Entry, origins_table, peer_index, rib

from cloudping.ipinfo.bgp import BgpTable, build_table
from cloudping.ipinfo.mmdb import MmdbFile
from cloudping.ipinfo.router import Ipinfo
from cloudping.routes.ingest import ingest
from cloudping.routes.lookup import RouteStore
from cloudping.testing import seeded

TARGET = ipaddress.ip_address("198.18.3.2")  # AS65003 LAB-TARGET in the lab ASN file


def serve(
    data_dir: Path, source: str, prefixes: Mapping[str, Sequence[int]], now: float = 1.0
) -> None:
    """Load a table as the next generation of ``source``."""
    dump = data_dir.parent / f"{source}-{now}.mrt"
    dump.write_bytes(origins_table(prefixes))
    ingest(data_dir, source, str(dump), now=now)


@pytest.fixture
def table(tmp_path: Path) -> BgpTable:
    serve(
        tmp_path / "data",
        "lab",
        {
            "198.18.0.0/15": [64600, 64600, 64600],
            "198.18.3.0/24": [64999, 64999, 65003],  # two peers of three: 64999
            "198.18.3.128/25": [64777],
            "2001:db8:3::/48": [64998, 64997, 64997],
        },
    )
    source = BgpTable(RouteStore(tmp_path / "data"))
    assert source.reload()
    return source


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def test_the_longest_prefix_answers_with_the_origin_most_peers_see(table: BgpTable) -> None:
    found = {
        text: (facts.network, facts.asn) if (facts := table.find(ip(text))) else None
        for text in ("198.18.3.2", "198.18.3.200", "198.18.9.1", "2001:db8:3::1", "192.0.2.1")
    }
    assert found == {
        "198.18.3.2": ("198.18.3.0/24", 64999),
        "198.18.3.200": ("198.18.3.128/25", 64777),
        "198.18.9.1": ("198.18.0.0/15", 64600),
        "2001:db8:3::1": ("2001:db8:3::/48", 64997),
        "192.0.2.1": None,
    }
    assert table.prefixes == 4


def test_a_reload_serves_a_new_generation_and_does_nothing_when_none_came(
    table: BgpTable, tmp_path: Path
) -> None:
    generation = table.generation
    assert not table.reload()
    assert table.generation == generation
    serve(tmp_path / "data", "lab", {"198.18.3.0/24": [65003, 65003]}, now=2.0)
    assert table.reload()
    assert table.generation == generation + 1
    assert table.find(TARGET) is not None
    assert table.find(ip("198.18.9.1")) is None  # the /15 went with the old generation


def test_two_sources_are_weighed_together_and_an_empty_store_answers_nothing(
    tmp_path: Path,
) -> None:
    source = BgpTable(RouteStore(tmp_path / "data"))
    assert not source.reload()
    assert source.find(TARGET) is None
    serve(tmp_path / "data", "a", {"198.18.3.0/24": [64001]})
    serve(tmp_path / "data", "b", {"198.18.3.0/24": [64002, 64002]})
    assert source.reload()
    facts = source.find(TARGET)
    assert facts is not None
    assert facts.asn == 64002


def test_the_table_matches_a_brute_force_longest_match_on_random_nested_prefixes() -> None:
    rng = seeded(17)
    prefixes: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, int] = {}
    for _ in range(400):
        bits, family = rng.choice([(32, 4), (128, 6)])
        length = rng.randint(0, 12 if family == 4 else 20)
        value = rng.getrandbits(4) << (bits - 4)  # crowded in one corner: many nest
        network = ipaddress.ip_network((value, length), strict=False)
        prefixes[network] = rng.randint(1, 5)
    rows = sorted(
        (n.version, n.network_address.packed, n.prefixlen, asn, 1) for n, asn in prefixes.items()
    )
    built = build_table(rows)
    for _ in range(3000):
        bits = rng.choice([32, 128])
        value = rng.getrandbits(4) << (bits - 4) | rng.getrandbits(bits - 4)
        address = ipaddress.IPv4Address(value) if bits == 32 else ipaddress.IPv6Address(value)
        covering = [n for n in prefixes if address in n]
        best = max(covering, key=lambda n: n.prefixlen, default=None)
        expected = None if best is None else (str(best), prefixes[best])
        assert built.origin_of(address) == expected, address


def test_the_bgp_origin_wins_and_a_disagreeing_database_name_is_left_out(
    table: BgpTable, lab_files: tuple[Path, Path]
) -> None:
    _, asn_file = lab_files
    ipinfo = Ipinfo([table, MmdbFile(asn_file, "geoip-asn")])
    facts = ipinfo.local(TARGET)
    assert (facts.asn, facts.as_name) == (64999, None)  # the database says AS65003 LAB-TARGET
    agreeing = ipinfo.local("2001:db8:1::1")  # no route: the database's AS and name
    assert (agreeing.asn, agreeing.as_name) == (65001, "LAB-EDGE")


@pytest.mark.anyio
async def test_ipinfo_lists_bgp_with_its_prefix_and_names_the_as_when_the_numbers_agree(
    tmp_path: Path, lab_files: tuple[Path, Path]
) -> None:
    serve(tmp_path / "data", "lab", {"198.18.3.0/24": [65003, 65003]})
    table = BgpTable(RouteStore(tmp_path / "data"))
    table.reload()
    _, asn_file = lab_files
    report = await Ipinfo([table, MmdbFile(asn_file, "geoip-asn")]).report(TARGET)
    answer = report.to_json()
    assert (answer["asn"], answer["as_name"]) == (65003, "LAB-TARGET")
    bgp = answer["providers"][0]
    assert (bgp["provider"], bgp["asn"], bgp["prefix"]) == ("bgp", 65003, "198.18.3.0/24")
    assert "route 198.18.3.0/24" in report.line()


def test_a_prefix_seen_only_through_an_as_set_answers_nothing_rather_than_its_cover(
    tmp_path: Path,
) -> None:
    dump = peer_index(VOTERS)
    dump += rib("198.18.0.0/15", [Entry(0, (64500, 64600))])
    dump += rib("198.18.3.0/24", [Entry(0, (64500,), as_set=(64601, 64602))])
    (tmp_path / "set.mrt").write_bytes(dump)
    ingest(tmp_path / "data", "lab", str(tmp_path / "set.mrt"), now=1.0)
    source = BgpTable(RouteStore(tmp_path / "data"))
    source.reload()
    assert source.find(TARGET) is None  # no single origin; not the /15's AS64600
    covered = source.find(ip("198.18.4.1"))
    assert covered is not None
    assert (covered.asn, covered.network) == (64600, "198.18.0.0/15")
