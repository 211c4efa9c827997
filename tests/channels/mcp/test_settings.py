"""The MCP endpoint's own settings (Host/Origin rules are the HTTP server's:
tests/edge/test_rules.py)."""

from __future__ import annotations

import pytest

from cloudping.channels.mcp import McpSettings


@pytest.mark.parametrize("size", [100, 2_000_000])
def test_a_result_budget_out_of_range_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="result_bytes"):
        McpSettings(result_bytes=size)
