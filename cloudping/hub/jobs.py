"""A measurement command cut into jobs: one per agent and target (design.md "Auth, limits").

An agent runs one target per job, so that each job has one stream, one summary and one end,
and losing an agent loses exactly its own jobs. The job's command carries no selection: the
hub has already chosen who runs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cloudping.commands import Command
from cloudping.errors import CloudpingError

MEASUREMENT_COMMANDS = frozenset({"ping", "traceroute", "mtr", "tcping", "dns", "http", "scan"})
# The field holding each multi-target command's targets; the others have one target field.
_MANY = {"ping": "targets", "tcping": "targets", "dns": "names", "http": "urls"}
_ONE = {"traceroute": "target", "mtr": "target", "scan": "cidr"}


@dataclass(frozen=True, slots=True)
class JobPlan:
    """One job to offer: which agent, which target, and the one-target command it runs."""

    job_id: str
    agent: str
    target: str
    command: Command


def targets_of(command: Command) -> tuple[str, ...]:
    """The targets of a measurement command, as the user wrote them.

    Raises:
        CloudpingError: ``not_a_measurement`` for ``list``, ``help`` and the other commands
            the hub answers itself.
    """
    if command.command in _MANY:
        targets: tuple[str, ...] = getattr(command, _MANY[command.command])
        return targets
    if command.command in _ONE:
        return (str(getattr(command, _ONE[command.command])),)
    message = f"{command.command} is not a measurement: no agent runs it"
    raise CloudpingError(message, code="not_a_measurement", command=command.command)


def one_target(command: Command, target: str) -> Command:
    """``command`` narrowed to ``target``, without its selection (the agent's job)."""
    update: dict[str, object] = {"from_": None}
    if command.command in _MANY:
        update[_MANY[command.command]] = (target,)
    return command.model_copy(update=update)


def plan_jobs(
    measurement_id: str, command: Command, agents: Sequence[str], max_jobs: int
) -> tuple[JobPlan, ...]:
    """Agents x targets jobs, ids ``<measurement>.<n>``.

    Raises:
        CloudpingError: ``quota_exceeded`` with the numbers when there would be more than
            ``max_jobs`` jobs; ``not_a_measurement`` as :func:`targets_of`.
    """
    targets = targets_of(command)
    count = len(agents) * len(targets)
    if count > max_jobs:
        raise CloudpingError(
            f"{len(agents)} agents x {len(targets)} targets = {count} jobs, "
            f"more than the {max_jobs} allowed per measurement",
            code="quota_exceeded",
            limit="jobs_per_measurement",
            requested=count,
            allowed=max_jobs,
        )
    pairs = [(agent, target) for agent in agents for target in targets]
    return tuple(
        JobPlan(f"{measurement_id}.{n}", agent, target, one_target(command, target))
        for n, (agent, target) in enumerate(pairs, start=1)
    )
