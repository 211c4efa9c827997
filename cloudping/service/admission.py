"""Quotas checked before a measurement starts: per hour, and jobs per measurement."""

from __future__ import annotations

from cloudping.commands import Command, targets_of
from cloudping.errors import CloudpingError
from cloudping.hub import Hub
from cloudping.hub.jobs import check_job_count
from cloudping.hub.selection import count_agents
from cloudping.service.caller import Caller
from cloudping.service.window import HOUR, SlidingWindow


class Admission:
    """Lets a caller's measurement through, or raises ``quota_exceeded`` with the numbers."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._window = SlidingWindow(HOUR)

    async def admit(self, caller: Caller, command: Command, now: float) -> None:
        """Check both quotas, then count the measurement against the hour.

        Raises:
            CloudpingError: ``not_a_measurement``, ``no_agent_matched`` (as the hub would) or
                ``quota_exceeded`` (``limit``, ``allowed``, and ``retry_after_s`` for the hour).
        """
        await self._check_jobs(caller, command)
        self._check_hour(caller, now)
        self._window.record(caller.subject, now)

    def _check_hour(self, caller: Caller, now: float) -> None:
        allowed = caller.quota.measurements_per_hour
        wait = self._window.retry_after(caller.subject, allowed, now)
        if wait is None:
            return
        raise CloudpingError(
            f"{caller.subject} has started {allowed} measurements this hour, the most allowed",
            code="quota_exceeded",
            limit="measurements_per_hour",
            allowed=allowed,
            used=self._window.used(caller.subject, now),
            retry_after_s=round(wait, 3),
            resets_at=round(now + wait, 3),
        )

    async def _check_jobs(self, caller: Caller, command: Command) -> None:
        targets = targets_of(command)
        # The hub's choice is random in which agents, never in how many: count them only.
        agents = count_agents(await self._hub.registry.list(), command)
        check_job_count(agents, len(targets), caller.quota.jobs_per_measurement)
