"""Every store test runs against the in-memory twin and SQLite alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloudping.store import MeasurementStore, MemoryStore, SqliteStore


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MeasurementStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    async with SqliteStore.open(tmp_path / "measurements.sqlite3") as opened:
        yield opened
