"""What the measurement store keeps, its errors, and the rules every backend applies.

A measurement is created when the hub accepts a command, gets its events appended with
sequence numbers that start at 1 and only grow, and is finished once, with a final status.
The rules live here, as pure functions, so the in-memory twin, SQLite and any later backend
(PostgreSQL) refuse the same things with the same codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudping.errors import CloudpingError
from cloudping.events import to_dict
from cloudping.events.frame import StreamFrame
from cloudping.events.status import FINAL_STATUSES, FinalStatus, MeasurementStatus

# The statuses are defined once, beside the event model's end status; the store names them.
__all__ = [
    "FINAL_STATUSES",
    "FinalStatus",
    "MeasurementNotFoundError",
    "MeasurementStatus",
    "StoreError",
    "StoredEvent",
    "StoredMeasurement",
    "check_append",
    "check_finish",
    "exists",
    "interrupted_end",
    "not_found",
]


class StoreError(CloudpingError):
    """A store operation that breaks the rules (or a store file this version cannot use)."""

    code = "store_error"


class MeasurementNotFoundError(StoreError):
    """No measurement with this id (never made, or purged by retention)."""

    code = "not_found"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event of a measurement: its sequence number and its JSON object (``to_dict``)."""

    seq: int
    event: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoredMeasurement:
    """A measurement as stored: the request, who asked, where it ran, and what came back.

    Times are POSIX seconds. ``status`` is ``running`` until :meth:`finish`; ``summary`` and
    ``ended_at`` are ``None`` until then. ``event_count`` is how many events are stored
    (``events`` holds them all, or none when read with ``events=False``). ``read_key`` lets
    whoever holds it read this one measurement (``None`` for one stored before keys existed).
    """

    id: str
    command: str
    command_json: dict[str, Any]
    subject: str | None
    agents: tuple[str, ...]
    created_at: float
    status: MeasurementStatus
    summary: dict[str, Any] | None
    ended_at: float | None
    events: tuple[StoredEvent, ...]
    event_count: int
    read_key: str | None = None


def not_found(measurement_id: str) -> MeasurementNotFoundError:
    """The error for an unknown measurement id."""
    return MeasurementNotFoundError(
        f"no measurement {measurement_id!r} (unknown, or removed after the retention time)",
        id=measurement_id,
    )


def check_append(measurement_id: str, status: MeasurementStatus, last_seq: int, seq: int) -> None:
    """Refuse an event for a finished measurement, or one whose ``seq`` does not grow.

    Growing sequence numbers are what make replay-then-follow exact: a follower that has
    seen ``seq`` N can never miss an event stored later with a smaller number.
    """
    if status != "running":
        raise StoreError(
            f"measurement {measurement_id!r} is finished ({status}): no more events",
            code="measurement_finished",
            id=measurement_id,
        )
    if seq <= last_seq:
        raise StoreError(
            f"event seq {seq} of measurement {measurement_id!r} does not follow {last_seq}",
            code="event_out_of_order",
            id=measurement_id,
            seq=seq,
            last_seq=last_seq,
        )


def check_finish(measurement_id: str, status: MeasurementStatus, final: str) -> None:
    """Refuse a second finish, or a final status that is not one."""
    if final not in FINAL_STATUSES:
        raise ValueError(f"final status must be one of {FINAL_STATUSES}, not {final!r}")
    if status != "running":
        raise StoreError(
            f"measurement {measurement_id!r} is already finished ({status})",
            code="measurement_finished",
            id=measurement_id,
        )


def interrupted_end(measurement_id: str, created_at: float, ended_at: float) -> dict[str, Any]:
    """The ``end`` event (as ``to_dict`` writes it) that closes a measurement a crash left
    ``running``, so that a replay ends as every stream does (design.md: ``end`` is last);
    written by the same frame as every other stream's end."""
    frame = StreamFrame(measurement_id, created_at, status="interrupted")
    return to_dict(frame.ending(max(ended_at, created_at)))


def exists(measurement_id: str) -> StoreError:
    """The error for a second measurement with the same id."""
    message = f"measurement {measurement_id!r} already exists"
    return StoreError(message, code="measurement_exists", id=measurement_id)
