"""The stream goes to the caller at once; the store gets it behind, whole, in order, batched."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from cloudping.commands import parse
from cloudping.events import Event, to_dict
from cloudping.store import MemoryStore, StoreError
from cloudping.testing import ScriptedAgent, scripted_hub

pytestmark = pytest.mark.anyio
WAIT = 5.0  # seconds: every wait in this file is bounded by it
PING = parse("ping -c 2 -s fra1 example.com")
STREAM = ["measurement", "start", "reply", "reply", "summary", "end"]


class GatedStore(MemoryStore):
    """The twin, whose appends wait for ``gate`` (or fail while ``refuse``), recording calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int]] = []
        self.gate = asyncio.Event()
        self.refuse = False

    async def append_events(
        self, measurement_id: str, first_seq: int, events: Sequence[Mapping[str, Any]]
    ) -> None:
        self.calls.append(("append_events", first_seq))
        await self.gate.wait()
        if self.refuse:
            raise StoreError("the disk is full", code="store_unavailable")
        await super().append_events(measurement_id, first_seq, events)

    async def finish(self, measurement_id: str, **fields: Any) -> None:
        self.calls.append(("finish", 0))
        await super().finish(measurement_id, **fields)


class Caller:
    """The caller's sink: every event, and a flag raised at ``end``."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ended = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        if event.type == "end":
            self.ended.set()


async def test_the_caller_gets_the_whole_stream_while_the_store_is_still_busy() -> None:
    store, caller = GatedStore(), Caller()
    async with asyncio.timeout(WAIT), scripted_hub(ScriptedAgent("fra1"), store=store) as hub:
        runner = asyncio.create_task(hub.run(PING, "alice", caller))
        await caller.ended.wait()
        assert [e.type for e in caller.events] == STREAM
        assert await store.events_since("m1", 0) == ()  # the first append is still in flight
        assert not runner.done()  # a run ends once its stream is stored
        store.gate.set()
        assert await runner == "m1"
    stored = await store.get("m1")
    assert [e.seq for e in stored.events] == list(range(1, len(STREAM) + 1))
    assert [e.event for e in stored.events] == [to_dict(e) for e in caller.events]
    assert stored.status == "done"
    # What came while the first append waited went in one call; the finish came last.
    assert store.calls == [("append_events", 1), ("append_events", 2), ("finish", 0)]


async def test_a_store_that_refuses_events_neither_hangs_nor_changes_the_stream(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, caller = GatedStore(), Caller()
    store.gate.set()
    store.refuse = True
    async with asyncio.timeout(WAIT), scripted_hub(ScriptedAgent("fra1"), store=store) as hub:
        await hub.run(PING, "alice", caller)
    assert [e.type for e in caller.events] == STREAM
    assert to_dict(caller.events[-1])["status"] == "ok"
    assert "measurement m1: the store refused events from 1" in caplog.text
    stored = await store.get("m1")
    assert (stored.status, stored.events) == ("done", ())


async def test_a_cancelled_caller_still_leaves_the_whole_stream_stored() -> None:
    store, caller = GatedStore(), Caller()
    link = ScriptedAgent("fra1", finishes=False)
    async with asyncio.timeout(WAIT), scripted_hub(link, store=store) as hub:
        runner = asyncio.create_task(hub.run(PING, "alice", caller))
        await link.played.wait()
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        store.gate.set()
        await hub.wait("m1")
    stored = await store.get("m1")
    assert stored.status == "cancelled"
    assert [e.event["type"] for e in stored.events] == [
        "measurement",
        "start",
        "reply",
        "reply",
        "end",
    ]
    assert [e.seq for e in stored.events] == [1, 2, 3, 4, 5]
