"""Hostile text through MCP's ``run_command``: a result or a tool error, never a crash, and the
server still answers afterwards."""

from __future__ import annotations

import asyncio

from commands.strategies import hostile_texts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .twin import mcp_world

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


async def _run_all(texts: list[str]) -> list[bool]:
    async with mcp_world() as w:
        errors = []
        for text in texts:
            result = await w.client.call_tool("run_command", {"command": text})
            errors.append(result.is_error)
        agents = await w.client.call_tool("list_agents", {})
    assert not agents.is_error
    return errors


@FUZZ
@given(st.lists(hostile_texts, min_size=1, max_size=6))
def test_hostile_text_is_a_result_or_a_tool_error_and_the_server_lives_on(texts: list[str]) -> None:
    errors = asyncio.run(_run_all(texts))
    assert len(errors) == len(texts)
