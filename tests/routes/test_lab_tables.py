"""BIRD routers in the lab write real MRT dumps (eBGP between three routers, v4 and v6,
several peers); our reader and our store give bgpdump's rows, row for row, and every query
type answers what the table holds (the expectations are computed from bgpdump's rows)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lab import Lab
from lab.bird import ANYCAST, ANYCAST_ORIGIN, bird_lab

from cloudping.routes.ingest import ingest
from cloudping.routes.lookup import RouteStore
from cloudping.routes.model import MAX_LIMIT, RouteQuery

from .bgpdump import Row, bgpdump_large_communities, bgpdump_rows, reader_rows, store_row

PER_ROUTER = 40
SOURCES = {4: "lab4", 6: "lab6"}
EVERYTHING = {4: "0.0.0.0/0", 6: "::/0"}


@pytest.fixture(scope="module")
def dumps(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """r2's master4 and master6 as MRT files (the routers stop once they are written)."""
    directory = tmp_path_factory.mktemp("bird")
    written: dict[int, Path] = {}
    for routers in bird_lab(lab, directory, PER_ROUTER):
        for family in (4, 6):
            written[family] = routers.dump(family, directory / f"r2-{family}.mrt")
    return written


@pytest.fixture(scope="module")
def store(dumps: dict[int, Path], tmp_path_factory: pytest.TempPathFactory) -> RouteStore:
    data_dir = tmp_path_factory.mktemp("data")
    for family, path in dumps.items():
        ingest(data_dir, SOURCES[family], str(path), now=0.0)
    return RouteStore(data_dir)


@pytest.fixture(scope="module")
def table(dumps: dict[int, Path]) -> list[Row]:
    """bgpdump's rows of both dumps: what every expectation below is computed from."""
    return [row for family in (4, 6) for row in bgpdump_rows(dumps[family])]


def everything(store: RouteStore, family: int) -> list[Row]:
    query = RouteQuery(prefix=EVERYTHING[family], more_specific=True, limit=MAX_LIMIT)
    answer = store.lookup(query)
    assert not answer.truncated
    return [store_row(route) for route in answer.routes]


def prefixes(store: RouteStore, **query: object) -> set[str]:
    answer = store.lookup(RouteQuery(limit=MAX_LIMIT, **query))  # type: ignore[arg-type]
    assert not answer.truncated
    return {route.prefix for route in answer.routes}


@pytest.mark.parametrize("family", [4, 6])
def test_the_reader_gives_bgpdumps_rows_row_for_row(dumps: dict[int, Path], family: int) -> None:
    expected = bgpdump_rows(dumps[family])
    assert len(expected) > 3 * PER_ROUTER
    assert reader_rows(dumps[family]) == expected


@pytest.mark.parametrize("family", [4, 6])
def test_large_communities_are_bgpdumps_too(dumps: dict[int, Path], family: int) -> None:
    from cloudping.routes.dumpfile import file_chunks, rows  # noqa: PLC0415
    from cloudping.routes.mrt import TableDumpReader  # noqa: PLC0415

    mine = [
        " ".join(r.attributes.large_communities)
        for r in rows(file_chunks(dumps[family]), TableDumpReader())
    ]
    assert mine == bgpdump_large_communities(dumps[family])
    assert any(mine)


@pytest.mark.parametrize("family", [4, 6])
def test_the_store_holds_bgpdumps_rows(store: RouteStore, table: list[Row], family: int) -> None:
    expected = [row for row in table if (":" in row.prefix) == (family == 6)]
    assert sorted(everything(store, family)) == sorted(expected)


def test_the_dumps_list_several_peers_and_each_source_says_so(store: RouteStore) -> None:
    statuses = {status.source: status for status in store.status()}
    assert set(statuses) == {"lab4", "lab6"}
    for status in statuses.values():
        assert status.peers is not None
        assert status.peers >= 5
        assert status.entries is not None
        assert status.entries > 3 * PER_ROUTER
        assert status.last_error is None


def test_an_address_gets_its_longest_match_first_then_the_covering_prefixes(
    store: RouteStore,
) -> None:
    answer = store.lookup(RouteQuery(prefix="198.19.0.7"))
    assert [route.prefix for route in answer.routes] == ["198.19.0.0/25", "198.19.0.0/24"]
    v6 = store.lookup(RouteQuery(prefix="2001:db8:1000::1"))
    assert [route.prefix for route in v6.routes] == ["2001:db8:1000::/49", "2001:db8:1000::/48"]
    assert store.lookup(RouteQuery(prefix="198.18.1.1")).routes == ()


def test_a_prefix_is_exact_unless_more_or_less_specific_is_asked(store: RouteStore) -> None:
    assert prefixes(store, prefix="198.19.0.0/24") == {"198.19.0.0/24"}
    assert prefixes(store, prefix="198.19.0.0/23", more_specific=True) == {
        "198.19.0.0/24", "198.19.0.0/25", "198.19.1.0/24"
    }  # fmt: skip
    assert prefixes(store, prefix="198.19.0.0/25", less_specific=True) == {
        "198.19.0.0/25", "198.19.0.0/24"
    }  # fmt: skip
    assert prefixes(store, prefix="198.19.0.0/23") == set()


def test_origin_and_neighbor_find_the_last_and_first_asn(
    store: RouteStore, table: list[Row]
) -> None:
    for asn in (64513, 65003, ANYCAST_ORIGIN):
        expected = {row.prefix for row in table if row.as_path.split()[-1:] == [str(asn)]}
        assert expected
        assert prefixes(store, origin=asn) == expected
    for asn in (65001, 65003):
        expected = {row.prefix for row in table if row.as_path.split()[:1] == [str(asn)]}
        assert expected
        assert prefixes(store, neighbor=asn) == expected


def test_a_path_segment_matches_a_contiguous_ordered_run_only(
    store: RouteStore, table: list[Row]
) -> None:
    run = next(row.as_path.split()[:2] for row in table if len(set(row.as_path.split())) >= 3)
    forward = tuple(map(int, run))
    expected = {row.prefix for row in table if f" {' '.join(run)} " in f" {row.as_path} "}
    assert expected
    assert prefixes(store, path=forward) == expected
    backward = f" {' '.join(reversed(run))} "
    assert not any(backward in f" {row.as_path} " for row in table)
    assert prefixes(store, path=tuple(reversed(forward))) == set()


def test_communities_standard_and_large(store: RouteStore, table: list[Row]) -> None:
    expected = {row.prefix for row in table if "65001:5" in row.communities.split()}
    assert expected
    assert prefixes(store, community="65001:5") == expected
    large = prefixes(store, community="4200000000:5:0")
    assert large
    assert all(route_index(prefix) in (5, 6) for prefix in large)


def route_index(prefix: str) -> int:
    """The index a lab static was made with, from its prefix (the third v4 or v6 octet)."""
    if ":" in prefix:
        return int(prefix.split(":")[2], 16) % 0x1000
    return int(prefix.split(".")[2]) % 64


def test_a_prefix_seen_from_two_peers_groups_with_its_visibility(store: RouteStore) -> None:
    for prefix in ANYCAST:
        (group,) = store.lookup(RouteQuery(prefix=prefix)).groups
        assert group.origin_as == (ANYCAST_ORIGIN,)
        assert group.visibility == 2
        assert {path.as_path for path in group.paths} == {
            (65001, ANYCAST_ORIGIN), (65003, ANYCAST_ORIGIN)
        }  # fmt: skip
        assert group.communities == ("65535:666",)


def test_limit_cuts_the_answer_and_says_more_matched(store: RouteStore) -> None:
    answer = store.lookup(RouteQuery(prefix="198.19.0.0/16", more_specific=True, limit=3))
    assert len(answer.routes) == 3
    assert answer.truncated


def test_origin_of_gives_the_longest_prefix_and_its_origin(store: RouteStore) -> None:
    assert store.origin_of("198.18.200.9") == ("198.18.200.0/24", ANYCAST_ORIGIN)
    assert store.origin_of("2001:db8:200::9") == ("2001:db8:200::/48", ANYCAST_ORIGIN)
    assert store.origin_of("198.18.1.1") is None


def test_the_cli_answers_from_a_data_directory_one_json_object_per_route(
    store: RouteStore,
) -> None:
    argv = [sys.executable, "-m", "cloudping", "route", "198.19.0.7", "--json"]
    argv += ["--data-dir", str(store.data_dir)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True).stdout
    routes = [json.loads(line) for line in out.splitlines()]
    assert [route["prefix"] for route in routes] == ["198.19.0.0/25", "198.19.0.0/24"]
    assert set(routes[0]) >= {"prefix", "peer", "peer_as", "as_path", "origin_as", "next_hop",
                              "communities", "large_communities"}  # fmt: skip
    people = subprocess.run(
        argv[:-3] + argv[-2:], capture_output=True, text=True, timeout=60, check=True
    )
    assert people.stdout.splitlines()[0].split() == [
        "PREFIX",
        "ORIGIN",
        "SEEN",
        "AS",
        "PATH",
        "COMMUNITIES",
    ]
    assert people.stdout.splitlines()[1].startswith("198.19.0.0/25")
