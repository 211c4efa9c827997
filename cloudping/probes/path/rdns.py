"""Reverse DNS of hop addresses through the system resolver, with a short cache.

One lookup in flight per address (later askers await the same task); answers, and the lack of
one, are kept for ``ttl`` seconds; every lookup is bounded by ``timeout``. Time is passed in
(``now``) so the cache is testable without a clock.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

DEFAULT_TTL = 300.0
DEFAULT_TIMEOUT = 1.0


@dataclass
class ReverseNames:
    """The PTR name of addresses, cached."""

    ttl: float = DEFAULT_TTL
    timeout: float = DEFAULT_TIMEOUT
    _cache: dict[str, tuple[float, str | None]] = field(default_factory=dict)
    _pending: dict[str, asyncio.Task[str | None]] = field(default_factory=dict)

    async def name(self, address: str) -> str | None:
        """The name of ``address``, or ``None`` when it has none (or no answer in time)."""
        loop = asyncio.get_running_loop()
        cached = self.cached(address, loop.time())
        if cached is not None:
            return cached[0]
        task = self._pending.get(address)
        if task is None:
            task = self._pending[address] = loop.create_task(self._lookup(address))
        return await asyncio.shield(task)

    async def names(self, addresses: Iterable[str]) -> dict[str, str | None]:
        """The names of several addresses, looked up at once."""
        unique = list(dict.fromkeys(addresses))
        found = await asyncio.gather(*(self.name(address) for address in unique))
        return dict(zip(unique, found, strict=True))

    def cached(self, address: str, now: float) -> tuple[str | None] | None:
        """``(name,)`` when a fresh answer is cached, else ``None``."""
        entry = self._cache.get(address)
        if entry is None or entry[0] <= now:
            return None
        return (entry[1],)

    def store(self, address: str, name: str | None, now: float) -> None:
        self._cache[address] = (now + self.ttl, name)

    async def _lookup(self, address: str) -> str | None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                host, _ = await loop.getnameinfo((address, 0), socket.NI_NAMEREQD)
        except (OSError, TimeoutError):
            host = None
        finally:
            self._pending.pop(address, None)
        self.store(address, host, loop.time())
        return host
