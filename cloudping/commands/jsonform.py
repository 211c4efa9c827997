"""The structured (JSON) form of a command, both ways.

``to_json`` gives every field, defaults included, under its JSON key (``from``, not
``from_``); ``from_json`` takes the same shape (missing fields take their defaults) and checks
it exactly as the parser checks a command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from cloudping.commands.commandnames import GENERAL_USAGE
from cloudping.commands.diagnose import JsonLabels, build, fail
from cloudping.commands.model import Command
from cloudping.commands.parser import parse
from cloudping.commands.table import lookup
from cloudping.commands.values import shown
from cloudping.errors import UsageError
from cloudping.policy import DEFAULT_LIMITS, Limits


def to_json(command: Command) -> dict[str, Any]:
    """The structured form: ``{"command": "ping", "targets": ["x"], "count": 4, ...}``."""
    return command.model_dump(mode="json", by_alias=True)


def from_json(obj: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Command:
    """The command a structured form describes.

    ``{"command": "ping -c 3 x"}`` (a command line under ``command``, nothing else) is
    parsed as text, as the API accepts both.

    Raises:
        UsageError: naming the bad field and value.
    """
    if not isinstance(obj, Mapping):
        raise UsageError("a command must be a JSON object", usage=GENERAL_USAGE)
    name = obj.get("command")
    if not isinstance(name, str):
        raise UsageError('missing field "command"', word=None, usage=GENERAL_USAGE)
    if len(obj) == 1 and len(name.split()) > 1:
        return parse(name, limits=limits)
    spec = lookup(name)
    stray = next((key for key in obj if not isinstance(key, str)), None)
    if stray is not None:
        raise fail(spec, f"unknown field {shown(stray)}", str(stray))
    return cast(Command, build(spec, {**obj, "command": spec.name}, limits, JsonLabels()))
