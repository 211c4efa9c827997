"""The write-behind writer: calls queued at once, made in order, events batched, failures logged."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from cloudping.store import MeasurementWriter, MemoryStore, StoreError

pytestmark = pytest.mark.anyio
T0 = 1_750_000_000.0
WAIT = 5.0  # seconds: every wait in this file is bounded by it


class RecordingStore(MemoryStore):
    """The twin, recording each call; appends wait for ``gate`` and fail while ``refuse``."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[Any, ...]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.refuse_appends = False

    async def create(self, measurement_id: str, **fields: Any) -> None:
        self.calls.append(("create", measurement_id))
        await super().create(measurement_id, **fields)

    async def append_events(
        self, measurement_id: str, first_seq: int, events: Sequence[Mapping[str, Any]]
    ) -> None:
        self.calls.append(("append_events", first_seq, len(events)))
        await self.gate.wait()
        if self.refuse_appends:
            raise StoreError("the disk is full", code="store_unavailable")
        await super().append_events(measurement_id, first_seq, events)

    async def finish(self, measurement_id: str, **fields: Any) -> None:
        self.calls.append(("finish", measurement_id))
        await super().finish(measurement_id, **fields)


def event(seq: int) -> dict[str, Any]:
    return {"type": "reply", "agent": "fra1", "target": "example.com", "seq": seq}


def start(writer: MeasurementWriter) -> None:
    writer.create(
        command="ping example.com",
        command_json={"command": "ping"},
        subject="alice",
        agents=["fra1"],
        created_at=T0,
    )


async def test_queueing_returns_before_the_store_has_anything() -> None:
    store = RecordingStore()
    writer = MeasurementWriter(store, "m1")
    start(writer)
    writer.append(1, event(1))
    writer.finish(status="done", summary=None, ended_at=T0 + 1)
    assert store.calls == []
    async with asyncio.timeout(WAIT):
        await writer.drain()
    stored = await store.get("m1")
    assert (stored.status, [e.seq for e in stored.events]) == ("done", [1])


async def test_events_queued_during_a_store_call_go_in_one_call_in_order() -> None:
    store = RecordingStore()
    writer = MeasurementWriter(store, "m1")
    start(writer)
    writer.append(1, event(1))
    store.gate.clear()
    async with asyncio.timeout(WAIT):
        while ("append_events", 1, 1) not in store.calls:  # the first event is in flight
            await asyncio.sleep(0)
        for seq in range(2, 8):
            writer.append(seq, event(seq))
        writer.finish(status="done", summary={"jobs": 1}, ended_at=T0 + 1)
        store.gate.set()
        await writer.drain()
    assert store.calls == [
        ("create", "m1"),
        ("append_events", 1, 1),
        ("append_events", 2, 6),
        ("finish", "m1"),
    ]
    stored = await store.get("m1")
    assert [(e.seq, e.event) for e in stored.events] == [(s, event(s)) for s in range(1, 8)]
    assert (stored.status, stored.summary) == ("done", {"jobs": 1})


async def test_a_refused_append_is_logged_and_the_later_calls_are_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore()
    writer = MeasurementWriter(store, "m1")
    start(writer)
    store.refuse_appends = True
    writer.append(1, event(1))
    async with asyncio.timeout(WAIT):
        await writer.drain()
        store.refuse_appends = False
        writer.append(2, event(2))
        writer.finish(status="failed", summary=None, ended_at=T0 + 1)
        await writer.drain()
    stored = await store.get("m1")
    assert (stored.status, [e.seq for e in stored.events]) == ("failed", [2])
    assert "measurement m1: the store refused events from 1" in caplog.text


async def test_after_a_refused_create_nothing_is_written_to_that_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RecordingStore()
    await store.create(
        "m1", command="dns x", command_json={}, subject="bob", agents=[], created_at=T0
    )
    writer = MeasurementWriter(store, "m1")
    start(writer)
    writer.append(1, event(1))
    writer.finish(status="done", summary=None, ended_at=T0 + 1)
    async with asyncio.timeout(WAIT):
        await writer.drain()
    other = await store.get("m1")
    assert (other.subject, other.status, other.events) == ("bob", "running", ())
    assert [call[0] for call in store.calls] == ["create", "create"]
    assert "measurement m1: the store refused create" in caplog.text


async def test_a_cancelled_drain_leaves_the_writer_writing() -> None:
    store = RecordingStore()
    store.gate.clear()
    writer = MeasurementWriter(store, "m1")
    start(writer)
    writer.append(1, event(1))
    writer.finish(status="cancelled", summary=None, ended_at=T0 + 1)
    async with asyncio.timeout(WAIT):
        drain = asyncio.create_task(writer.drain())
        while ("append_events", 1, 1) not in store.calls:
            await asyncio.sleep(0)
        drain.cancel()
        with pytest.raises(asyncio.CancelledError):
            await drain
        store.gate.set()
        await writer.drain()
    assert (await store.get("m1")).status == "cancelled"
