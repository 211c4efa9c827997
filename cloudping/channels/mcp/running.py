"""A measurement run for a tool call: events collected, progress sent per batch, cancellable.

The hub emits synchronously into a queue; the tool call drains it, and each drain (every
event that arrived since the last one) is one batch and at most one progress notification.
Progress notifications only ever go up (the MCP spec asks for it). When the client cancels
the call, the SDK cancels this coroutine, the task group cancels the run, and the hub cancels
its jobs: the measurement is stored as ``cancelled``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cloudping.commands import Command
from cloudping.errors import CloudpingError
from cloudping.events import Event
from cloudping.render.progress import Progress
from cloudping.service import Caller, CommandService

Report = Callable[[float, float | None, str | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Finished:
    """The run is over: its error, if it ended before any event."""

    error: CloudpingError | None = None


async def measure(
    service: CommandService, caller: Caller, command: Command, report: Report
) -> list[Event]:
    """Run ``command`` for ``caller``; every event of its stream, in order.

    ``report(done, total, message)`` is awaited after each batch that moved the progress.

    Raises:
        CloudpingError: what the run raised before its first event (``quota_exceeded``,
            ``no_agent_matched``, ...).
    """
    queue: asyncio.Queue[Event | _Finished] = asyncio.Queue()
    events: list[Event] = []
    progress, reported = Progress(command), -1
    async with asyncio.TaskGroup() as group:
        group.create_task(_run(service, caller, command, queue))
        finished: _Finished | None = None
        while finished is None:
            batch = await _batch(queue)
            finished = next((item for item in batch if isinstance(item, _Finished)), None)
            for event in batch:
                if not isinstance(event, _Finished):
                    events.append(event)
                    progress.observe(event)
            if progress.total is not None and progress.done > reported:
                reported = progress.done
                await report(progress.done, progress.total, progress.message)
    if finished.error is not None:
        raise finished.error
    return events


async def _run(
    service: CommandService,
    caller: Caller,
    command: Command,
    queue: asyncio.Queue[Event | _Finished],
) -> None:
    try:
        await service.run(caller, command, queue.put_nowait)
    except CloudpingError as exc:
        queue.put_nowait(_Finished(exc))
    else:
        queue.put_nowait(_Finished())


async def _batch(queue: asyncio.Queue[Event | _Finished]) -> list[Event | _Finished]:
    """The next item, and every other one already waiting."""
    batch = [await queue.get()]
    while not queue.empty():
        batch.append(queue.get_nowait())
    return batch
