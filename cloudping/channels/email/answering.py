"""What each command line of a request answers, through the command service: a measurement
(run to its end, then drawn as text, HTML, pictures and its event stream), an answer (``list``,
``help``, ...) or the error a person can act on (the usage with the offending word, a quota
with when it resets)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from cloudping.channels.email.reply import Section
from cloudping.commands import format_command, is_measurement, parse
from cloudping.commands.commandnames import command_list
from cloudping.errors import CloudpingError, UsageError
from cloudping.events import Event
from cloudping.events.codec import from_dict
from cloudping.ids import new_read_key
from cloudping.render.pages.mail import mail_section, mail_text_section
from cloudping.render.pages.plain import report_text
from cloudping.render.picture import PICTURES, picture
from cloudping.render.reports import BUILDERS, report
from cloudping.render.snapshot import Snapshot
from cloudping.service import CommandService
from cloudping.service.caller import Caller
from cloudping.store import StoredMeasurement

HELP_TITLE = "Write a command in the body or the subject, one per line:"


def text_section(title: str, text: str) -> Section:
    """A section of plain words under a title."""
    return Section(f"{title}\n\n{text}", mail_text_section(title, text))


def help_section() -> Section:
    """What a request without a command gets."""
    example = "for example:  ping -c 3 example.com"
    return text_section(HELP_TITLE, f"{command_list()}\n\n{example}")


async def answer_line(
    service: CommandService, caller: Caller, line: str, public_url: str | None
) -> Section:
    """The section answering one command line; never raises an expected error (it becomes
    the section's words)."""
    try:
        command = parse(line, limits=service.settings.limits)
        if not is_measurement(command):
            answer = await service.answer(caller, command)
            return text_section(line, answer.text)
        read_key = new_read_key()
        # To its end (the reply carries the whole result), then read back as stored.
        measurement_id = await service.run(caller, command, _ignore, read_key=read_key)
        stored = await service.stored(caller, measurement_id)
    except UsageError as exc:
        usage = f"\n{exc.usage}" if exc.usage else ""
        return text_section(line, f"{exc.message}{usage}")
    except CloudpingError as exc:
        return text_section(line, _refusal(exc))
    # Drawing takes tens of milliseconds of CPU (Pillow): off the loop the hub keeps serving.
    link = _link(public_url, stored)
    return await asyncio.to_thread(measured, format_command(command), stored, link)


def _ignore(event: Event) -> None:
    """The live stream goes nowhere: a mail is written once, from the stored result."""


def measured(title: str, stored: StoredMeasurement, link: str | None) -> Section:
    """The section of a finished measurement."""
    events = [from_dict(row.event) for row in stored.events]
    name = str(stored.command_json["command"])
    when = datetime.fromtimestamp(stored.ended_at or stored.created_at, UTC)
    ndjson = "".join(json.dumps(row.event, separators=(",", ":")) + "\n" for row in stored.events)
    if name not in BUILDERS:
        return text_section(title, f"{name}: no report")
    drawn = report(name, Snapshot.of(events), when)
    return Section(
        text=report_text(drawn),
        html=mail_section(drawn),
        measurement_id=stored.id,
        pictures=_pictures(name, events, when),
        ndjson=ndjson.encode(),
        link=link,
    )


def _refusal(exc: CloudpingError) -> str:
    """An error in words; a quota says which limit it is and when it resets."""
    resets_at = exc.fields.get("resets_at")
    if exc.code != "quota_exceeded" or not isinstance(resets_at, int | float):
        return exc.message
    when = datetime.fromtimestamp(resets_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{exc.message} ({exc.fields.get('limit')}); it resets at {when}."


def _pictures(name: str, events: list[Event], when: datetime) -> tuple[bytes, ...]:
    if name not in PICTURES:
        return ()
    try:
        return (picture(name, events, when),)
    except ValueError:  # nothing to draw: the measurement never started a job
        return ()


def _link(public_url: str | None, stored: StoredMeasurement) -> str | None:
    if public_url is None or stored.read_key is None:
        return None
    return f"{public_url}/m/{stored.id}?key={stored.read_key}"
