"""A bounded map for per-chat and per-message state: at most N entries, each for a while.

The bot never keeps a conversation forever: past ``most`` entries the least recently used
goes, and an entry unused for ``ttl_s`` is gone (time is an argument, as everywhere).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Least recently used entries go first; an entry older than ``ttl_s`` is not found."""

    def __init__(self, most: int, ttl_s: float) -> None:
        if most < 1 or ttl_s <= 0:
            raise ValueError("a Recent map holds at least one entry for some time")
        self._most, self._ttl = most, ttl_s
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K, now: float) -> V | None:
        """The value of ``key`` (now the most recently used), None if absent or expired."""
        item = self._items.get(key)
        if item is None:
            return None
        if now - item[0] > self._ttl:
            del self._items[key]
            return None
        self._items[key] = (now, item[1])
        self._items.move_to_end(key)
        return item[1]

    def put(self, key: K, value: V, now: float) -> None:
        """Keep ``value`` under ``key``, dropping expired entries and the least recent ones."""
        self._items[key] = (now, value)
        self._items.move_to_end(key)
        while self._items:
            oldest, (used, _) = next(iter(self._items.items()))
            if len(self._items) <= self._most and now - used <= self._ttl:
                break
            del self._items[oldest]

    def values(self) -> list[V]:
        """Every value held (expired ones included until they are looked up or pushed out)."""
        return [value for _, value in self._items.values()]

    def pop(self, key: K) -> V | None:
        """Forget ``key``; its value if it was there."""
        item = self._items.pop(key, None)
        return None if item is None else item[1]
