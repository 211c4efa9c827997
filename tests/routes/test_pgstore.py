"""The PostgreSQL route store answers every query as the SQLite store does on the same dump;
a bad dump leaves its serving generation and records the error; a swap under a stream of
queries fails none. One throwaway server for the module (unix socket only)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from channels.world import world
from upprocess import start_up, stop

from cloudping.errors import CloudpingError
from cloudping.main import main
from cloudping.routes.fetcher import fetch_once
from cloudping.routes.ingest import ingest
from cloudping.routes.lookup import RouteStore
from cloudping.routes.model import RouteQuery
from cloudping.routes.pgstore import PgRouteStore
from cloudping.routes.schedule import RouteSource

from .conftest import Web
from .mrtbytes import Entry, peer_index, rib, small_table
from .postgres import throwaway_postgres
from .test_fetcher import publish

PEERS = [("192.0.2.1", 64500), ("192.0.2.2", 4200000001), ("2001:db8::3", 65000)]


def rich_table() -> bytes:
    """Nested v4 and v6 prefixes seen by several peers, an AS_SET, 4-byte ASNs, standard
    and large communities, paths holding the same ASNs in another order."""
    data = peer_index(PEERS)
    data += rib("10.0.0.0/8", [Entry(0, (64500, 64510)), Entry(1, (4200000001, 64510))])
    data += rib("10.1.0.0/16", [Entry(0, (64500, 64520, 64510), communities=((64500, 7),))])
    data += rib(
        "10.1.2.0/24",
        [
            Entry(0, (64500, 64520, 64530), communities=((64500, 7), (65535, 666))),
            Entry(1, (4200000001, 64530, 64520), large=((4200000001, 1, 2),)),
            Entry(2, (65000, 64520, 64530), as_set=(64540, 64541), next_hop="192.0.2.9"),
        ],
    )
    for index in range(40):  # enough to page: several pages of --limit 7
        data += rib(f"10.2.{index}.0/24", [Entry(0, (64500, 64550 + index % 3))])
    data += rib("2001:db8::/32", [Entry(2, (65000, 64600), next_hop="2001:db8::3")])
    data += rib(
        "2001:db8:40::/48",
        [Entry(2, (65000, 4200000002), next_hop="2001:db8::3", large=((64600, 5, 6),))],
    )
    return data


QUERIES = [
    RouteQuery(prefix="10.1.2.3"),
    RouteQuery(prefix="10.1.2.3", limit=2),  # which covering routes a cut page keeps
    RouteQuery(prefix="10.2.5.77"),
    RouteQuery(prefix="192.0.2.1"),  # covered by nothing
    RouteQuery(prefix="10.1.0.0/16"),
    RouteQuery(prefix="10.0.0.0/8", more_specific=True),
    RouteQuery(prefix="10.0.0.0/8", more_specific=True, limit=7),
    RouteQuery(prefix="10.1.2.0/24", less_specific=True),
    RouteQuery(prefix="2001:db8:40::1"),
    RouteQuery(prefix="2001:db8::/32", more_specific=True),
    RouteQuery(prefix="2001:db8::/30", less_specific=True),
    RouteQuery(origin=64510),
    RouteQuery(origin=4200000002),
    RouteQuery(origin=64551, limit=5),
    RouteQuery(neighbor=4200000001),
    RouteQuery(neighbor=64500, limit=9),
    RouteQuery(path=(64520, 64530)),
    RouteQuery(path=(64530, 64520)),
    RouteQuery(path=(64500, 64520, 64510)),
    RouteQuery(community="64500:7"),
    RouteQuery(community="65535:666"),
    RouteQuery(community="4200000001:1:2"),
    RouteQuery(prefix="10.0.0.0/8", more_specific=True, origin=64530),
    RouteQuery(origin=64510, source="rich"),
]


@pytest.fixture(scope="module")
def dsn() -> Iterator[str]:
    with throwaway_postgres() as found:
        yield found


@pytest.fixture(scope="module")
def stores(
    dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RouteStore, PgRouteStore]]:
    """The same two dumps in both stores."""
    files = tmp_path_factory.mktemp("dumps")
    (files / "rich.mrt").write_bytes(rich_table())
    (files / "small.mrt").write_bytes(small_table(64510, extra=5))
    sqlite, postgres = RouteStore(files / "data"), PgRouteStore(dsn)
    for source in ("rich", "small"):
        for store in (sqlite.data_dir, postgres):
            ingest(store, source, str(files / f"{source}.mrt"), now=100.0)
    yield sqlite, postgres
    postgres.close()


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_every_query_answers_as_the_sqlite_store(
    stores: tuple[RouteStore, PgRouteStore], query: RouteQuery
) -> None:
    sqlite, postgres = stores
    assert postgres.lookup(query) == sqlite.lookup(query)


def test_the_answers_are_the_tables_not_empty_agreement(
    stores: tuple[RouteStore, PgRouteStore],
) -> None:
    _, postgres = stores
    ordered = postgres.lookup(RouteQuery(path=(64520, 64530), source="rich")).routes
    assert [(r.prefix, r.peer_as, r.as_path) for r in ordered] == [
        ("10.1.2.0/24", 64500, (64500, 64520, 64530)),
        ("10.1.2.0/24", 65000, (65000, 64520, 64530, (64540, 64541))),
    ]  # the same ASNs in the other order (AS 4200000001's path) do not match
    found = postgres.lookup(RouteQuery(prefix="10.1.2.3", source="rich")).routes
    assert [r.prefix for r in found] == ["10.1.2.0/24"] * 3 + ["10.1.0.0/16"] + ["10.0.0.0/8"] * 2
    paged = postgres.lookup(RouteQuery(prefix="10.0.0.0/8", more_specific=True, limit=7))
    assert (len(paged.routes), paged.truncated) == (7, True)


def test_origin_of_and_status_match_the_sqlite_store(
    stores: tuple[RouteStore, PgRouteStore],
) -> None:
    sqlite, postgres = stores
    for address in ("10.1.2.3", "203.0.113.9", "2001:db8:40::1", "192.0.2.1"):
        assert postgres.origin_of(address) == sqlite.origin_of(address)
    assert postgres.origin_of("10.1.2.3") == ("10.1.2.0/24", 64530)
    assert postgres.sources() == sqlite.sources() == ["rich", "small"]
    assert postgres.status() == sqlite.status()


def test_asns_are_unsigned_32_bit_values(dsn: str, stores: tuple[RouteStore, PgRouteStore]) -> None:
    _, postgres = stores
    (route,) = postgres.lookup(RouteQuery(origin=4200000002)).routes
    assert (route.prefix, route.origin_as) == ("2001:db8:40::/48", 4200000002)
    with psycopg.connect(dsn) as db, pytest.raises(psycopg.errors.CheckViolation):
        db.execute("INSERT INTO cloudping_routes__rich.attrs VALUES (-1, '', -1, 1, '', '', '')")


@pytest.fixture
def serving(dsn: str, tmp_path: Path) -> Iterator[PgRouteStore]:
    """Source ``swap`` serving the small table originated by AS 64501."""
    store = PgRouteStore(dsn)
    (tmp_path / "a.mrt").write_bytes(small_table(64501))
    ingest(store, "swap", str(tmp_path / "a.mrt"), now=100.0)
    yield store
    store.close()


def origin_now(store: PgRouteStore) -> set[int | None]:
    found = store.lookup(RouteQuery(prefix="203.0.113.9", source="swap")).routes
    return {route.origin_as for route in found}


def schemas(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as db:
        found = db.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'cloudping%'")
        return sorted(name for (name,) in found)


@pytest.mark.parametrize(
    ("cut", "code"), [(3, "mrt_truncated"), (None, "empty_dump")], ids=["truncated", "empty"]
)
def test_a_bad_dump_leaves_the_serving_generation_and_records_the_error(
    serving: PgRouteStore, dsn: str, tmp_path: Path, cut: int | None, code: str
) -> None:
    bad = tmp_path / "bad.mrt"
    bad.write_bytes(small_table(64502, extra=300)[:-cut] if cut else peer_index(PEERS))
    with pytest.raises(CloudpingError) as caught:
        ingest(serving, "swap", str(bad), now=200.0)
    assert caught.value.code == code
    assert origin_now(serving) == {64501}
    status = {found.source: found for found in serving.status()}["swap"]
    assert (status.entries, status.loaded_at) == (3, 100.0)
    assert status.last_error is not None
    assert status.last_error["code"] == code
    assert "cloudping_loading__" not in " ".join(schemas(dsn))  # the half load is gone
    (tmp_path / "b.mrt").write_bytes(small_table(64502))
    ingest(serving, "swap", str(tmp_path / "b.mrt"), now=300.0)
    assert origin_now(serving) == {64502}
    assert {found.source: found for found in serving.status()}["swap"].last_error is None


def test_queries_running_through_swaps_all_succeed(
    serving: PgRouteStore, dsn: str, tmp_path: Path
) -> None:
    files = []
    for origin in (64501, 64502):
        path = tmp_path / f"{origin}.mrt"
        path.write_bytes(small_table(origin, extra=3000))  # a load takes a while
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
            for round_ in range(4):
                ingest(serving, "swap", str(files[round_ % 2]), now=float(round_))
        finally:
            stop.set()
        answers = [answer for asker in askers for answer in asker.result(timeout=30)]
    assert len(answers) > 20
    assert all(answer in ({64501}, {64502}) for answer in answers)
    assert schemas(dsn).count("cloudping_routes__swap") == 1
    assert not [name for name in schemas(dsn) if name.startswith("cloudping_loading__")]


def test_no_source_and_an_unknown_source_say_no_routes(serving: PgRouteStore) -> None:
    with pytest.raises(CloudpingError) as unknown:
        serving.lookup(RouteQuery(origin=1, source="rrc00"))
    assert unknown.value.code == "no_routes"


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CloudpingError) as caught:
        PgRouteStore(f"host={tmp_path} dbname=postgres user=postgres").sources()
    assert caught.value.code == "route_store_unreachable"


def test_the_operator_commands_take_the_store_option(
    dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "rib.mrt"
    dump.write_bytes(small_table(64501))
    assert main(["route", "ingest", str(dump), "--source", "cli", "--route-store", dsn]) == 0
    assert capsys.readouterr().out == (
        "cli: 3 routes, 2 prefixes, 2 peers; serving from schema cloudping_routes__cli\n"
    )
    assert not (tmp_path / "data").exists()
    assert main(["route", "status", "--json", "--route-store", dsn]) == 0
    found = {line["source"]: line for line in map(json.loads, capsys.readouterr().out.splitlines())}
    assert found["cli"]["entries"] == 3
    assert main(["route", "status", "--route-store", "host=x =y"]) == 2
    assert "not a PostgreSQL connection string" in capsys.readouterr().err
    assert main(["route", "status", "--route-store", "postgresql://u:hunter2@h/db"]) == 2
    err = capsys.readouterr().err
    assert "passfile" in err
    assert "hunter2" not in err


@pytest.mark.anyio
async def test_the_api_answers_from_the_postgresql_store(
    stores: tuple[RouteStore, PgRouteStore],
) -> None:
    sqlite, postgres = stores
    answers = []
    for store in (sqlite, postgres):
        async with world(routes=store) as w:
            found = await w.client.get(
                "/api/v1/routes", params={"path": "64520 64530"}, headers=w.auth()
            )
        assert found.status_code == 200, found.text
        answers.append(found.json())
    assert answers[0]["routes"] == answers[1]["routes"]
    assert [route["prefix"] for route in answers[1]["routes"]] == ["10.1.2.0/24"] * 2


def test_a_name_postgresql_would_cut_is_refused(serving: PgRouteStore, tmp_path: Path) -> None:
    (tmp_path / "a.mrt").write_bytes(small_table(64501))
    for name in ("x" * 40, "../swap"):
        with pytest.raises(CloudpingError) as caught:
            ingest(serving, name, str(tmp_path / "a.mrt"), now=1.0)
        assert caught.value.code == "bad_source"
    assert "swap" in serving.sources()


def test_a_url_source_is_fetched_conditionally_into_postgresql(
    serving: PgRouteStore, web: Web
) -> None:
    publish(web, 64501, mtime=1_700_000_000)
    source = RouteSource("fetched", f"{web.base}/latest.gz")
    fetch_once(serving, source, now=1.0)
    fetch_once(serving, source, now=2.0)
    assert web.answered == [200, 304]  # the validators kept in the generation's meta
    found = {status.source: status for status in serving.status()}["fetched"]
    assert (found.entries, found.loaded_at) == (3, 1.0)
    publish(web, 64502, mtime=1_700_000_100)
    fetch_once(serving, source, now=3.0)
    routes = serving.lookup(RouteQuery(prefix="203.0.113.9", source="fetched")).routes
    assert {route.origin_as for route in routes} == {64502}


def test_up_with_the_store_option_serves_each_new_generation(
    serving: PgRouteStore, dsn: str, tmp_path: Path
) -> None:
    up = start_up(tmp_path / "data", "--route-store", dsn)
    try:
        with httpx.Client(base_url=up.url, trust_env=False, timeout=10) as client:
            auth = {"Authorization": f"Bearer {up.token}"}
            params = {"prefix": "203.0.113.9", "source": "swap"}
            first = client.get("/api/v1/routes", params=params, headers=auth)
            (tmp_path / "b.mrt").write_bytes(small_table(64502))
            ingest(serving, "swap", str(tmp_path / "b.mrt"), now=300.0)
            second = client.get("/api/v1/routes", params=params, headers=auth)
    finally:
        assert stop(up) == 0
    assert first.status_code == second.status_code == 200, first.text
    assert {route["origin_as"] for route in first.json()["routes"]} == {64501}
    assert {route["origin_as"] for route in second.json()["routes"]} == {64502}
    assert not (tmp_path / "data" / "routes").exists()  # nothing in SQLite
