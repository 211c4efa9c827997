"""A tool's arguments checked before anything runs: its input schema, then the grammar.

The published schema names no ``null``: an optional argument is left out to mean its default
(several LLM clients refuse ``"type": ["integer", "null"]`` and ``anyOf`` with ``null``). A
``null`` sent anyway for an optional argument is read as left out. The schema check (JSON
Schema 2020-12, as published in ``tools/list``) then refuses what the schema does not allow,
strictly (``"3"`` is not an integer); the command layer's
:func:`~cloudping.commands.from_json` then checks what a schema cannot say, exactly as the
parser does. Both fail with a :class:`~cloudping.errors.UsageError` (``bad_command``) naming
the argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from cloudping.commands import Command, from_json, usage
from cloudping.errors import UsageError
from cloudping.policy import Limits


class ArgumentCheck:
    """The input schema of one tool (as published: without ``null``), compiled once."""

    def __init__(self, tool: str, schema: Mapping[str, Any]) -> None:
        self.tool = tool
        self.schema = without_null(schema)
        self._validator = Draft202012Validator(self.schema)

    def __call__(
        self, arguments: Mapping[str, Any], *, usage_line: str | None = None
    ) -> dict[str, Any]:
        """``arguments`` without the optional ones sent as ``null``, once the schema allows
        them.

        Raises:
            UsageError: ``bad_command``, naming the argument (``from.limit``) and what is wrong.
        """
        given = _drop_nulls(arguments, self.schema)
        error = best_match(self._validator.iter_errors(given))
        if error is None:
            return given
        where = ".".join(str(part) for part in error.absolute_path) or "arguments"
        message = f"{self.tool}: {where}: {error.message}"
        raise UsageError(message, word=where, usage=usage_line)


def command_of(
    name: str, check: ArgumentCheck, arguments: Mapping[str, Any], limits: Limits
) -> Command:
    """The command ``name`` that a tool's ``arguments`` describe, within ``limits``.

    Raises:
        UsageError: ``bad_command``, with the command's usage line.
    """
    given = check(arguments, usage_line=usage(name))
    return from_json({**given, "command": name}, limits=limits)


def without_null(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` (an object's) whose optional properties, nested ones too, admit no ``null``:
    ``null`` leaves their ``type``, ``enum`` and ``anyOf``, a ``null`` default goes, and a
    property that could only be ``null`` is not offered."""
    result = dict(schema)
    required = set(schema.get("required", ()))
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        if name in required:
            properties[name] = prop
        elif prop.get("type") != "null":  # one that can only be null cannot be given at all
            properties[name] = _non_null(prop)
    if properties:
        result["properties"] = properties
    return result


def _non_null(prop: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(prop)
    kind = out.get("type")
    if isinstance(kind, list) and "null" in kind:
        rest = [name for name in kind if name != "null"]
        out["type"] = rest[0] if len(rest) == 1 else rest
    if isinstance(out.get("enum"), list):
        out["enum"] = [value for value in out["enum"] if value is not None]
    if isinstance(out.get("anyOf"), list):
        options = [_non_null(o) for o in out["anyOf"] if o != {"type": "null"}]
        if len(options) == 1:
            del out["anyOf"]
            out = {**options[0], **out}
        else:
            out["anyOf"] = options
    if "default" in out and out["default"] is None:
        del out["default"]
    if out.get("type") == "object":
        out = without_null(out)
    return out


def _drop_nulls(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """``arguments`` without optional keys whose value is ``null`` (nested objects too)."""
    required = set(schema.get("required", ()))
    properties = schema.get("properties", {})
    given: dict[str, Any] = {}
    for name, value in arguments.items():
        if value is None and name not in required:
            continue
        inner = _object_form(properties.get(name, {}))
        nested = isinstance(value, Mapping) and inner is not None
        given[name] = _drop_nulls(value, inner or {}) if nested else value
    return given


def _object_form(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The object schema ``schema`` is or offers among its ``anyOf`` (``from``: text or an
    object), if any."""
    options = [schema, *schema.get("anyOf", ())]
    return next((option for option in options if option.get("type") == "object"), None)
