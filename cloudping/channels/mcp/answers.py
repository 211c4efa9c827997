"""What a tool call returns: a result (structured content, its JSON text, pictures), or a
tool error with the stable code and a sentence a model can act on."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime

from mcp_types import CallToolResult, ImageContent, TextContent
from pydantic import BaseModel

from cloudping.channels.mcp.budget import as_json, json_text
from cloudping.errors import CloudpingError
from cloudping.events import Event
from cloudping.render.picture import job_pictures

MAX_PICTURES = 4  # one per job (agent x prefix) at most this many
# The tools whose result carries pictures (design.md: scan returns the PNG as image content);
# every other tool's result stays text, small for a model's context.
IMAGE_TOOLS = frozenset({"scan"})


def success(result: BaseModel, pictures: Sequence[ImageContent] = ()) -> CallToolResult:
    """``result`` as structured content and as JSON text (MCP asks for both), then pictures."""
    data = as_json(result)
    content: list[TextContent | ImageContent] = [TextContent(text=json_text(data)), *pictures]
    return CallToolResult(content=content, structured_content=data)


def failure(error: CloudpingError) -> CallToolResult:
    """A tool error: ``code: message``, then the error's fields as JSON when it has any
    (the usage line of a bad command, the selectors that exist, a quota's numbers)."""
    text = f"{error.code}: {error.message}"
    if error.fields:
        text += "\n" + json_text(error.fields)
    return CallToolResult(content=[TextContent(text=text)], is_error=True)


def pictures_of(command: str, events: Sequence[Event], when: datetime) -> list[ImageContent]:
    """The PNG of each job of a measurement whose tool returns pictures (scan)."""
    if command not in IMAGE_TOOLS:
        return []
    return [
        ImageContent(data=base64.b64encode(png).decode(), mime_type="image/png")
        for png in job_pictures(command, events, when, MAX_PICTURES)
    ]
