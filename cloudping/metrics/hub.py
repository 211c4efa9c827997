"""The hub's metrics: what its observer hooks count, and the state read at each scrape (the
live agents by transport and state, the store's size on disk)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from cloudping.hub import Hub
from cloudping.hub.agentdoor import WireAgentHandle
from cloudping.hub.local import LocalAgentBridge
from cloudping.hub.registry import AgentHandle
from cloudping.metrics.exposition import exposition
from cloudping.metrics.labels import (
    AGENT_STATES,
    CHANNELS,
    COMMANDS,
    END_STATUS,
    JOB_RESULTS,
    OTHER,
    REFUSALS,
    REQUEST_STATUS,
    TRANSPORTS,
    bounded,
)
from cloudping.transport.wsbinding import WsBinding

# A ping of 4 packets takes ~3 s, a traceroute tens of seconds, a scan minutes.
MEASUREMENT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
# The stream's lag behind the agents is one queue hop on the event loop: sub-millisecond
# unless the loop is overloaded.
LAG_BUCKETS = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1)


class HubMetrics:
    """The hub's :class:`~cloudping.hub.observer.HubObserver`, counting into its own registry.

    Args:
        store_files: the store's files on disk, summed for ``cloudping_hub_store_bytes``.
    """

    def __init__(self, store_files: Sequence[Path] = ()) -> None:
        self.registry = CollectorRegistry()
        self._store_files = tuple(store_files)
        r = self.registry
        self._agents = Gauge(
            "cloudping_hub_agents",
            "Agents connected, by transport and state (busy: a job is open on it)",
            ["transport", "state"],
            registry=r,
        )
        self._started = Counter(
            "cloudping_hub_measurements_started",
            "Measurements started, by command",
            ["command"],
            registry=r,
        )
        self._finished = Counter(
            "cloudping_hub_measurements_finished",
            "Measurements finished, by command and end status",
            ["command", "status"],
            registry=r,
        )
        self._duration = Histogram(
            "cloudping_hub_measurement_duration_seconds",
            "How long measurements ran, by command",
            ["command"],
            buckets=MEASUREMENT_BUCKETS,
            registry=r,
        )
        self._jobs = Counter("cloudping_hub_jobs", "Jobs ended, by result", ["result"], registry=r)
        self._requests = Counter(
            "cloudping_hub_requests",
            "Commands asked for, by channel and status (ok or the error code)",
            ["channel", "status"],
            registry=r,
        )
        self._refusals = Counter(
            "cloudping_hub_refusals",
            "Measurements or jobs refused, by reason (quota, scope, policy)",
            ["reason"],
            registry=r,
        )
        self._store = Gauge(
            "cloudping_hub_store_bytes", "Size of the measurement store on disk", registry=r
        )
        self._lag = Histogram(
            "cloudping_hub_event_lag_seconds",
            "Time from the hub receiving an agent's event to the event entering its stream",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        for command in COMMANDS:
            self._started.labels(command)

    # -- HubObserver --------------------------------------------------------------------------

    def measurement_started(self, command: str) -> None:
        """See :class:`~cloudping.hub.observer.HubObserver`."""
        self._started.labels(bounded(command, COMMANDS)).inc()

    def measurement_ended(self, command: str, status: str, seconds: float) -> None:
        """See :class:`~cloudping.hub.observer.HubObserver`."""
        name = bounded(command, COMMANDS)
        self._finished.labels(name, bounded(status, END_STATUS)).inc()
        self._duration.labels(name).observe(seconds)

    def job_ended(self, result: str) -> None:
        """See :class:`~cloudping.hub.observer.HubObserver`."""
        self._jobs.labels(bounded(result, JOB_RESULTS)).inc()

    def event_lag(self, seconds: float) -> None:
        """See :class:`~cloudping.hub.observer.HubObserver`."""
        self._lag.observe(max(0.0, seconds))

    def refused(self, reason: str) -> None:
        """See :class:`~cloudping.hub.observer.HubObserver`."""
        self._refusals.labels(bounded(reason, REFUSALS)).inc()

    def request(self, channel: str, status: str) -> None:
        """See :class:`~cloudping.hub.observer.HubObserver`."""
        self._requests.labels(bounded(channel, CHANNELS), bounded(status, REQUEST_STATUS)).inc()

    # -- at scrape time -----------------------------------------------------------------------

    async def scrape(self, hub: Hub) -> bytes:
        """Read the agents and the store's size now, then write every metric out."""
        counts = {(t, s): 0 for t in (*TRANSPORTS, OTHER) for s in AGENT_STATES}
        busy = hub.handles_at_work()
        for entry in await hub.registry.list():
            state = "busy" if entry.handle in busy else "idle"
            counts[transport_of(entry.handle), state] += 1
        for (transport, state), count in counts.items():
            self._agents.labels(transport, state).set(count)
        self._store.set(sum(_size(path) for path in self._store_files))
        return exposition(self.registry)


def transport_of(handle: AgentHandle) -> str:
    """What carries the hub's messages to an agent: ``quic``, ``websocket`` or ``local``."""
    if isinstance(handle, LocalAgentBridge):
        return "local"
    if isinstance(handle, WireAgentHandle):
        return "websocket" if isinstance(handle.connection.binding, WsBinding) else "quic"
    return OTHER


def _size(path: Path) -> int:
    """A file's size in bytes, 0 when it is not there (SQLite's -wal comes and goes)."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
