"""Measurements as NDJSON: live from the hub, or replayed and followed from the store
(through the command service)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from cloudping.events import Emit, Event, to_json_line

NDJSON = "application/x-ndjson"


class LiveResponse(StreamingResponse):
    """The NDJSON stream of a running measurement, cancelled however the response ends.

    The generator's own ``finally`` does not run when it was never started (a client gone
    before the first chunk), so the response cancels the run as well.
    """

    def __init__(self, lines: AsyncIterator[bytes], task: asyncio.Task[str]) -> None:
        super().__init__(lines, media_type=NDJSON)
        self._task = task

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the stream; then make sure the measurement's caller is gone."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            if not self._task.done():
                self._task.cancel()


async def live(run: Callable[[Emit], Coroutine[Any, Any, str]]) -> LiveResponse:
    """Start a measurement and answer with its stream, once its first event is there.

    ``run(emit)`` runs it (:meth:`CommandService.run` for the caller), emitting each event
    and returning its id. Waiting for the first event means errors raised before any event
    (``no_agent_matched``, ``quota_exceeded``, ...) surface here, as an exception the API
    answers with a JSON error, not in the middle of a 200 stream.

    Raises:
        CloudpingError: as ``run`` before its first event.
    """
    queue: asyncio.Queue[Event | None] = asyncio.Queue()
    task = asyncio.create_task(run(queue.put_nowait))
    task.add_done_callback(lambda _: queue.put_nowait(None))
    first = await queue.get()
    if first is None:
        task.result()  # raises the hub's error
        raise RuntimeError("the hub ended a measurement without any event")
    return LiveResponse(_lines(first, queue, task), task)


async def _lines(
    first: Event, queue: asyncio.Queue[Event | None], task: asyncio.Task[str]
) -> AsyncIterator[bytes]:
    try:
        event: Event | None = first
        while event is not None:
            yield (to_json_line(event) + "\n").encode()
            event = await queue.get()
    finally:
        # A client that went away cancels this generator (Starlette's StreamingResponse
        # watches for http.disconnect); cancelling hub.run cancels the jobs and stores the
        # measurement as cancelled. Not awaited: an anyio cancel scope would cancel the await.
        if not task.done():
            task.cancel()


async def ndjson(events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Stored events as NDJSON lines."""
    async for event in events:
        yield _line(event)


def _line(event: dict[str, object]) -> bytes:
    return (json.dumps(event, separators=(",", ":")) + "\n").encode()
