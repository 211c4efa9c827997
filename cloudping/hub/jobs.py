"""A measurement command cut into jobs: one per agent and target (design.md "Auth, limits").

An agent runs one target per job, so that each job has one stream, one summary and one end,
and losing an agent loses exactly its own jobs. The job's command carries no selection: the
hub has already chosen who runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cloudping.commands import Command
from cloudping.commands.measured import one_target, targets_of
from cloudping.errors import CloudpingError


@dataclass(frozen=True, slots=True)
class JobPlan:
    """One job to offer: which agent, which target, and the one-target command it runs."""

    job_id: str
    agent: str
    target: str
    command: Command


def check_job_count(agents: int, targets: int, allowed: int) -> None:
    """Refuse more than ``allowed`` jobs (agents x targets) in one measurement.

    Raises:
        CloudpingError: ``quota_exceeded`` with ``limit`` ``jobs_per_measurement``, the jobs
            ``requested`` and ``allowed``.
    """
    requested = agents * targets
    if requested > allowed:
        raise CloudpingError(
            f"{agents} agents x {targets} targets = {requested} jobs, "
            f"more than the {allowed} allowed per measurement",
            code="quota_exceeded",
            limit="jobs_per_measurement",
            requested=requested,
            allowed=allowed,
        )


def plan_jobs(
    measurement_id: str, command: Command, agents: Sequence[str], max_jobs: int
) -> tuple[JobPlan, ...]:
    """Agents x targets jobs, ids ``<measurement>.<n>``.

    Raises:
        CloudpingError: ``quota_exceeded`` with the numbers when there would be more than
            ``max_jobs`` jobs; ``not_a_measurement`` as :func:`targets_of`.
    """
    targets = targets_of(command)
    check_job_count(len(agents), len(targets), max_jobs)
    pairs = [(agent, target) for agent in agents for target in targets]
    return tuple(
        JobPlan(f"{measurement_id}.{n}", agent, target, one_target(command, target))
        for n, (agent, target) in enumerate(pairs, start=1)
    )
