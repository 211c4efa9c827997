"""A registry in Prometheus' text exposition format, and what a ``/metrics`` route serves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
Scrape = Callable[[], Awaitable[bytes]]
"""The text of one scrape: state read now, then every metric written out."""


def exposition(registry: CollectorRegistry) -> bytes:
    """Every metric of ``registry`` in the text format (version 0.0.4)."""
    return generate_latest(registry)
