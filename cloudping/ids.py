"""Identifiers shared by the local runner and the hub."""

from __future__ import annotations

import secrets
import time
import uuid


def new_measurement_id() -> str:
    """A new measurement id: sortable by creation time, unique (time prefix + random)."""
    return f"{time.time_ns() // 1_000_000:012x}{uuid.uuid4().hex[:12]}"


def new_read_key() -> str:
    """A measurement's read key: whoever holds it may read that one measurement (``?key=``).

    128 random bits, so that it cannot be guessed, where the id (time + 48 bits) is only unique.
    """
    return secrets.token_urlsafe(16)
