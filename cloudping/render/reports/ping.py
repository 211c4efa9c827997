"""ping and tcping as a matrix: a row per target, a column per agent, each cell the average
RTT and the loss so far, coloured by the RTT."""

from __future__ import annotations

from datetime import datetime
from statistics import fmean

from cloudping.events import PingSummaryEvent, ReplyEvent
from cloudping.render.budget import cut
from cloudping.render.reports.common import heading, ms, notes
from cloudping.render.reports.model import Cell, Report, Table
from cloudping.render.snapshot import JobView, Snapshot

# A table stays within a phone-sized card (~1080 px): a target column and four agents.
AGENTS_PER_TABLE = 4
AGENT_CHARS = 20


def ping_report(command: str, snapshot: Snapshot, when: datetime | None) -> Report:
    """The matrix of targets x agents, :data:`AGENTS_PER_TABLE` agents to a table."""
    agents = snapshot.agents
    groups = [agents[i : i + AGENTS_PER_TABLE] for i in range(0, len(agents), AGENTS_PER_TABLE)]
    tables = tuple(_table(snapshot, group, len(agents), n * AGENTS_PER_TABLE) for n, group in
                   enumerate(groups or [[]]))  # fmt: skip
    return Report(heading(command, snapshot, when), tables, notes(snapshot))


def _table(snapshot: Snapshot, agents: list[str], of: int, first: int) -> Table:
    rows = tuple(
        (Cell(target), *(_cell(snapshot.jobs.get((agent, target))) for agent in agents))
        for target in snapshot.targets
    )
    which = f" (agents {first + 1}-{first + len(agents)} of {of})" if of > len(agents) else ""
    header = ("target", *(cut(agent, AGENT_CHARS) for agent in agents))
    return Table(f"avg RTT (ms) / loss{which}", header, rows)


def _cell(job: JobView | None) -> Cell:
    if job is None:
        return Cell("")
    summary = job.outcome(PingSummaryEvent)
    if isinstance(summary, PingSummaryEvent):
        avg, loss = summary.avg_ms, summary.loss
    else:
        avg, loss = _so_far(job)
    if job.state == "error" and summary is None:
        return Cell("error", rtt=True)
    if summary is None and not job.rows:
        return Cell("…")  # started, nothing back yet: no colour to give
    mark = "" if job.state == "done" else " …"
    text = "no answer" if avg is None else f"{ms(avg)} ms"
    if isinstance(summary, PingSummaryEvent) and summary.open == 0 and summary.received:
        # The host answered (coloured by its RTT) but refused every connect: not a service.
        return Cell(f"{text} port closed", rtt=True, rtt_ms=avg)
    return Cell(f"{text} {loss:g}%{mark}", rtt=True, rtt_ms=avg)


def _so_far(job: JobView) -> tuple[float | None, float]:
    """Average RTT and loss of the probes answered or timed out so far (a running job)."""
    answers = [
        row.rtt_ms
        for row in job.rows
        if isinstance(row, ReplyEvent) and not (row.duplicate or row.late or row.icmp_error)
    ]
    probes = len({row.seq for row in job.rows})
    loss = 100.0 * (probes - len(answers)) / probes if probes else 0.0
    return (fmean(answers) if answers else None), round(loss, 1)
