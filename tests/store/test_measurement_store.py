"""The measurement store: one set of behaviours, run against the twin and SQLite alike."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from cloudping.auth import SqliteRevocations
from cloudping.events import from_dict
from cloudping.store import (
    MeasurementNotFoundError,
    MeasurementStore,
    SqliteStore,
    StoreError,
)
from cloudping.store.sqlite import SCHEMA_VERSION

pytestmark = pytest.mark.anyio
T0 = 1_750_000_000.0
COMMAND_JSON = {"command": "ping", "count": 3, "targets": ["example.com"]}


def reply(seq: int, agent: str = "fra1") -> dict[str, Any]:
    return {"type": "reply", "agent": agent, "target": "example.com", "seq": seq, "rtt_ms": 1.5}


async def create(store: MeasurementStore, mid: str = "m1", created_at: float = T0) -> None:
    await store.create(
        mid,
        command="ping -c 3 example.com",
        command_json=COMMAND_JSON,
        subject="alice",
        agents=["fra1", "ams1"],
        created_at=created_at,
    )


async def test_a_measurement_is_stored_with_its_events_and_summary(store: MeasurementStore) -> None:
    await create(store)
    for seq in (1, 2, 3):
        await store.append_event("m1", seq, reply(seq))
    await store.finish("m1", status="done", summary={"sent": 3, "received": 3}, ended_at=T0 + 3)
    got = await store.get("m1")
    assert (got.id, got.command, got.subject) == ("m1", "ping -c 3 example.com", "alice")
    assert got.command_json == COMMAND_JSON
    assert got.agents == ("fra1", "ams1")
    assert (got.created_at, got.ended_at, got.status) == (T0, T0 + 3, "done")
    assert got.summary == {"sent": 3, "received": 3}
    assert [(event.seq, event.event) for event in got.events] == [(s, reply(s)) for s in (1, 2, 3)]


async def test_a_running_measurement_has_no_summary_yet(store: MeasurementStore) -> None:
    await create(store)
    got = await store.get("m1")
    assert (got.status, got.summary, got.ended_at, got.events) == ("running", None, None, ())


async def test_what_get_returns_shares_nothing_with_what_was_stored(
    store: MeasurementStore,
) -> None:
    event = reply(1)
    await create(store)
    await store.append_event("m1", 1, event)
    event["rtt_ms"] = 99.0
    got = await store.get("m1")
    got.events[0].event["rtt_ms"] = 42.0
    assert (await store.get("m1")).events[0].event["rtt_ms"] == 1.5


async def test_replay_gives_the_events_after_a_sequence_number(store: MeasurementStore) -> None:
    await create(store)
    for seq in range(1, 6):
        await store.append_event("m1", seq, reply(seq))
    assert [event.seq for event in await store.events_since("m1", 0)] == [1, 2, 3, 4, 5]
    assert [event.seq for event in await store.events_since("m1", 3)] == [4, 5]
    assert await store.events_since("m1", 5) == ()


async def test_a_page_of_events_and_a_head_without_them(store: MeasurementStore) -> None:
    await create(store)
    for seq in (1, 2, 3, 5, 8):  # seq only has to grow: a page follows seq, not positions
        await store.append_event("m1", seq, reply(seq))
    assert [event.seq for event in await store.events_since("m1", 0, limit=2)] == [1, 2]
    assert [event.seq for event in await store.events_since("m1", 2, limit=2)] == [3, 5]
    assert [event.seq for event in await store.events_since("m1", 4, limit=9)] == [5, 8]
    assert await store.events_since("m1", 8, limit=2) == ()
    head = await store.get("m1", events=False)
    assert (head.events, head.event_count, head.subject) == ((), 5, "alice")
    assert (await store.get("m1")).event_count == 5


async def test_replay_then_follow_misses_nothing_appended_in_between(
    store: MeasurementStore,
) -> None:
    await create(store)
    await store.append_event("m1", 1, reply(1))
    seen = [event.seq for event in await store.events_since("m1", 0)]
    await store.append_event("m1", 2, reply(2))
    seen += [event.seq for event in await store.events_since("m1", seen[-1])]
    assert seen == [1, 2]


async def test_a_batch_of_events_is_stored_with_consecutive_seqs(store: MeasurementStore) -> None:
    await create(store)
    await store.append_event("m1", 1, reply(1))
    await store.append_events("m1", 2, [reply(2), reply(3), reply(4)])
    await store.append_events("m1", 5, [])
    await store.append_events("m1", 7, [reply(7)])  # seq may jump, as with append_event
    got = await store.events_since("m1", 0)
    assert [(event.seq, event.event) for event in got] == [(s, reply(s)) for s in (1, 2, 3, 4, 7)]


@pytest.mark.parametrize("first_seq", [1, 2])
async def test_a_batch_that_does_not_follow_is_refused_whole(
    store: MeasurementStore, first_seq: int
) -> None:
    await create(store)
    await store.append_events("m1", 1, [reply(1), reply(2)])
    with pytest.raises(StoreError) as caught:
        await store.append_events("m1", first_seq, [reply(3), reply(4)])
    assert caught.value.code == "event_out_of_order"
    assert [event.seq for event in await store.events_since("m1", 0)] == [1, 2]


async def test_a_batch_with_a_value_json_cannot_carry_stores_none_of_it(
    store: MeasurementStore,
) -> None:
    await create(store)
    with pytest.raises(TypeError):
        await store.append_events("m1", 1, [reply(1), {"type": "reply", "rtt_ms": object()}])
    assert await store.events_since("m1", 0) == ()


async def test_a_batch_for_a_finished_or_unknown_measurement_is_refused(
    store: MeasurementStore,
) -> None:
    await create(store)
    await store.finish("m1", status="done", summary=None, ended_at=T0 + 1)
    with pytest.raises(StoreError) as finished:
        await store.append_events("m1", 1, [reply(1)])
    with pytest.raises(MeasurementNotFoundError):
        await store.append_events("nope", 1, [reply(1)])
    assert finished.value.code == "measurement_finished"


async def test_sqlite_commits_a_batch_once(tmp_path: Path) -> None:
    statements: list[str] = []
    async with SqliteStore.open(tmp_path / "m.sqlite3") as opened:
        await create(opened)
        await opened._call(lambda db: db.set_trace_callback(statements.append))
        await opened.append_events("m1", 1, [reply(seq) for seq in range(1, 51)])
        await opened._call(lambda db: db.set_trace_callback(None))
        assert len(await opened.events_since("m1", 0)) == 50
    assert [s for s in statements if s in ("BEGIN IMMEDIATE", "COMMIT")] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]


async def test_an_unknown_measurement_is_not_found_everywhere(store: MeasurementStore) -> None:
    for attempt in (
        store.get("nope"),
        store.events_since("nope", 0),
        store.append_event("nope", 1, reply(1)),
        store.finish("nope", status="done", summary=None, ended_at=T0),
    ):
        with pytest.raises(MeasurementNotFoundError) as caught:
            await attempt
        assert caught.value.code == "not_found"


async def test_an_id_cannot_be_created_twice(store: MeasurementStore) -> None:
    await create(store)
    with pytest.raises(StoreError) as caught:
        await create(store)
    assert caught.value.code == "measurement_exists"


@pytest.mark.parametrize("seq", [0, 2])
async def test_an_event_whose_seq_does_not_grow_is_refused(
    store: MeasurementStore, seq: int
) -> None:
    await create(store)
    await store.append_event("m1", 1, reply(1))
    await store.append_event("m1", 2, reply(2))
    with pytest.raises(StoreError) as caught:
        await store.append_event("m1", seq, reply(seq))
    assert caught.value.code == "event_out_of_order"
    assert [event.seq for event in (await store.get("m1")).events] == [1, 2]


async def test_a_finished_measurement_takes_no_more_events_nor_a_second_finish(
    store: MeasurementStore,
) -> None:
    await create(store)
    await store.finish("m1", status="cancelled", summary=None, ended_at=T0 + 1)
    with pytest.raises(StoreError) as appending:
        await store.append_event("m1", 1, reply(1))
    with pytest.raises(StoreError) as finishing:
        await store.finish("m1", status="done", summary=None, ended_at=T0 + 2)
    assert appending.value.code == finishing.value.code == "measurement_finished"
    assert (await store.get("m1")).status == "cancelled"


async def test_retention_purges_measurements_created_before_the_cutoff(
    store: MeasurementStore,
) -> None:
    await create(store, "old", created_at=T0 - 86_400)
    await store.append_event("old", 1, reply(1))
    await create(store, "new", created_at=T0)
    assert await store.purge_older_than(T0 - 1) == 1
    with pytest.raises(MeasurementNotFoundError):
        await store.get("old")
    assert (await store.get("new")).id == "new"
    assert await store.purge_older_than(T0 - 1) == 0


async def test_concurrent_appends_keep_each_measurements_order(store: MeasurementStore) -> None:
    ids = [f"m{n}" for n in range(5)]
    for mid in ids:
        await create(store, mid)

    async def writer(mid: str) -> None:
        for seq in range(1, 41):
            await store.append_event(mid, seq, reply(seq, agent=mid))
            await asyncio.sleep(0)  # let the other writers interleave

    async with asyncio.timeout(20), asyncio.TaskGroup() as tasks:
        for mid in ids:
            tasks.create_task(writer(mid))
    for mid in ids:
        events = (await store.get(mid)).events
        assert [event.seq for event in events] == list(range(1, 41))
        assert {event.event["agent"] for event in events} == {mid}


async def test_appends_issued_at_once_to_one_measurement_land_in_issue_order(
    store: MeasurementStore,
) -> None:
    """Several agents' events merged into one measurement: seq is taken, then the append is
    issued; many are in flight together, and none may overtake another."""
    await create(store)
    async with asyncio.timeout(20), asyncio.TaskGroup() as tasks:
        for seq in range(1, 101):
            tasks.create_task(store.append_event("m1", seq, reply(seq, agent=f"a{seq % 3}")))
    assert [event.seq for event in await store.events_since("m1", 0)] == list(range(1, 101))


async def test_sqlite_keeps_everything_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "measurements.sqlite3"
    async with SqliteStore.open(path) as first:
        await create(first)
        await first.append_event("m1", 1, reply(1))
        await first.finish("m1", status="done", summary={"sent": 1}, ended_at=T0 + 1)
    async with SqliteStore.open(path) as second:
        got = await second.get("m1")
    assert (got.status, got.summary, [event.seq for event in got.events]) == (
        "done",
        {"sent": 1},
        [1],
    )


async def test_sqlite_runs_in_wal_mode_with_a_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "measurements.sqlite3"
    async with SqliteStore.open(path) as opened:
        assert await opened.journal_mode() == "wal"
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        versions = db.execute("SELECT component, version FROM schema_version").fetchall()
    assert versions == [("measurements", SCHEMA_VERSION)]


async def test_sqlite_refuses_a_file_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "measurements.sqlite3"
    async with SqliteStore.open(path):
        pass
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError) as caught:
        async with SqliteStore.open(path):
            pass
    assert caught.value.code == "state_too_new"


async def test_sqlite_shares_a_file_with_the_revocations(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    SqliteRevocations.open(path).close()
    async with SqliteStore.open(path) as opened:
        await create(opened)
    with closing(sqlite3.connect(path)) as db:
        versions = dict(db.execute("SELECT component, version FROM schema_version"))
    assert versions == {"revocations": 1, "measurements": SCHEMA_VERSION}


async def test_a_closed_sqlite_store_refuses_calls(tmp_path: Path) -> None:
    async with SqliteStore.open(tmp_path / "m.sqlite3") as opened:
        pass
    with pytest.raises(StoreError) as caught:
        await opened.get("m1")
    assert caught.value.code == "store_unavailable"


async def test_interrupting_ends_running_measurements_with_an_interrupted_end(
    store: MeasurementStore,
) -> None:
    await create(store, "running")
    await store.append_event("running", 1, reply(1))
    await create(store, "silent")
    await create(store, "over")
    await store.finish("over", status="done", summary=None, ended_at=T0 + 1)
    assert sorted(await store.interrupt_running(T0 + 2.5)) == ["running", "silent"]
    got = await store.get("running")
    assert (got.status, got.ended_at) == ("interrupted", T0 + 2.5)
    assert [stored.seq for stored in got.events] == [1, 2]
    end = got.events[-1].event
    assert (end["type"], end["status"], end["duration_ms"]) == ("end", "interrupted", 2500.0)
    assert from_dict(end).type == "end"  # a valid event of the published model
    assert [stored.seq for stored in (await store.get("silent")).events] == [1]
    assert (await store.get("over")).status == "done"
    assert await store.interrupt_running(T0 + 3) == ()  # nothing is running any more
