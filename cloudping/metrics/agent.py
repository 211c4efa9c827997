"""An agent's metrics: jobs by command and result, packets, probe durations, limits hit."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from cloudping.metrics.exposition import exposition
from cloudping.metrics.labels import COMMANDS, LIMITS, bounded

# One ping packet is milliseconds, a default 4-packet ping ~3 s, a scan minutes.
PROBE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
JOB_RESULTS = frozenset({"completed", "failed", "cancelled"})


class AgentMetrics:
    """The agent's :class:`~cloudping.agent.observer.AgentObserver`, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._jobs = Counter(
            "cloudping_agent_jobs",
            "Jobs ended, by command and result",
            ["command", "result"],
            registry=r,
        )
        self._sent = Counter(
            "cloudping_agent_packets_sent",
            "Probe packets sent, by command",
            ["command"],
            registry=r,
        )
        self._received = Counter(
            "cloudping_agent_packets_received",
            "Answers to probe packets received, by command",
            ["command"],
            registry=r,
        )
        self._duration = Histogram(
            "cloudping_agent_probe_duration_seconds",
            "How long a job's probe ran, by command",
            ["command"],
            buckets=PROBE_BUCKETS,
            registry=r,
        )
        self._limited = Counter(
            "cloudping_agent_limited_jobs",
            "Jobs refused or stopped by a limit (rate, packets, duration)",
            ["limit"],
            registry=r,
        )
        for command in COMMANDS:
            self._sent.labels(command)
            self._received.labels(command)

    def job_ended(self, command: str, result: str, seconds: float) -> None:
        """See :class:`~cloudping.agent.observer.AgentObserver`."""
        name = bounded(command, COMMANDS)
        self._jobs.labels(name, bounded(result, JOB_RESULTS)).inc()
        self._duration.labels(name).observe(seconds)

    def packets(self, command: str, sent: int, received: int) -> None:
        """See :class:`~cloudping.agent.observer.AgentObserver`."""
        name = bounded(command, COMMANDS)
        self._sent.labels(name).inc(sent)
        self._received.labels(name).inc(received)

    def limited(self, limit: str) -> None:
        """See :class:`~cloudping.agent.observer.AgentObserver`."""
        self._limited.labels(bounded(limit, LIMITS)).inc()

    async def scrape(self) -> bytes:
        """Every metric written out (an agent has no state to read at scrape time)."""
        return exposition(self.registry)
