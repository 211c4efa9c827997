"""The tools' JSON Schemas: inputs from the command grammar, outputs from the result models.

An input schema is :func:`cloudping.commands.json_schema` of the command without its
``command`` constant (the tool's name says it), so types, ranges (the ``Limits`` in force),
enums, defaults and descriptions are the parser's own. One change is made for models: a
selection (``from``, ``list``'s ``selector``, and their ``selectors``) may also be the text
the grammar reads (``"lab1"``, ``"DE+AS3320,fra1"``), besides the object and the array of
arrays.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from cloudping.channels.mcp import resultmodel as rm
from cloudping.commands import json_schema
from cloudping.commands.selection import TERM_PATTERN
from cloudping.policy import DEFAULT_LIMITS, Limits

_ALTERNATIVE = f"{TERM_PATTERN}(\\+{TERM_PATTERN})*"
SELECTOR_TEXT: dict[str, Any] = {
    "type": "string",
    "pattern": f"^{_ALTERNATIVE}(,{_ALTERNATIVE})*$",
    "maxLength": 4096,
    "description": "as typed: ',' = or, '+' = and (DE+AS3320,fra1)",
}
# The result sections of a job each command fills (JobResult's optional parts).
_SECTIONS: dict[str, tuple[str, ...]] = {
    "ping": ("ping",),
    "tcping": ("ping",),
    "traceroute": ("path",),
    "mtr": ("path",),
    "scan": ("scan",),
    "dns": ("dns",),
    "http": ("http",),
}
_ALL_SECTIONS = ("ping", "path", "scan", "dns", "http")
_DEFS = "#/$defs/"


def command_input(name: str, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The input schema of the tool that runs command ``name``."""
    schema = json_schema(name, limits=limits)
    properties = {key: value for key, value in schema["properties"].items() if key != "command"}
    for key in ("from", "selector"):
        if key in properties:
            properties[key] = _textual_selection(properties[key])
    return {
        "type": "object",
        "description": schema["description"],
        "properties": properties,
        "required": [key for key in schema["required"] if key != "command"],
        "additionalProperties": False,
    }


def _textual_selection(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` of a selection that may also be the text a person types (``"lab1"``,
    ``"DE+AS3320,fra1"``), as a whole or as its ``selectors``; never ``null``."""
    widened = copy.deepcopy(schema)
    inner = widened["anyOf"][0] if "anyOf" in widened else widened
    selectors = inner["properties"]["selectors"]
    keywords = {key: selectors.pop(key) for key in ("description", "default") if key in selectors}
    inner["properties"]["selectors"] = {"anyOf": [SELECTOR_TEXT, selectors], **keywords}
    form = {key: value for key, value in inner.items() if key not in ("description", "default")}
    form["type"] = "object"
    return {"anyOf": [SELECTOR_TEXT, form], "description": widened["description"]}


@cache
def measurement_output(command: str | None) -> dict[str, Any]:
    """The output schema of a measurement tool: a :class:`ToolResult` whose jobs carry only
    the sections ``command`` fills (all of them for ``None``, as ``run_command`` may)."""
    schema = rm.ToolResult.model_json_schema(mode="serialization")
    keep = _SECTIONS.get(command or "", _ALL_SECTIONS)
    job = schema["$defs"]["JobResult"]["properties"]
    for section in _ALL_SECTIONS:
        if section not in keep:
            del job[section]
    return _prune(schema)


def model_output(model: type[BaseModel]) -> dict[str, Any]:
    """The output schema of a tool that answers with ``model``."""
    schema: dict[str, Any] = model.model_json_schema(mode="serialization")
    return schema


@cache
def any_output() -> dict[str, Any]:
    """``run_command``'s output: a measurement, the agent list, IP reports, or text (help,
    version)."""
    adapter: TypeAdapter[rm.ToolResult | rm.AgentList | rm.IpinfoResult | rm.TextAnswer]
    adapter = TypeAdapter(rm.ToolResult | rm.AgentList | rm.IpinfoResult | rm.TextAnswer)
    return {"type": "object", **adapter.json_schema(mode="serialization")}


def _prune(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without the ``$defs`` nothing refers to any more."""
    defs: dict[str, Any] = schema.get("$defs", {})
    root = {key: value for key, value in schema.items() if key != "$defs"}
    used: set[str] = set()
    pending = list(_refs(root))
    while pending:
        name = pending.pop()
        if name not in used:
            used.add(name)
            pending += _refs(defs[name])
    return {**root, "$defs": {name: defs[name] for name in defs if name in used}}


def _refs(node: Any) -> list[str]:
    """The ``$defs`` names referred to anywhere inside ``node``."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        own = [ref.removeprefix(_DEFS)] if isinstance(ref, str) else []
        return own + [name for value in node.values() for name in _refs(value)]
    if isinstance(node, list):
        return [name for value in node for name in _refs(value)]
    return []
