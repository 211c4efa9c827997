"""Scheduled fetches: which sources are due (pure, literal times), and the hub's loop against
a loopback HTTP server: a source loads on start, a changed dump serves within 5 s, an
unchanged one is answered 304 and not loaded again, a failure is the source's last error."""

from __future__ import annotations

import asyncio
import gzip
import os
from pathlib import Path

import pytest

from cloudping.routes.fetcher import fetch_once, fetching
from cloudping.routes.lookup import RouteStore
from cloudping.routes.model import RouteQuery
from cloudping.routes.schedule import FetchPlan, RouteSource

from .conftest import Web
from .mrtbytes import small_table

pytestmark = pytest.mark.anyio
A = RouteSource("a", "http://127.0.0.1:1/a")
B = RouteSource("b", "http://127.0.0.1:1/b")
WAIT = 5.0  # the bound: a running hub serves a new generation within 5 s


def test_sources_never_fetched_are_due_at_once_then_each_interval() -> None:
    plan = FetchPlan((A, B), interval_s=60)
    assert plan.due({}, now=1000.0) == [A, B]
    assert plan.due({"a": 1000.0, "b": 1030.0}, now=1059.0) == []
    assert plan.due({"a": 1000.0, "b": 1030.0}, now=1060.0) == [A]
    assert plan.next_at({"a": 1000.0, "b": 1030.0}) == 1060.0
    assert plan.next_at({"a": 1000.0}) == float("-inf")


@pytest.mark.parametrize(
    "text", ["rrc00", "rrc00=ftp://x/y", "../x=http://127.0.0.1/x", "=http://127.0.0.1/x"]
)
def test_a_route_source_option_is_name_equals_http_url(text: str) -> None:
    with pytest.raises(ValueError, match=r"NAME=URL|not a valid name"):
        RouteSource.parse(text)


def test_a_plan_refuses_two_sources_of_one_name_and_a_tiny_interval() -> None:
    with pytest.raises(ValueError, match="its own name"):
        FetchPlan((A, RouteSource("a", "http://127.0.0.1:1/c")))
    with pytest.raises(ValueError, match="at least"):
        FetchPlan((A,), interval_s=0.1)


def publish(web: Web, origin: int, mtime: float) -> None:
    path = web.root / "latest.gz"
    path.write_bytes(gzip.compress(small_table(origin)))
    os.utime(path, (mtime, mtime))  # Last-Modified has a resolution of one second


def origins(store: RouteStore) -> set[int | None]:
    return {r.origin_as for r in store.lookup(RouteQuery(prefix="203.0.113.0/24")).routes}


def test_an_unchanged_dump_is_answered_304_and_not_loaded_again(web: Web, tmp_path: Path) -> None:
    publish(web, 64501, mtime=1_700_000_000)
    source = RouteSource("rrc00", f"{web.base}/latest.gz")
    fetch_once(tmp_path, source, now=1.0)
    fetch_once(tmp_path, source, now=2.0)
    assert web.answered == [200, 304]
    (status,) = RouteStore(tmp_path).status()
    assert status.loaded_at == 1.0
    publish(web, 64502, mtime=1_700_000_100)
    fetch_once(tmp_path, source, now=3.0)
    assert web.answered == [200, 304, 200]
    assert origins(RouteStore(tmp_path)) == {64502}


def test_a_failed_fetch_is_the_sources_last_error(web: Web, tmp_path: Path) -> None:
    fetch_once(tmp_path, RouteSource("rrc00", f"{web.base}/gone.gz"), now=1.0)
    (status,) = RouteStore(tmp_path).status()
    assert status.entries is None
    assert status.last_error is not None
    assert status.last_error["code"] == "dump_unreadable"


async def test_a_running_hub_serves_a_changed_dump_within_5_s(web: Web, tmp_path: Path) -> None:
    await asyncio.to_thread(publish, web, 64501, 1_700_000_000)
    store = RouteStore(tmp_path)
    plan = FetchPlan((RouteSource("rrc00", f"{web.base}/latest.gz"),), interval_s=1.0)
    async with fetching(tmp_path, plan):
        await _until(store, {64501})
        await asyncio.to_thread(publish, web, 64502, 1_700_000_100)
        await _until(store, {64502})
    assert 304 not in web.answered[:1]


async def _until(store: RouteStore, expected: set[int | None]) -> None:
    async with asyncio.timeout(WAIT):
        while await asyncio.to_thread(_serving, store) != expected:
            await asyncio.sleep(0.05)  # polling the store: the fetch runs in another thread


def _serving(store: RouteStore) -> set[int | None]:
    return origins(store) if store.sources() else set()
