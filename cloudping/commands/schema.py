"""JSON Schemas of the structured forms, generated from the command table and the limits.

The MCP tools' input schemas, the API's OpenAPI document and the tests use these; the
descriptions are the help strings, the ranges those of the ``Limits`` in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any

from pydantic_core import to_jsonable_python

from cloudping.commands.fieldtypes import MAX_ITEMS
from cloudping.commands.spec import CommandSpec, OptionSpec, PositionalSpec, default_of
from cloudping.commands.table import lookup
from cloudping.policy import DEFAULT_LIMITS, Limits

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(name: str, *, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The JSON Schema of the structured form of one command, with ranges from ``limits``.

    Raises:
        UsageError: when ``name`` names no command.
    """
    spec = lookup(name)
    properties, required = _properties(spec, limits)
    return {
        "$schema": DRAFT,
        "title": spec.name,
        "description": spec.summary,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _properties(spec: CommandSpec, limits: Limits) -> tuple[dict[str, Any], list[str]]:
    """The schema of every field, and the fields required."""
    properties: dict[str, Any] = {"command": {"const": spec.name, "description": spec.summary}}
    required = ["command"]
    if spec.positional is not None:
        properties[spec.positional.key] = _positional(spec, spec.positional, limits)
        if spec.positional.required:
            required.append(spec.positional.key)
    plain = [option for option in spec.options if not option.key.startswith("from.")]
    for key, group in groupby(plain, key=lambda option: option.key):
        properties[key] = _option(spec, list(group), limits)
    if spec.takes_from:
        properties["from"] = _from(spec, limits)
    return properties, required


def _option(spec: CommandSpec, group: list[OptionSpec], limits: Limits) -> dict[str, Any]:
    first = group[0]
    schema = dict(first.kind.schema)
    if first.bounds is not None:
        low, high = first.bounds(limits)
        schema.pop("exclusiveMinimum", None)
        schema |= {"minimum": low, "maximum": high}
    if first.repeat:
        schema = {"type": "array", "items": schema, "maxItems": MAX_ITEMS}
    schema["description"] = _description(group)
    return _with_default(schema, default_of(spec.model, first.key))


def _description(group: Iterable[OptionSpec]) -> str:
    options = list(group)
    if len(options) == 1:
        flags = options[0].flags
        return f"{options[0].help} ({', '.join(flags)})" if flags else options[0].help
    return "; ".join(f"{option.const}: {option.help} ({option.flag})" for option in options)


def _positional(spec: CommandSpec, positional: PositionalSpec, limits: Limits) -> dict[str, Any]:
    schema = dict(positional.kind.schema)
    if positional.many:
        high = positional.bounds(limits)[1] if positional.bounds else MAX_ITEMS
        schema = {"type": "array", "items": schema, "minItems": 1, "maxItems": high}
    schema["description"] = f"{positional.help} ({positional.usage})"
    if positional.required:
        return schema
    return _with_default(schema, default_of(spec.model, positional.key))


def _from(spec: CommandSpec, limits: Limits) -> dict[str, Any]:
    selectors, limit = (spec.option(flag) for flag in ("-s", "--limit"))
    assert selectors is not None
    assert limit is not None
    properties = {
        "selectors": _option(spec, [selectors], limits),
        "limit": _option(spec, [limit], limits),
    }
    schema = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "description": "the agents to run on; default: one agent chosen by the hub",
    }
    return _with_default(schema, None)


def _with_default(schema: dict[str, Any], default: Any) -> dict[str, Any]:
    """``schema`` with its default; a None default also admits null."""
    if default is None:
        schema = _nullable(schema)
    return schema | {"default": to_jsonable_python(default)}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return schema | {"enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return schema | {"type": [schema["type"], "null"]}
    keywords = {key: schema.pop(key) for key in ("description",) if key in schema}
    return {"anyOf": [schema, {"type": "null"}], **keywords}
