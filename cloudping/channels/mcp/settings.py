"""How the hub serves MCP: transport mode, sessions, result size.

Which ``Host``/``Origin`` headers it accepts is the whole HTTP server's rule
(:class:`cloudping.edge.HttpSettings`), checked in front of every route.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudping.channels.mcp.budget import DEFAULT_BUDGET

MCP_PATH = "/mcp"


@dataclass(frozen=True, slots=True)
class McpSettings:
    """The MCP endpoint's settings.

    Attributes:
        enabled: serve ``/mcp`` next to the HTTP API.
        stateless: StreamableHTTP without sessions (each request stands alone; no server
            to client requests). Stateful (sessions) by default.
        result_bytes: the size budget of one tool result's JSON text.
        max_sessions: open MCP sessions at most (stateful mode).
    """

    enabled: bool = True
    stateless: bool = False
    result_bytes: int = DEFAULT_BUDGET
    max_sessions: int = 1_000

    def __post_init__(self) -> None:
        if not 1024 <= self.result_bytes <= 1_048_576:
            raise ValueError("result_bytes must be 1 KiB to 1 MiB")
        if self.max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
