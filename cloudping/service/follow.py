"""Following a stored measurement: what it has stored after a point, then what comes, until
it is finished, or until no live hub runs it (a crash's leftover would never end)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from cloudping.store import MeasurementStore


async def follow(
    store: MeasurementStore,
    measurement_id: str,
    after: int,
    interval_s: float,
    running: Callable[[str], bool],
) -> AsyncIterator[dict[str, Any]]:
    """The stored events after ``after``, then new ones until the measurement is finished.

    Polls :meth:`MeasurementStore.events_since` every ``interval_s`` while nothing is new:
    simple, and exact because stored ``seq`` only grows. The stored status is read only when a
    poll brings nothing, and one last poll after ``finished`` catches the final events.
    ``running(id)`` says whether this hub runs it: a measurement stored as ``running`` that no
    live hub runs will never end, so the follow stops there too rather than poll forever (the
    hub stores the whole stream before it forgets a run, so the last poll misses nothing).
    """
    seq = after
    while True:
        events = await store.events_since(measurement_id, seq)
        for stored in events:
            seq = stored.seq
            yield stored.event
        if events:
            continue
        status = (await store.get(measurement_id, events=False)).status
        if status != "running" or not running(measurement_id):
            for stored in await store.events_since(measurement_id, seq):
                yield stored.event
            return
        await asyncio.sleep(interval_s)
