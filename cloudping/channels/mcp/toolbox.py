"""What each kind of tool does once its arguments are checked: run a measurement, page
through stored events, or pass any other command to the command service and show its answer.

Every handler takes the caller it acts for; errors are :class:`CloudpingError` with a stable
code, which :mod:`.catalog` turns into tool errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from mcp_types import CallToolResult
from pydantic import BaseModel, ConfigDict, Field

from cloudping.channels.mcp import resultmodel as rm
from cloudping.channels.mcp.answers import pictures_of, success
from cloudping.channels.mcp.budget import fit, json_text
from cloudping.channels.mcp.running import Report, measure
from cloudping.commands import Command, IpinfoCommand, ListCommand, format_command
from cloudping.render.snapshot import Snapshot
from cloudping.service import Caller, CommandService

EventType = Literal[
    "measurement",
    "start",
    "reply",
    "timeout",
    "hop",
    "scan",
    "dns",
    "http",
    "summary",
    "error",
    "end",
]


class PageRequest(BaseModel):
    """The arguments of ``get_measurement``."""

    model_config = ConfigDict(extra="forbid")
    measurement_id: str = Field(
        min_length=1, max_length=64, description="the measurement_id a tool returned"
    )
    offset: int = Field(0, ge=0, description="the first event to return, 0 for the first")
    limit: int = Field(100, ge=1, le=1000, description="events per page at most")
    types: list[EventType] | None = Field(
        None, description="only events of these types (hop, reply, dns, error, ...)"
    )


@dataclass(frozen=True, slots=True)
class Toolbox:
    """The tools' collaborators: the command service and the result size budget."""

    service: CommandService
    result_bytes: int

    async def measurement(self, caller: Caller, command: Command, report: Report) -> CallToolResult:
        """Run ``command`` and answer with its summary (and pictures, for a scan)."""
        events = await measure(self.service, caller, command, report)
        result = fit(Snapshot.of(events), format_command(command), self.result_bytes)
        when = datetime.fromtimestamp(self.service.settings.clock(), UTC)
        return success(result, pictures_of(command.command, events, when))

    async def agents(self, caller: Caller, command: ListCommand) -> rm.AgentList:
        """The live agents the selector matches (all without one), and every selector word."""
        answer = await self.service.answer(caller, command)
        return rm.AgentList.model_validate(answer.data)

    async def ipinfo(self, caller: Caller, command: IpinfoCommand) -> rm.IpinfoResult:
        """The hub's providers' reports on the addresses (names resolved on the hub)."""
        answer = await self.service.answer(caller, command)
        return rm.IpinfoResult(results=answer.data["results"], text=answer.text)

    async def answer(
        self, caller: Caller, command: Command
    ) -> rm.AgentList | rm.IpinfoResult | rm.TextAnswer:
        """The command service's answer to a command that is not a measurement: the agent
        list and IP reports as their models, the others (help, version) as text.

        Raises:
            CloudpingError: ``not_implemented``, ``token_not_issued`` (see the service).
        """
        if isinstance(command, ListCommand):
            return await self.agents(caller, command)
        if isinstance(command, IpinfoCommand):
            return await self.ipinfo(caller, command)
        return rm.TextAnswer(text=(await self.service.answer(caller, command)).text)

    async def page(self, caller: Caller, request: PageRequest) -> rm.EventPage:
        """A page of the caller's stored measurement, cut to the size budget.

        Without a type filter only the page is read from the store (the hub numbers a
        measurement's events 1, 2, 3, ..., so the first ``offset`` are those up to that seq):
        a scan of a /16 stores 65,000 events. A type filter reads them all and filters.
        """
        wanted = set(request.types or ())
        stored = await self.service.stored(caller, request.measurement_id, events=bool(wanted))
        if wanted:
            events = [e.event for e in stored.events if e.event["type"] in wanted]
            total, window = len(events), events[request.offset : request.offset + request.limit]
        else:
            rows = await self.service.events_since(stored.id, request.offset, request.limit)
            total, window = stored.event_count, [row.event for row in rows]
        # Only the page is compacted and measured.
        page = _within([_compact(event) for event in window], self.result_bytes)
        end = request.offset + len(page)
        return rm.EventPage(
            measurement_id=stored.id,
            command=stored.command,
            status=stored.status,
            total_events=total,
            offset=request.offset,
            events=page,
            next_offset=end if end < total else None,
        )


def _within(events: Sequence[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    """The leading events whose JSON fits ``budget`` bytes (always at least one)."""
    kept: list[dict[str, Any]] = []
    used = 512  # the page's own fields
    for event in events:
        used += len(json_text(event).encode()) + 1
        if kept and used > budget:
            break
        kept.append(event)
    return kept


def _compact(event: dict[str, Any]) -> dict[str, Any]:
    """A stored event without its null fields (they say nothing; the budget is small)."""
    return {key: value for key, value in event.items() if value is not None}
