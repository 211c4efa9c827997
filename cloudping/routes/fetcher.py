"""The hub's scheduled fetches: each source's URL on its interval, conditionally (a dump that
has not changed is not loaded again), the load in a thread beside the event loop. A failed
fetch is kept as the source's last error (see ``cloudping route status``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cloudping.errors import CloudpingError
from cloudping.routes.ingest import ingest
from cloudping.routes.schedule import FetchPlan, RouteSource

if TYPE_CHECKING:
    from cloudping.routes.pgstore import PgRouteStore

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def fetching(
    data_dir: Path | PgRouteStore, plan: FetchPlan, clock: Callable[[], float] = time.time
) -> AsyncIterator[None]:
    """Fetch ``plan``'s sources into ``data_dir`` (or PostgreSQL) while the block runs (nothing
    without any)."""
    if not plan.sources:
        yield
        return
    task = asyncio.create_task(_fetch_forever(data_dir, plan, clock), name="route-fetches")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _fetch_forever(
    data_dir: Path | PgRouteStore, plan: FetchPlan, clock: Callable[[], float]
) -> None:
    last: dict[str, float] = {}
    while True:
        for source in plan.due(last, clock()):
            last[source.name] = clock()
            await asyncio.to_thread(fetch_once, data_dir, source, last[source.name])
        await asyncio.sleep(max(0.0, plan.next_at(last) - clock()))


def fetch_once(data_dir: Path | PgRouteStore, source: RouteSource, now: float) -> None:
    """Fetch ``source`` once, if it changed; a failure is logged and kept for its status."""
    try:
        result = ingest(data_dir, source.name, source.url, now=now, conditional=True)
    except CloudpingError as exc:  # kept as the source's last error by the load
        log.warning("route source %s: %s (%s)", source.name, exc.message, exc.code)
        return
    if result is None:
        log.info("route source %s: not modified", source.name)
    else:
        log.info("route source %s: %d routes, %d peers", source.name, result.entries, result.peers)
