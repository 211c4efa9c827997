"""Results small enough for a model's context: the most detail that fits the byte budget.

A tool result is sent twice, as structured content and as its JSON text (the MCP spec asks
for both), so the budget applies to that JSON. :func:`fit` tries each :data:`LEVELS` entry
from the most detailed down, then lists fewer jobs, and says so in the result's ``hint``:
everything stays stored and ``get_measurement`` pages through it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from cloudping.channels.mcp import resultmodel as rm
from cloudping.channels.mcp.digest import Detail, Folded, tool_result

DEFAULT_BUDGET = 8 * 1024  # bytes of JSON text per tool result
LEVELS: tuple[Detail, ...] = (
    Detail("full", items=64, jobs=50, text=512, extras=True),
    Detail("reduced", items=64, jobs=50, text=256, extras=False),
    Detail("compact", items=16, jobs=20, text=128, extras=False),
    Detail("minimal", items=4, jobs=8, text=64, extras=False),
)


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


def fit(folded: Folded, command: str, budget: int = DEFAULT_BUDGET) -> rm.ToolResult:
    """The most detailed result of ``folded`` whose JSON is at most ``budget`` bytes.

    With a budget too small even for one job at the least detail, that is what comes back.
    """
    for detail in LEVELS:
        result = _hinted(tool_result(folded, command, detail), budget)
        if size(result) <= budget:
            return result
    least = LEVELS[-1]
    jobs = least.jobs
    while jobs > 1 and size(result) > budget:
        jobs //= 2
        smaller = Detail(least.level, least.items, jobs, least.text, extras=False)
        result = _hinted(tool_result(folded, command, smaller), budget)
    return result


def _hinted(result: rm.ToolResult, budget: int) -> rm.ToolResult:
    if result.detail == "full" and not result.jobs_omitted:
        return result
    result.hint = (
        f"details were left out to stay under {budget} bytes: get_measurement with this "
        "measurement_id pages through every event"
    )
    return result
