"""Write-behind for one measurement: its store calls queued at once, made in order, batched.

The hub hands each event to its caller as soon as it has it; waiting for the store first
cost a SQLite round trip per event (~0.4 ms on the owner thread, ~7 of them in a one-packet
ping), one after the other, on the caller's critical path. A :class:`MeasurementWriter`
takes the calls (create, events, finish) without awaiting, and one writer task makes them in
the order they were queued: the events queued while the previous call was in flight go to
the store together, in one :meth:`~cloudping.store.base.MeasurementStore.append_events`
call (one transaction). So the store still gets every event, in order, with its ``seq``,
and ``finish`` only after the last event; :meth:`MeasurementWriter.drain` waits for that.

A call the store refuses is logged and the rest go on (a store failure never hangs or
changes the stream), except a refused ``create``: then the id is not this measurement's
(``measurement_exists``) or the store is down, and nothing more of it is written.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudping.store.base import MeasurementStore
from cloudping.store.model import FinalStatus

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Events:
    """Events with consecutive ``seq`` from ``first_seq``, appended in one call."""

    first_seq: int
    events: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def next_seq(self) -> int:
        return self.first_seq + len(self.events)


@dataclass(frozen=True, slots=True)
class _Call:
    """Any other store call (create, finish), and what it is, for the log."""

    what: str
    call: Callable[[], Awaitable[None]]


class MeasurementWriter:
    """The store calls of one measurement, made behind its stream by one task at a time.

    Use from the event loop's thread; the queueing methods never await.
    """

    def __init__(self, store: MeasurementStore, measurement_id: str) -> None:
        self._store = store
        self._id = measurement_id
        self._queue: deque[_Events | _Call] = deque()
        self._task: asyncio.Task[None] | None = None
        self._writable = True  # until a create is refused

    def create(
        self,
        *,
        command: str,
        command_json: Mapping[str, Any],
        subject: str | None,
        agents: Sequence[str],
        created_at: float,
        read_key: str | None = None,
    ) -> None:
        """Queue :meth:`~cloudping.store.base.MeasurementStore.create` (first, once)."""

        async def call() -> None:
            await self._store.create(
                self._id,
                command=command,
                command_json=command_json,
                subject=subject,
                agents=agents,
                created_at=created_at,
                read_key=read_key,
            )

        self._put(_Call("create", call))

    def append(self, seq: int, event: Mapping[str, Any]) -> None:
        """Queue one event; it joins the queued events right before it when ``seq`` follows
        theirs, so they are stored in one call."""
        last = self._queue[-1] if self._queue else None
        if isinstance(last, _Events) and last.next_seq == seq:
            last.events.append(event)
        else:
            self._put(_Events(seq, [event]))

    def finish(
        self, *, status: FinalStatus, summary: Mapping[str, Any] | None, ended_at: float
    ) -> None:
        """Queue :meth:`~cloudping.store.base.MeasurementStore.finish` (after every event)."""

        async def call() -> None:
            await self._store.finish(self._id, status=status, summary=summary, ended_at=ended_at)

        self._put(_Call("finish", call))

    async def drain(self) -> None:
        """Until every call queued so far has been made (or refused and logged).

        Cancelling the awaiting task does not cancel the writer: what was queued is written.
        """
        while self._task is not None and not self._task.done():
            await asyncio.wait((self._task,))

    def _put(self, item: _Events | _Call) -> None:
        self._queue.append(item)
        # A task that is not done will still see the queue: it ends only when it is empty.
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._write(), name=f"store writer {self._id}"
            )

    async def _write(self) -> None:
        while self._queue:
            item = self._queue.popleft()
            if not self._writable:
                continue  # not ours to write to: dropped (the refused create was logged)
            try:
                await self._make(item)
            except Exception:  # the store failed: the stream goes on, the log keeps why
                what = item.what if isinstance(item, _Call) else f"events from {item.first_seq}"
                log.exception("measurement %s: the store refused %s", self._id, what)
                if isinstance(item, _Call) and item.what == "create":
                    self._writable = False

    async def _make(self, item: _Events | _Call) -> None:
        if isinstance(item, _Call):
            await item.call()
        else:
            await self._store.append_events(self._id, item.first_seq, item.events)
