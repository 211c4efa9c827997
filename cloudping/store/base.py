"""The measurement store seam: one small Protocol, backends behind it.

Backends: :mod:`cloudping.store.memory` (the twin tests and examples use) and
:mod:`cloudping.store.sqlite` (the data directory's file). Nothing here is SQLite-shaped:
ids and texts are strings, JSON values are dicts, times are POSIX seconds, so a PostgreSQL
backend (asyncpg, ``jsonb`` columns) fits behind the same methods.

Replay-then-follow (``GET /measurements/{id}/events``): subscribe to the live events first,
then replay :meth:`MeasurementStore.events_since` from the last ``seq`` the client has, then
forward live events whose ``seq`` is above the last one replayed. Because stored ``seq``
only grows, nothing is lost or doubled in between.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from cloudping.store.model import FinalStatus, StoredEvent, StoredMeasurement


class MeasurementStore(Protocol):
    """Where measurements, their events and their summaries are kept.

    Every method raises :class:`~cloudping.store.model.MeasurementNotFoundError` for an
    unknown id (except :meth:`create`), and :class:`~cloudping.store.model.StoreError` with a
    stable code when a rule is broken. Calls issued one after another take effect in that
    order; a call whose task is cancelled may or may not have taken effect.
    """

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
        """Record a new, running measurement (``measurement_exists`` when the id is taken),
        with the key that lets others read it."""
        ...

    async def append_event(self, measurement_id: str, seq: int, event: Mapping[str, Any]) -> None:
        """Add one event; ``seq`` starts at 1 and must grow (``event_out_of_order``), and a
        finished measurement takes no more (``measurement_finished``)."""
        ...

    async def append_events(
        self, measurement_id: str, first_seq: int, events: Sequence[Mapping[str, Any]]
    ) -> None:
        """Add several events at once, numbered ``first_seq``, ``first_seq + 1``, ...: all of
        them or none (one transaction), under the rules of :meth:`append_event` for
        ``first_seq``. No events is no change, once the rules hold."""
        ...

    async def finish(
        self,
        measurement_id: str,
        *,
        status: FinalStatus,
        summary: Mapping[str, Any] | None,
        ended_at: float,
    ) -> None:
        """Mark the measurement finished, once (``measurement_finished`` the second time)."""
        ...

    async def get(self, measurement_id: str, *, events: bool = True) -> StoredMeasurement:
        """The whole measurement with every event, in ``seq`` order; ``events=False``: without
        them (``event_count`` still says how many), for an owner check or a page's header."""
        ...

    async def events_since(
        self, measurement_id: str, seq: int, limit: int | None = None
    ) -> tuple[StoredEvent, ...]:
        """The events after ``seq`` (0: all of them), in order, at most ``limit``: the replay
        part of a follow, or a page."""
        ...

    async def interrupt_running(self, ended_at: float) -> tuple[str, ...]:
        """Finish every ``running`` measurement as ``interrupted``, each with a last ``end``
        event of that status; their ids. For a hub starting on a store that only it uses:
        what is still running there was left by a hub that stopped without ending it."""
        ...

    async def purge_older_than(self, cutoff: float) -> int:
        """Delete measurements created before ``cutoff`` (retention); how many went."""
        ...
