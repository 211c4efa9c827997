"""A bounded, short-lived, single-use store (sans-IO: time is an argument).

Sign-in keeps three kinds of such things: a login under way (by its ``state``), an MCP
client's authorization request waiting for the person's consent, and an authorization code
waiting to be exchanged. Each is used once, lives minutes, and a flood of unfinished sign-ins
must not grow memory: past ``capacity`` the oldest entry is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Expiring(Generic[T]):
    """Values by key, each good for ``ttl_s`` seconds after it was put.

    Args:
        ttl_s: how long an entry lives.
        capacity: how many entries are kept at most (the oldest go first).
    """

    ttl_s: float
    capacity: int = 10_000
    _entries: OrderedDict[str, tuple[float, T]] = field(default_factory=OrderedDict)

    def put(self, key: str, value: T, now: float) -> None:
        """Keep ``value`` under ``key`` until ``now + ttl_s``."""
        self._expire(now)
        self._entries[key] = (now + self.ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def take(self, key: str, now: float) -> T | None:
        """The value under ``key``, removed (single use); None when unknown or expired."""
        entry = self._entries.pop(key, None)
        return entry[1] if entry is not None and entry[0] > now else None

    def peek(self, key: str, now: float) -> T | None:
        """The value under ``key``, kept; None when unknown or expired."""
        entry = self._entries.get(key)
        return entry[1] if entry is not None and entry[0] > now else None

    def __len__(self) -> int:
        return len(self._entries)

    def _expire(self, now: float) -> None:
        while self._entries:
            key, (until, _) = next(iter(self._entries.items()))
            if until > now:
                return
            del self._entries[key]
