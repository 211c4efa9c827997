"""Revocations reach a running hub: the file re-read off the event loop, agents re-checked.

``cloudping token revoke`` (another process) and ``DELETE /api/v1/tokens/{id}`` write the
revocations file; every half second the hub re-reads it on a worker thread when it changed
(:meth:`~cloudping.auth.SqliteRevocations.refresh`), so API and MCP checks, which read the
in-memory copy, refuse a revoked token within a second and the loop never waits on the disk.
Then each connected agent's token is checked again with the time (revoked or expired: it is
expelled, :meth:`~cloudping.hub.agentdoor.AgentDoor.expel_lapsed`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)

REFRESH_S = 0.5  # the brief's bound is a second: half of it leaves room for a slow read


@asynccontextmanager
async def watch_tokens(
    refresh: Callable[[], object],
    check: Callable[[float], None],
    clock: Callable[[], float],
    interval_s: float = REFRESH_S,
) -> AsyncIterator[None]:
    """Every ``interval_s`` while the block runs: ``refresh`` on a thread, then ``check(now)``."""
    task = asyncio.create_task(_watch(refresh, check, clock, interval_s), name="token watch")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _watch(
    refresh: Callable[[], object],
    check: Callable[[float], None],
    clock: Callable[[], float],
    interval_s: float,
) -> None:
    while True:
        try:
            await asyncio.to_thread(refresh)
        except Exception:  # an unreadable file: keep the copy we have, try again next time
            log.exception("revocations not re-read")
        try:
            check(clock())
        except Exception:  # a bug must not end the watch: revocations would stop reaching agents
            log.exception("agents' tokens not checked")
        await asyncio.sleep(interval_s)
