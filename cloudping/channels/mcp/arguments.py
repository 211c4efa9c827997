"""A tool's arguments checked before anything runs: its input schema, then the grammar.

The schema check (JSON Schema 2020-12, as published in ``tools/list``) refuses what the
schema does not allow, strictly (``"3"`` is not an integer); the command layer's
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


class ArgumentCheck:
    """The input schema of one tool, compiled once."""

    def __init__(self, tool: str, schema: Mapping[str, Any]) -> None:
        self.tool = tool
        self.schema = dict(schema)
        self._validator = Draft202012Validator(self.schema)

    def __call__(self, arguments: Mapping[str, Any], *, usage_line: str | None = None) -> None:
        """Refuse ``arguments`` that the schema does not allow.

        Raises:
            UsageError: ``bad_command``, naming the argument (``from.limit``) and what is wrong.
        """
        error = best_match(self._validator.iter_errors(dict(arguments)))
        if error is None:
            return
        where = ".".join(str(part) for part in error.absolute_path) or "arguments"
        message = f"{self.tool}: {where}: {error.message}"
        raise UsageError(message, word=where, usage=usage_line)


def command_of(name: str, check: ArgumentCheck, arguments: Mapping[str, Any]) -> Command:
    """The command ``name`` that a tool's ``arguments`` describe.

    Raises:
        UsageError: ``bad_command``, with the command's usage line.
    """
    check(arguments, usage_line=usage(name))
    return from_json({**arguments, "command": name})
