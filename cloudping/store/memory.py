"""The in-memory measurement store: the twin that tests and examples use.

It keeps JSON text, as a database would, so what comes back is a copy that shares nothing
with what went in, and a value JSON cannot carry fails here as it would in SQLite.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudping.store.model import (
    FinalStatus,
    MeasurementStatus,
    StoredEvent,
    StoredMeasurement,
    check_append,
    check_finish,
    exists,
    interrupted_end,
    not_found,
)


@dataclass
class _Record:
    command: str
    command_json: str
    subject: str | None
    agents: tuple[str, ...]
    created_at: float
    status: MeasurementStatus = "running"
    summary: str | None = None
    ended_at: float | None = None
    events: list[tuple[int, str]] = field(default_factory=list)
    read_key: str | None = None

    @property
    def last_seq(self) -> int:
        return self.events[-1][0] if self.events else 0


class MemoryStore:
    """Measurements in a dict. Every method runs without awaiting, so each is atomic."""

    def __init__(self) -> None:
        self._records: dict[str, _Record] = {}

    async def create(
        self,
        measurement_id: str,
        *,
        command: str,
        command_json: Mapping[str, Any],
        subject: str | None,
        agents: Sequence[str],
        created_at: float,
        read_key: str | None = None,
    ) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.create`."""
        if measurement_id in self._records:
            raise exists(measurement_id)
        self._records[measurement_id] = _Record(
            command, _dump(command_json), subject, tuple(agents), created_at, read_key=read_key
        )

    async def append_event(self, measurement_id: str, seq: int, event: Mapping[str, Any]) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.append_event`."""
        await self.append_events(measurement_id, seq, (event,))

    async def append_events(
        self, measurement_id: str, first_seq: int, events: Sequence[Mapping[str, Any]]
    ) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.append_events`."""
        record = self._record(measurement_id)
        check_append(measurement_id, record.status, record.last_seq, first_seq)
        texts = [_dump(event) for event in events]  # all or none: a bad value fails them all
        record.events.extend(enumerate(texts, start=first_seq))

    async def finish(
        self,
        measurement_id: str,
        *,
        status: FinalStatus,
        summary: Mapping[str, Any] | None,
        ended_at: float,
    ) -> None:
        """See :meth:`cloudping.store.base.MeasurementStore.finish`."""
        record = self._record(measurement_id)
        check_finish(measurement_id, record.status, status)
        record.status = status
        record.summary = None if summary is None else _dump(summary)
        record.ended_at = ended_at

    async def get(self, measurement_id: str, *, events: bool = True) -> StoredMeasurement:
        """See :meth:`cloudping.store.base.MeasurementStore.get`."""
        record = self._record(measurement_id)
        return StoredMeasurement(
            id=measurement_id,
            command=record.command,
            command_json=json.loads(record.command_json),
            subject=record.subject,
            agents=record.agents,
            created_at=record.created_at,
            status=record.status,
            summary=None if record.summary is None else json.loads(record.summary),
            ended_at=record.ended_at,
            events=_events(record.events, 0) if events else (),
            event_count=len(record.events),
            read_key=record.read_key,
        )

    async def events_since(
        self, measurement_id: str, seq: int, limit: int | None = None
    ) -> tuple[StoredEvent, ...]:
        """See :meth:`cloudping.store.base.MeasurementStore.events_since`."""
        return _events(self._record(measurement_id).events, seq, limit)

    async def interrupt_running(self, ended_at: float) -> tuple[str, ...]:
        """See :meth:`cloudping.store.base.MeasurementStore.interrupt_running`."""
        running = [key for key, record in self._records.items() if record.status == "running"]
        for key in running:
            record = self._records[key]
            end = interrupted_end(key, record.created_at, ended_at)
            record.events.append((record.last_seq + 1, _dump(end)))
            record.status, record.ended_at = "interrupted", ended_at
        return tuple(running)

    async def purge_older_than(self, cutoff: float) -> int:
        """See :meth:`cloudping.store.base.MeasurementStore.purge_older_than`."""
        old = [key for key, record in self._records.items() if record.created_at < cutoff]
        for key in old:
            del self._records[key]
        return len(old)

    def _record(self, measurement_id: str) -> _Record:
        record = self._records.get(measurement_id)
        if record is None:
            raise not_found(measurement_id)
        return record


def _dump(value: Mapping[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"))


def _events(
    events: list[tuple[int, str]], after: int, limit: int | None = None
) -> tuple[StoredEvent, ...]:
    start = bisect.bisect_right(events, after, key=lambda row: row[0])  # seq only grows
    wanted = events[start:] if limit is None else events[start : start + limit]
    return tuple(StoredEvent(seq, json.loads(text)) for seq, text in wanted)
