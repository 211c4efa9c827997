"""Read keys are stored with their measurement, and an older file gains the column."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cloudping.store import MeasurementStore, SqliteStore

pytestmark = pytest.mark.anyio
T0 = 1_750_000_000.0
# The measurements schema as version 1 wrote it (before read keys), with one measurement.
VERSION_1 = (
    "CREATE TABLE schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    "INSERT INTO schema_version VALUES ('measurements', 1)",
    """CREATE TABLE measurements (id TEXT PRIMARY KEY, command TEXT NOT NULL,
        command_json TEXT NOT NULL, subject TEXT, agents TEXT NOT NULL, created_at REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'running', summary TEXT, ended_at REAL)""",
    "CREATE INDEX measurements_created_at ON measurements (created_at)",
    """CREATE TABLE events (measurement_id TEXT NOT NULL REFERENCES measurements (id)
        ON DELETE CASCADE, seq INTEGER NOT NULL, event TEXT NOT NULL,
        PRIMARY KEY (measurement_id, seq)) WITHOUT ROWID""",
    """INSERT INTO measurements (id, command, command_json, subject, agents, created_at)
        VALUES ('old', 'ping x', '{"command": "ping"}', 'alice', '["fra1"]', 1)""",
)


async def test_a_measurement_keeps_its_read_key(store: MeasurementStore) -> None:
    await store.create(
        "m1",
        command="ping x",
        command_json={"command": "ping", "targets": ["x"]},
        subject="guest:198.18.0.5",
        agents=["fra1"],
        created_at=T0,
        read_key="k" * 22,
    )
    assert (await store.get("m1")).read_key == "k" * 22
    assert (await store.get("m1", events=False)).read_key == "k" * 22


async def test_an_older_file_gains_read_keys_and_keeps_its_measurements(tmp_path: Path) -> None:
    path = tmp_path / "measurements.sqlite3"
    with closing(sqlite3.connect(path)) as db, db:
        for statement in VERSION_1:
            db.execute(statement)
    async with SqliteStore.open(path) as opened:
        old = await opened.get("old")
        await opened.create(
            "new",
            command="ping x",
            command_json={"command": "ping", "targets": ["x"]},
            subject="alice",
            agents=["fra1"],
            created_at=T0,
            read_key="secret",
        )
        new = await opened.get("new")
    assert (old.subject, old.read_key) == ("alice", None)  # only its owner reads it
    assert new.read_key == "secret"
