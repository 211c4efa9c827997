"""Typed views of the two JSON payloads the protocol carries: commands and events.

The wire keeps a job's command and its events in their JSON forms (what
``cloudping.commands.to_json`` and ``cloudping.events.to_dict`` give), so that relaying an
event costs no second validation. The side that acts on one validates it here: the agent its
command, the hub each event before it reaches a channel (an agent is not trusted to send
well-formed events).
"""

from __future__ import annotations

from pydantic import ValidationError

from cloudping.commands import Command, from_json, to_json
from cloudping.events import Event, from_dict, to_dict
from cloudping.policy import DEFAULT_LIMITS, Limits
from cloudping.wire.errors import WireError
from cloudping.wire.messages import JobEvent, JobLimits, JobOffer


def job_offer(job_id: str, command: Command, limits: JobLimits) -> JobOffer:
    """The offer of ``command`` (one target) as job ``job_id``."""
    return JobOffer(job_id=job_id, command=to_json(command), limits=limits)


def offered_command(offer: JobOffer, limits: Limits = DEFAULT_LIMITS) -> Command:
    """The command of an offer, checked as the parser checks a command line.

    Raises:
        cloudping.errors.UsageError: the command is not valid under ``limits``.
    """
    return from_json(offer.command, limits=limits)


def job_event(job_id: str, event: Event) -> JobEvent:
    """The message carrying ``event`` of job ``job_id``."""
    return JobEvent(job_id=job_id, event=to_dict(event))


def reported_event(message: JobEvent) -> Event:
    """The typed event a job event carries.

    Raises:
        WireError: (kind ``bad_event``) the agent sent something that is not an event.
    """
    try:
        return from_dict(message.event)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise WireError(
            f"job {message.job_id!r} sent a malformed event: {where}: {first['msg']}",
            kind="bad_event",
        ) from exc
