"""Results small enough for a model's context: the most detail that fits the byte budget.

A tool result is sent twice, as structured content and as its JSON text (the MCP spec asks
for both), so the budget applies to that JSON. The levels and the search are every channel's
(:mod:`cloudping.render.budget`); what is MCP's is the size (of the JSON text) and the
result's ``hint`` that details were left out: everything stays stored and ``get_measurement``
pages through it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from cloudping.channels.mcp import resultmodel as rm
from cloudping.channels.mcp.digest import tool_result
from cloudping.render.budget import Detail
from cloudping.render.budget import fit as most_detailed
from cloudping.render.snapshot import Snapshot

DEFAULT_BUDGET = 8 * 1024  # bytes of JSON text per tool result


def as_json(model: BaseModel) -> dict[str, Any]:
    """The JSON object of a result, fields at their default left out (the schemas allow it:
    a field with a default is not required)."""
    data: dict[str, Any] = model.model_dump(mode="json", exclude_defaults=True)
    return data


def json_text(data: Any) -> str:
    """Compact JSON, as a result's text content carries it."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def size(model: BaseModel) -> int:
    """Bytes of the result's JSON text."""
    return len(json_text(as_json(model)).encode())


def fit(snapshot: Snapshot, command: str, budget: int = DEFAULT_BUDGET) -> rm.ToolResult:
    """The most detailed result of ``snapshot`` whose JSON is at most ``budget`` bytes."""

    def draw(detail: Detail) -> rm.ToolResult:
        return _hinted(tool_result(snapshot, command, detail), budget)

    return most_detailed(draw, size, budget)


def _hinted(result: rm.ToolResult, budget: int) -> rm.ToolResult:
    if result.detail == "full" and not result.jobs_omitted:
        return result
    result.hint = (
        f"details were left out to stay under {budget} bytes: get_measurement with this "
        "measurement_id pages through every event"
    )
    return result
