"""Retention: measurements older than a setting leave the store, on start and then hourly.

The first sweep starts with the hub (so a hub that was down for a month does not serve a
month of stale measurements until its first tick), in the background so that a large purge
does not hold up the start; then one every ``interval_s``. A store error is logged and the
next tick tries again: it never stops the hub.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from cloudping.store.base import MeasurementStore

log = logging.getLogger(__name__)

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class Retention:
    """How long measurements are kept and how often the store is swept.

    Attributes:
        keep_s: age after which a measurement is removed; ``None`` keeps everything.
        interval_s: seconds between sweeps.
    """

    keep_s: float | None = 30 * DAY_S
    interval_s: float = 3_600.0

    def __post_init__(self) -> None:
        if self.keep_s is not None and self.keep_s <= 0:
            raise ValueError("retention must be positive (or None to keep everything)")
        if self.interval_s <= 0:
            raise ValueError("the retention sweep interval must be positive")


async def purge_once(store: MeasurementStore, keep_s: float, now: float) -> int:
    """Remove what is older than ``keep_s`` at ``now``; how many measurements went."""
    gone = await store.purge_older_than(now - keep_s)
    if gone:
        log.info("retention removed %d measurement(s) older than %.0f s", gone, keep_s)
    return gone


@asynccontextmanager
async def retention(
    store: MeasurementStore, settings: Retention, clock: Callable[[], float]
) -> AsyncIterator[None]:
    """Sweep ``store`` while the block runs (nothing at all when ``keep_s`` is ``None``)."""
    keep_s = settings.keep_s
    if keep_s is None:
        yield
        return

    async def sweep() -> None:
        while True:
            try:
                await purge_once(store, keep_s, clock())
            except Exception:  # a locked or failing store: the next tick tries again
                log.exception("the retention sweep failed")
            await asyncio.sleep(settings.interval_s)

    task = asyncio.create_task(sweep(), name="retention")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
