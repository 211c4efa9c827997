"""A thread that owns one blocking resource (a SQLite connection) and runs jobs for asyncio.

Jobs run one at a time in the order they were submitted (a FIFO), on the one thread, so the
resource never changes thread and what one task wrote is visible to whatever is submitted
after it. Results go back to the event loop in batches: under load, many jobs finish per
wake-up of the loop instead of one, which is what makes the store keep up with many agents.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")
_BATCH = 256  # jobs run before the loop is woken with their results, at most

_Job = tuple[Callable[[], Any], "asyncio.Future[Any]"]
_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


class OwnerThread:
    """Runs blocking jobs in order on one thread and hands back their results.

    A job once submitted runs, even when the task awaiting it is cancelled: a store
    operation issued is an operation made (the result is dropped).
    """

    def __init__(self, name: str) -> None:
        self._loop = asyncio.get_running_loop()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # A daemon: a process that exits without closing is not held up; SQLite's
        # transactions keep the file consistent whatever the thread was doing.
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    async def call(self, job: Callable[[], _T]) -> _T:
        """Run ``job`` on the thread after every job submitted before it; its result."""
        future: asyncio.Future[_T] = self._loop.create_future()
        self._jobs.put((job, future))
        return await future

    async def stop(self, last: Callable[[], object]) -> None:
        """Run ``last`` (closing the resource) after the queued jobs, then end the thread."""
        future: asyncio.Future[object] = self._loop.create_future()
        self._jobs.put((last, future))
        self._jobs.put(None)
        await asyncio.shield(future)  # closed even if the closing task is cancelled

    def _serve(self) -> None:
        while True:
            batch = self._next_batch()
            outcomes: list[_Outcome] = []
            for item in batch:
                if item is None:
                    self._settle_soon(outcomes)
                    return
                job, future = item
                try:
                    outcomes.append((future, job(), None))
                except BaseException as exc:  # noqa: BLE001 (handed to the awaiting task)
                    outcomes.append((future, None, exc))
            self._settle_soon(outcomes)

    def _next_batch(self) -> list[_Job | None]:
        batch = [self._jobs.get()]
        while len(batch) < _BATCH:
            try:
                batch.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        return batch

    def _settle_soon(self, outcomes: list[_Outcome]) -> None:
        # A closed loop (RuntimeError) has nobody waiting any more.
        if outcomes:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[_Outcome]) -> None:
    for future, result, exc in outcomes:
        if future.cancelled():
            continue
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)
