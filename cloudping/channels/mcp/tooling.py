"""A :class:`ToolSpec` as an SDK tool: our input schema published as is, arguments passed on.

The SDK derives a tool's schema from a Python signature; ours come from the command grammar
instead, so the tool gets a hand-built ``FuncMetadata``: the published ``parameters`` are the
grammar's schema, and the argument model lets every argument through untouched for the
handler to check (its schema, then the command layer). The output schema is published; the
handler returns the whole ``CallToolResult``.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import ToolAnnotations
from pydantic import ConfigDict

from cloudping.channels.mcp.catalog import ToolSpec


class PassedArguments(ArgModelBase):
    """Every argument as the client sent it, handed to the handler as ``arguments``."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        """The handler's keyword arguments: ``arguments``, a dict of what was sent."""
        return {"arguments": dict(self.model_extra or {})}


def sdk_tool(spec: ToolSpec) -> Tool:
    """The SDK tool serving ``spec`` (its handler takes ``arguments`` and ``ctx``)."""
    return Tool(
        fn=spec.handler,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=spec.input_schema,
        fn_metadata=FuncMetadata(arg_model=PassedArguments, output_schema=spec.output_schema),
        is_async=True,
        context_kwarg="ctx",
        annotations=ToolAnnotations(
            title=spec.title,
            read_only_hint=True,
            destructive_hint=False,
            open_world_hint=spec.open_world,
        ),
    )
