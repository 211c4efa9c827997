"""Generations: a load builds a new file beside the serving one and swaps it in whole; a
truncated, corrupt or unreachable dump changes nothing but the source's last error; queries
running through a swap all succeed. URL sources are served from a loopback HTTP server."""

from __future__ import annotations

import bz2
import gzip
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cloudping.errors import CloudpingError
from cloudping.routes.ingest import ingest
from cloudping.routes.lookup import RouteStore
from cloudping.routes.model import RouteQuery

from .conftest import Web
from .mrtbytes import TEST_PEERS, VOTERS, Entry, peer_index, rib, small_table

PEERS = TEST_PEERS
dump = small_table


def origin_now(store: RouteStore) -> set[int | None]:
    return {route.origin_as for route in store.lookup(RouteQuery(prefix="203.0.113.9")).routes}


@pytest.fixture
def serving(tmp_path: Path) -> RouteStore:
    """A data directory whose source ``test`` serves the table originated by AS 64501."""
    (tmp_path / "a.mrt").write_bytes(dump(64501))
    ingest(tmp_path / "data", "test", str(tmp_path / "a.mrt"), now=100.0)
    return RouteStore(tmp_path / "data")


@pytest.mark.parametrize(
    ("damage", "code"),
    [
        (lambda data: data[:-3], "mrt_truncated"),
        (lambda data: data[:-40] + b"\xff" * 40, "mrt_corrupt"),
        (lambda data: gzip.compress(data)[:-30], "mrt_truncated"),
        (lambda data: peer_index(PEERS), "empty_dump"),
    ],
)
def test_a_bad_dump_leaves_the_serving_generation_and_records_the_error(
    serving: RouteStore, tmp_path: Path, damage: object, code: str
) -> None:
    bad = tmp_path / "bad.mrt"
    bad.write_bytes(damage(dump(64502)))  # type: ignore[operator]
    with pytest.raises(CloudpingError) as caught:
        ingest(serving.data_dir, "test", str(bad), now=200.0)
    assert caught.value.code == code
    assert origin_now(serving) == {64501}
    (status,) = serving.status()
    assert status.entries == 3
    assert status.last_error is not None
    assert status.last_error["code"] == code
    assert sorted(p.name for p in (serving.data_dir / "routes").iterdir()) == [
        "test.error.json", "test.sqlite"
    ]  # fmt: skip


def test_a_good_load_swaps_the_generation_and_clears_the_error(
    serving: RouteStore, tmp_path: Path
) -> None:
    (tmp_path / "bad.mrt").write_bytes(b"\x00" * 13)
    with pytest.raises(CloudpingError):
        ingest(serving.data_dir, "test", str(tmp_path / "bad.mrt"), now=150.0)
    (tmp_path / "b.mrt").write_bytes(dump(64502))
    ingest(serving.data_dir, "test", str(tmp_path / "b.mrt"), now=200.0)
    assert origin_now(serving) == {64502}
    (status,) = serving.status()
    assert status.last_error is None
    assert status.loaded_at == 200.0
    assert status.dump_time == 1_700_000_000


def test_queries_running_through_swaps_all_succeed(serving: RouteStore, tmp_path: Path) -> None:
    files = []
    for origin in (64501, 64502):
        path = tmp_path / f"{origin}.mrt"
        path.write_bytes(dump(origin, extra=3000))  # big enough that a load takes a while
        files.append(path)
    stop = threading.Event()

    def ask() -> list[set[int | None]]:
        seen = []
        while not stop.is_set():
            seen.append(origin_now(serving))
        return seen

    with ThreadPoolExecutor(4) as pool:
        askers = [pool.submit(ask) for _ in range(4)]
        try:
            for round_ in range(6):
                ingest(serving.data_dir, "test", str(files[round_ % 2]), now=float(round_))
        finally:
            stop.set()
        answers = [answer for asker in askers for answer in asker.result(timeout=30)]
    assert len(answers) > 20
    assert all(answer in ({64501}, {64502}) for answer in answers)


def test_four_byte_asns_are_stored_unsigned(serving: RouteStore) -> None:
    routes = serving.lookup(RouteQuery(origin=4200000001)).routes
    assert [(r.prefix, r.peer_as, r.as_path) for r in routes] == [
        ("2001:db8:40::/48", 4200000001, (4200000001,))
    ]
    assert {r.prefix for r in serving.lookup(RouteQuery(neighbor=4200000001)).routes} == {
        "203.0.113.0/24", "2001:db8:40::/48"
    }  # fmt: skip


def test_a_source_name_cannot_name_another_path(tmp_path: Path) -> None:
    with pytest.raises(CloudpingError) as caught:
        ingest(tmp_path, "../elsewhere", str(tmp_path / "x.mrt"), now=0.0)
    assert caught.value.code == "bad_source"


def test_no_source_and_an_unknown_source_say_no_routes(serving: RouteStore, tmp_path: Path) -> None:
    with pytest.raises(CloudpingError) as empty:
        RouteStore(tmp_path / "nothing").lookup(RouteQuery(origin=1))
    with pytest.raises(CloudpingError) as unknown:
        serving.lookup(RouteQuery(origin=1, source="rrc00"))
    assert empty.value.code == unknown.value.code == "no_routes"


@pytest.mark.parametrize(("name", "pack"), [("rib.gz", gzip.compress), ("rib.bz2", bz2.compress)])
def test_a_url_source_is_fetched_and_unpacked(
    serving: RouteStore, web: Web, name: str, pack: object
) -> None:
    base = web.base
    (web.root / name).write_bytes(pack(dump(64503)))  # type: ignore[operator]
    result = ingest(serving.data_dir, "test", f"{base}/{name}", now=300.0)
    assert result is not None
    assert result.entries == 3
    assert origin_now(serving) == {64503}
    (status,) = serving.status()
    assert status.origin == f"{base}/{name}"


def test_a_url_that_fails_keeps_the_generation(serving: RouteStore, web: Web) -> None:
    with pytest.raises(CloudpingError) as caught:
        ingest(serving.data_dir, "test", f"{web.base}/missing.gz", now=300.0)
    assert caught.value.code == "dump_unreadable"
    assert "404" in caught.value.message
    assert origin_now(serving) == {64501}


def test_an_address_page_cut_by_the_limit_keeps_the_longest_match(tmp_path: Path) -> None:
    # Three peers carry the covering /8, one the /24: by network the /8 sorts first.
    dump = tmp_path / "t.mrt"
    entries = [Entry(peer, (64500 + peer, 64510)) for peer in range(3)]
    dump.write_bytes(
        peer_index(VOTERS) + rib("127.0.0.0/8", entries) + rib("127.0.0.0/24", entries[:1])
    )
    ingest(tmp_path / "data", "lab", str(dump), now=1.0)
    page = RouteStore(tmp_path / "data").lookup(RouteQuery(prefix="127.0.0.1", limit=2))
    assert [route.prefix for route in page.routes] == ["127.0.0.0/24", "127.0.0.0/8"]
    assert page.truncated
