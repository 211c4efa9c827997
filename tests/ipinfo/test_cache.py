"""The cache: single flight, time to live by kind of answer, the LRU bound and the counters."""

from __future__ import annotations

import asyncio

import pytest

from cloudping.ipinfo.cache import CacheSettings, Kind, LookupCache

CONCURRENT = 100


def kind_of(value: str) -> Kind:
    return "failed" if value == "down" else "empty" if value == "" else "found"


class Clock:
    """Monotonic seconds the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """Counts calls; each waits for the gate, so that the asks really overlap."""

    def __init__(self, answer: str = "AS65003") -> None:
        self.calls = 0
        self.answer = answer
        self.gate = asyncio.Event()

    async def fetch(self) -> str:
        self.calls += 1
        await self.gate.wait()
        return self.answer


def make(clock: Clock, **settings: float) -> LookupCache[str, str]:
    return LookupCache(kind_of, CacheSettings(**settings), clock)  # type: ignore[arg-type]


@pytest.mark.anyio
async def test_a_hundred_concurrent_asks_for_one_address_make_one_upstream_call() -> None:
    cache, upstream = make(Clock()), Upstream()
    asks = [asyncio.ensure_future(cache.get("198.18.3.2", upstream.fetch)) for _ in range(100)]
    await asyncio.sleep(0)  # every ask is waiting on the one flight now
    upstream.gate.set()
    async with asyncio.timeout(5):
        answers = await asyncio.gather(*asks)
    assert answers == ["AS65003"] * CONCURRENT
    assert upstream.calls == 1
    assert (cache.misses, cache.hits, cache.errors) == (1, CONCURRENT - 1, 0)


@pytest.mark.anyio
async def test_an_asker_that_goes_away_cancels_neither_the_call_nor_the_others() -> None:
    cache, upstream = make(Clock()), Upstream()
    first = asyncio.ensure_future(cache.get("a", upstream.fetch))
    second = asyncio.ensure_future(cache.get("a", upstream.fetch))
    await asyncio.sleep(0)
    first.cancel()
    upstream.gate.set()
    async with asyncio.timeout(5):
        assert await second == "AS65003"
    assert upstream.calls == 1
    assert len(cache) == 1


@pytest.mark.anyio
async def test_each_kind_of_answer_is_kept_for_its_own_time() -> None:
    clock = Clock()
    cache = make(clock, ttl_s=100, negative_ttl_s=10, failure_ttl_s=1)
    for key, answer in (("found", "AS1"), ("empty", ""), ("failed", "down")):
        upstream = Upstream(answer)
        upstream.gate.set()
        await cache.get(key, upstream.fetch)
    assert cache.errors == 1
    fresh = Upstream("new")
    fresh.gate.set()
    clock.now += 2  # past the failure's time only
    assert [await cache.get(k, fresh.fetch) for k in ("found", "empty", "failed")] == [
        "AS1",
        "",
        "new",
    ]
    clock.now += 10  # past the negative answer's time too
    assert await cache.get("empty", fresh.fetch) == "new"
    assert await cache.get("found", fresh.fetch) == "AS1"
    assert fresh.calls == 2


@pytest.mark.anyio
async def test_the_least_recently_used_entry_goes_first_when_the_cache_is_full() -> None:
    cache = make(Clock(), size=2)
    upstream = Upstream()
    upstream.gate.set()
    for key in ("a", "b", "a", "c"):  # "a" was used after "b": "b" goes
        await cache.get(key, upstream.fetch)
    assert len(cache) == 2
    calls = upstream.calls
    await cache.get("a", upstream.fetch)
    await cache.get("b", upstream.fetch)
    assert upstream.calls == calls + 1


@pytest.mark.anyio
async def test_an_exception_reaches_every_asker_and_is_not_kept() -> None:
    cache = make(Clock())

    async def broken() -> str:
        raise RuntimeError("a bug upstream")

    with pytest.raises(RuntimeError):
        await cache.get("a", broken)
    assert len(cache) == 0
