"""What every report shares: its heading lines and the notes its errors become."""

from __future__ import annotations

from datetime import UTC, datetime

from cloudping.render.numbers import format_rtt
from cloudping.render.snapshot import JobView, Snapshot


def heading(command: str, snapshot: Snapshot, when: datetime | None) -> tuple[str, ...]:
    """The command as asked, who ran it and how it stands, and the date when given."""
    asked = snapshot.measurement.command if snapshot.measurement else command
    lines = [asked, f"agents: {', '.join(snapshot.agents) or 'none yet'} - {state(snapshot)}"]
    if when is not None:
        stamp = when if when.tzinfo else when.replace(tzinfo=UTC)
        lines.append(stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
    return tuple(lines)


def state(snapshot: Snapshot) -> str:
    """``running (2/3 jobs done)`` until the end came, then its status and duration."""
    if snapshot.end is None:
        done = sum(job.state != "running" for job in snapshot.jobs.values())
        return f"running ({done}/{len(snapshot.jobs)} jobs done)"
    return f"{snapshot.end.status} in {snapshot.end.duration_ms / 1000:.1f} s"


def notes(snapshot: Snapshot) -> tuple[str, ...]:
    """One line per error: the measurement's own, then each job's."""
    lines = [f"error {e.code}: {e.message}" for e in snapshot.errors]
    for job in snapshot.jobs.values():
        lines += [f"error {e.code} ({job.agent} {job.target}): {e.message}" for e in job.errors]
    return tuple(lines)


def ms(value: float | None) -> str:
    """An RTT as the text renderers print it, ``-`` when there is none."""
    return "-" if value is None else format_rtt(value)


def jobs_of(snapshot: Snapshot) -> list[JobView]:
    """The jobs in the order they first appeared."""
    return list(snapshot.jobs.values())
