"""The tools, generated from the command layer: one per measurement command, ``list_agents``,
``route_lookup``, the tools whose capability is not built yet, ``run_command`` and
``get_measurement``.

A measurement tool's name is its command's, its input schema the command's JSON Schema
(:mod:`.schemas`), its description the command's summary and usage line: adding a command to
the grammar and the hub adds its tool. Every handler answers a :class:`CloudpingError` with a
tool error carrying the stable code (:func:`.answers.failure`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from cloudping.channels.mcp import resultmodel as rm
from cloudping.channels.mcp import schemas
from cloudping.channels.mcp.answers import failure, success
from cloudping.channels.mcp.arguments import ArgumentCheck, command_of
from cloudping.channels.mcp.toolbox import PageRequest, Toolbox
from cloudping.commands import (
    COMMAND_NAMES,
    MEASUREMENT_COMMANDS,
    Command,
    IpinfoCommand,
    ListCommand,
    is_measurement,
    parse,
    usage,
)
from cloudping.errors import CloudpingError
from cloudping.service import NOT_BUILT, Caller

Ctx = Context[Any, Any]
Handler = Callable[[dict[str, Any], Ctx], Awaitable[CallToolResult]]
Identify = Callable[[Ctx], Caller]
# Tools named apart from their command.
TOOL_NAMES: dict[str, str] = {"list": "list_agents", "route": "route_lookup"}
NOT_BUILT_TOOLS = tuple(name for name in NOT_BUILT if name != "route")
_RESULTS = (
    "Returns a compact summary per agent and target (verdict, loss, round-trip times, hop "
    "table, answers, status, timings) with a measurement_id: get_measurement pages through "
    "every event."
)
_FROM = (
    "`from` picks the agents: selectors as list_agents shows them, as text "
    '("DE+AS3320,fra1") or {"selectors": "DE+AS3320,fra1", "limit": 2}; default: one agent '
    "the hub chooses."
)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool as ``tools/list`` shows it, and what answers its calls."""

    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    handler: Handler
    open_world: bool = True


def catalog(box: Toolbox, identify: Identify) -> list[ToolSpec]:
    """Every tool, in the order ``tools/list`` gives them."""
    measurements = [name for name in COMMAND_NAMES if name in MEASUREMENT_COMMANDS]
    return [
        _list_agents(box, identify),
        *(_measurement(box, identify, name) for name in measurements),
        _ipinfo(box, identify),
        *(_not_built(box, identify, name) for name in NOT_BUILT_TOOLS),
        _route_lookup(box, identify),
        _run_command(box, identify),
        _get_measurement(box, identify),
    ]


def _guarded(handler: Handler) -> Handler:
    """``handler`` with its expected failures answered as tool errors."""

    async def call(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        try:
            return await handler(arguments, ctx)
        except CloudpingError as exc:
            return failure(exc)

    return call


def _measurement(box: Toolbox, identify: Identify, name: str) -> ToolSpec:
    limits = box.service.settings.limits
    check = ArgumentCheck(name, schemas.command_input(name, limits=limits))

    async def handler(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        caller = identify(ctx)
        command = command_of(name, check, arguments, limits)
        return await box.measurement(caller, command, ctx.report_progress)

    return ToolSpec(
        name=name,
        title=_title(name),
        description=f"{_summary(name)} {_grammar(name)} {_FROM} {_RESULTS}",
        input_schema=check.schema,
        output_schema=schemas.measurement_output(name),
        handler=_guarded(handler),
    )


def _list_agents(box: Toolbox, identify: Identify) -> ToolSpec:
    limits = box.service.settings.limits
    check = ArgumentCheck("list_agents", schemas.command_input("list", limits=limits))

    async def handler(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        caller = identify(ctx)  # needs no scope, but a refused caller is refused here too
        command = command_of("list", check, arguments, limits)
        assert isinstance(command, ListCommand)
        return success(await box.agents(caller, command))

    return ToolSpec(
        name="list_agents",
        title="List agents",
        description=(
            f"{_summary('list')}: name, country, city, ASN, network, tags, capabilities, and "
            'every selector word a measurement\'s `from` can use (selector: {"selectors": '
            '"DE+dn42"} keeps the agents it matches).'
        ),
        input_schema=check.schema,
        output_schema=schemas.model_output(rm.AgentList),
        handler=_guarded(handler),
        open_world=False,
    )


def _route_lookup(box: Toolbox, identify: Identify) -> ToolSpec:
    check = ArgumentCheck("route_lookup", schemas.command_input("route"))

    async def handler(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        command = command_of("route", check, arguments, box.service.settings.limits)
        return success(await box.answer(identify(ctx), command))

    return ToolSpec(
        name="route_lookup",
        title="Route lookup",
        description=(
            f"{_summary('route')}, from the hub's MRT dumps. {_grammar('route')} Returns a "
            "table grouped per prefix: origin AS, each AS path with how many peers carry it "
            "(SEEN), communities; `limit` caps the routes (default 100) and the last line says "
            "when more matched."
        ),
        input_schema=check.schema,
        output_schema=schemas.model_output(rm.TextAnswer),
        handler=_guarded(handler),
        open_world=False,
    )


def _ipinfo(box: Toolbox, identify: Identify) -> ToolSpec:
    check = ArgumentCheck("ipinfo", schemas.command_input("ipinfo"))

    async def handler(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        command = command_of("ipinfo", check, arguments, box.service.settings.limits)
        assert isinstance(command, IpinfoCommand)
        return success(await box.ipinfo(identify(ctx), command))

    return ToolSpec(
        name="ipinfo",
        title="IP info",
        description=(
            f"{_summary('ipinfo')}: per address the ASN, AS name, country (ISO code), region, "
            "city and coordinates merged from the hub's providers (local databases first), "
            "the special-purpose range it is in, and what each provider said (providers: "
            '{"providers": ["geoip-asn"]} asks only those). Host names are resolved on the hub.'
        ),
        input_schema=check.schema,
        output_schema=schemas.model_output(rm.IpinfoResult),
        handler=_guarded(handler),
    )


def _not_built(box: Toolbox, identify: Identify, command: str) -> ToolSpec:
    tool = TOOL_NAMES.get(command, command)
    limits = box.service.settings.limits
    check = ArgumentCheck(tool, schemas.command_input(command, limits=limits))

    async def handler(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        asked = command_of(command, check, arguments, limits)
        return success(await box.answer(identify(ctx), asked))

    return ToolSpec(
        name=tool,
        title=_title(tool),
        description=f"{_summary(command)}. NOT BUILT YET on this hub: every call says so. "
        f"({NOT_BUILT[command]}.)",
        input_schema=check.schema,
        output_schema=schemas.measurement_output(None),
        handler=_guarded(handler),
    )


def _run_command(box: Toolbox, identify: Identify) -> ToolSpec:
    schema = {
        "type": "object",
        "properties": {
            "command": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4096,
                "description": "a command line, e.g. 'traceroute -q 1 from DE 1.1.1.1'",
            }
        },
        "required": ["command"],
        "additionalProperties": False,
    }
    check = ArgumentCheck("run_command", schema)

    async def handler(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        command = parse(check(arguments)["command"], limits=box.service.settings.limits)
        return await _dispatch(box, command, identify(ctx), ctx)

    return ToolSpec(
        name="run_command",
        title="Run a command line",
        description=(
            "Run any cloudping command as text, in the grammar of the CLI, the HTTP API and "
            f"the chat bots ({', '.join(COMMAND_NAMES)}); 'help' lists them, 'help ping' "
            f"explains one. {_RESULTS}"
        ),
        input_schema=schema,
        output_schema=schemas.any_output(),
        handler=_guarded(handler),
    )


async def _dispatch(box: Toolbox, command: Command, caller: Caller, ctx: Ctx) -> CallToolResult:
    """What ``run_command`` does with a parsed command: a measurement runs with progress, the
    command service answers any other."""
    if is_measurement(command):
        return await box.measurement(caller, command, ctx.report_progress)
    return success(await box.answer(caller, command))


def _get_measurement(box: Toolbox, identify: Identify) -> ToolSpec:
    check = ArgumentCheck("get_measurement", PageRequest.model_json_schema())

    async def handler(arguments: dict[str, Any], ctx: Ctx) -> CallToolResult:
        request = PageRequest.model_validate(check(arguments))
        return success(await box.page(identify(ctx), request))

    return ToolSpec(
        name="get_measurement",
        title="Get a measurement's events",
        description=(
            "Page through every stored event of a measurement (yours) by its measurement_id: "
            "offset and limit, optionally only some event types; next_offset is where the "
            "next page starts."
        ),
        input_schema=check.schema,
        output_schema=schemas.model_output(rm.EventPage),
        handler=_guarded(handler),
        open_world=False,
    )


def _summary(command: str) -> str:
    text: str = schemas.command_input(command)["description"]
    return text[:1].upper() + text[1:]


def _grammar(command: str) -> str:
    line = usage(command).removeprefix("usage: ")
    return f"The arguments are the options of `{line}`."


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()
