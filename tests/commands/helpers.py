"""Small typed helpers for the command tests."""

from __future__ import annotations

from typing import TypeVar

from cloudping.commands import CommandModel, parse
from cloudping.policy import DEFAULT_LIMITS, Limits

ModelT = TypeVar("ModelT", bound=CommandModel)


def parse_as(line: str, model: type[ModelT], limits: Limits = DEFAULT_LIMITS) -> ModelT:
    """``parse(line)``, asserting the kind of command it gives."""
    command = parse(line, limits=limits)
    assert isinstance(command, model)
    return command
