"""Identifiers shared by the local runner and the hub."""

from __future__ import annotations

import time
import uuid


def new_measurement_id() -> str:
    """A new measurement id: sortable by creation time, unique (time prefix + random)."""
    return f"{time.time_ns() // 1_000_000:012x}{uuid.uuid4().hex[:12]}"
