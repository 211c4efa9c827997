"""A bounded LRU cache with a time to live, negative caching and single flight.

Concurrent asks for one key make one upstream call: the first starts it as a task of its
own, the others await the same task (shielded, so a caller that goes away cancels neither
the call nor the others' wait). An answer saying "nothing known" is kept for
``negative_ttl_s``, a failure (bad key, quota, 5xx) for ``failure_ttl_s``, so a provider that
is down is not asked again for every hop. The counters are plain ints for the metrics.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Kind = Literal["found", "empty", "failed"]


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """Bounds of the cache: entries, and how long each kind of answer is kept (seconds)."""

    size: int = 10_000
    ttl_s: float = 6 * 3600.0
    negative_ttl_s: float = 3600.0
    failure_ttl_s: float = 60.0


class LookupCache(Generic[K, V]):
    """Answers by key, each fetched once however many ask at the same time.

    Args:
        kind: what an answer is: ``found``, ``empty`` (negative) or ``failed``; it picks the
            time to live and the ``errors`` counter.
        clock: monotonic seconds; tests pass a fake.

    Attributes:
        hits: answers from memory (a joined flight counts as one).
        misses: upstream calls made.
        errors: upstream calls that failed.
    """

    def __init__(
        self,
        kind: Callable[[V], Kind],
        settings: CacheSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or CacheSettings()
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self._kind = kind
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._flights: dict[K, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The answer for ``key``: from memory while fresh, else from ``fetch`` (one call
        for every asker meanwhile). An exception ``fetch`` raises reaches every asker and is
        not kept."""
        kept = self._fresh(key)
        if kept is not None:
            self.hits += 1
            return kept[1]
        flight = self._flights.get(key)
        if flight is None:
            self.misses += 1
            flight = asyncio.ensure_future(fetch())
            self._flights[key] = flight
            flight.add_done_callback(lambda done: self._landed(key, done))
        else:
            self.hits += 1
        return await asyncio.shield(flight)

    def _fresh(self, key: K) -> tuple[float, V] | None:
        kept = self._entries.get(key)
        if kept is None:
            return None
        if kept[0] <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return kept

    def _landed(self, key: K, flight: asyncio.Task[V]) -> None:
        del self._flights[key]
        if flight.cancelled() or flight.exception() is not None:
            return
        value = flight.result()
        kind = self._kind(value)
        if kind == "failed":
            self.errors += 1
        self._entries[key] = (self._clock() + self._ttl(kind), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.settings.size:
            self._entries.popitem(last=False)

    def _ttl(self, kind: Kind) -> float:
        if kind == "found":
            return self.settings.ttl_s
        return self.settings.negative_ttl_s if kind == "empty" else self.settings.failure_ttl_s
