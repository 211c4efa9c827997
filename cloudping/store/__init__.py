"""The measurement store: every measurement with its command, requester, agents and events.

:class:`MeasurementStore` is the seam; :class:`MemoryStore` is its twin and
:class:`SqliteStore` the data directory's file (a PostgreSQL backend can join them later).
:class:`MeasurementWriter` writes one measurement behind its stream, in order, in batches.
"""

from cloudping.store.base import MeasurementStore
from cloudping.store.memory import MemoryStore
from cloudping.store.model import (
    FINAL_STATUSES,
    FinalStatus,
    MeasurementNotFoundError,
    MeasurementStatus,
    StoredEvent,
    StoredMeasurement,
    StoreError,
)
from cloudping.store.sqlite import SqliteStore
from cloudping.store.writer import MeasurementWriter

__all__ = [
    "FINAL_STATUSES",
    "FinalStatus",
    "MeasurementNotFoundError",
    "MeasurementStatus",
    "MeasurementStore",
    "MeasurementWriter",
    "MemoryStore",
    "SqliteStore",
    "StoreError",
    "StoredEvent",
    "StoredMeasurement",
]
